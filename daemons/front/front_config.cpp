#include "front_config.hpp"

#include "common/config.hpp"
#include "common/paths.hpp"
#include "common/skill_manifest.hpp"

namespace closedpaw::front {

FrontConfig default_front_config() {
    FrontConfig c;
    c.state_directory = state_directory("/var/lib/closedpaw");
    c.skill_dir = CLOSEDPAW_SKILLDIR;
    c.policy_file = std::string(CLOSEDPAW_DATADIR) + "/policy/front/policy.toml";
    c.policy_dir = std::string(CLOSEDPAW_SYSCONFDIR) + "/policy.d";
    c.seccomp_profile = std::string(CLOSEDPAW_DATADIR) + "/policy/seccomp/closedpawd.toml";
    c.injection_policy_dir = std::string(CLOSEDPAW_DATADIR) + "/policy/injection";
    return c;
}

Result<FrontConfig> load_front_config(const std::string& path) {
    FrontConfig c = default_front_config();
    auto file = ConfigFile::load(path);
    if (!file) return std::move(file).error();
    auto root = file->root();
    CP_TRY(root.only_keys({"daemon"}));
    auto t = root.get_table("daemon");
    if (!t) return std::move(t).error();
    if (!*t) return c;
    const auto& d = **t;
    CP_TRY(d.only_keys({"state_directory", "user", "skill_dir", "broker_socket", "policy_file",
                        "policy_dir", "seccomp_profile", "injection_policy_dir", "workspace",
                        "keep_finished_actions"}));
    for (auto [key, field] :
         {std::pair{"user", &c.user}, std::pair{"skill_dir", &c.skill_dir},
          std::pair{"broker_socket", &c.broker_socket}, std::pair{"policy_file", &c.policy_file},
          std::pair{"policy_dir", &c.policy_dir}, std::pair{"seccomp_profile", &c.seccomp_profile},
          std::pair{"injection_policy_dir", &c.injection_policy_dir},
          std::pair{"workspace", &c.workspace}}) {
        auto v = d.get_string(key);
        if (!v) return std::move(v).error();
        if (*v) *field = **v;
    }
    auto sd = d.get_string("state_directory");
    if (!sd) return std::move(sd).error();
    if (*sd) c.state_directory = state_directory(**sd);
    if (!valid_skill_id(c.workspace))
        return d.error("workspace", "'" + c.workspace + "' is not a valid workspace id");
    auto keep = d.get_int("keep_finished_actions", 10, 1000000);
    if (!keep) return std::move(keep).error();
    if (*keep) c.keep_finished_actions = static_cast<std::size_t>(**keep);
    return c;
}

}  // namespace closedpaw::front
