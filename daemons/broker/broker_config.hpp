// /etc/closedpaw/broker.toml: what the broker serves and how it runs sandboxes. Every key is
// optional; unknown keys and bad values are errors naming the file, line and key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace closedpaw::broker {

enum class RuntimeChoice { Auto, Runsc, Kata };

struct BrokerConfig {
    std::string socket = "/run/closedpaw/broker.sock";
    std::string front_user = "closedpaw";  // the only uid served besides root
    std::string skill_dir = CLOSEDPAW_SKILLDIR;
    std::string workspace_root;  // default: $STATE_DIRECTORY/workspaces
    std::string run_dir;         // default: $RUNTIME_DIRECTORY, else /run/closedpaw/broker
    std::string policy_dir = std::string(CLOSEDPAW_DATADIR) + "/policy";
    std::string sandbox_seccomp;  // default: policy_dir/sandbox/seccomp.json
    std::string probe_executable = CLOSEDPAW_SANDBOX_PROBE;
    RuntimeChoice runtime = RuntimeChoice::Auto;
    std::string runsc_path = "/usr/bin/runsc";
    std::string runsc_platform = "ptrace";
    std::vector<std::string> runsc_extra_args;  // e.g. ["--ignore-cgroups"] inside nspawn
    std::string kata_path = "/usr/bin/kata-runtime";
    std::uint32_t max_concurrent = 4;
    std::uint32_t max_queued = 16;
    std::uint32_t max_connections = 64;
    std::uint32_t sandbox_memory_overhead_mb = 256;  // cgroup room for the runtime itself
    std::uint32_t sandbox_pids_overhead = 192;       // host threads of the runtime itself
    std::string cgroup_parent = "closedpaw-sandboxes";
    std::vector<std::string> disabled_skills;
    bool dbus = true;

    // Derived paths.
    std::string bundle_dir() const { return run_dir + "/bundles"; }
    std::string runtime_state_dir(const std::string& name) const { return run_dir + "/" + name; }
    std::string sandbox_seccomp_path() const {
        return sandbox_seccomp.empty() ? policy_dir + "/sandbox/seccomp.json" : sandbox_seccomp;
    }
    std::string broker_seccomp_path() const {
        return policy_dir + "/seccomp/closedpaw-brokerd.toml";
    }
};

// Loads path; a missing file gives the defaults (with directories from systemd's environment).
Result<BrokerConfig> load_broker_config(const std::string& path, bool must_exist);

}  // namespace closedpaw::broker
