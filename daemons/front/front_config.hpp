// closedpawd.toml: where closedpawd keeps state, finds skills, policy and the broker.
#pragma once

#include <string>

#include "common/result.hpp"

namespace closedpaw::front {

struct FrontConfig {
    std::string state_directory;
    std::string user = "closedpaw";  // switched to when started as root ("" = stay)
    std::string skill_dir;
    std::string broker_socket = "/run/closedpaw/broker.sock";
    std::string policy_file;  // shipped defaults
    std::string policy_dir;   // admin overrides (*.toml)
    std::string seccomp_profile;
    std::string injection_policy_dir;
    std::string workspace = "default";  // broker workspace id used for skill actions
    std::size_t keep_finished_actions = 1000;
};

FrontConfig default_front_config();
Result<FrontConfig> load_front_config(const std::string& path);

}  // namespace closedpaw::front
