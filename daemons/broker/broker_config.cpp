#include "broker_config.hpp"

#include <sys/stat.h>

#include "common/config.hpp"
#include "common/paths.hpp"

namespace closedpaw::broker {

namespace {

Result<void> get_string(const TableView& t, std::string_view key, std::string& out,
                        bool absolute_path = false) {
    auto v = t.get_string(key);
    if (!v) return std::move(v).error();
    if (!*v) return {};
    if (v->value().empty()) return t.error(key, "must not be empty");
    if (absolute_path && v->value()[0] != '/') return t.error(key, "must be an absolute path");
    out = **v;
    return {};
}

Result<void> get_u32(const TableView& t, std::string_view key, std::uint32_t& out, std::int64_t min,
                     std::int64_t max) {
    auto v = t.get_int(key, min, max);
    if (!v) return std::move(v).error();
    if (*v) out = static_cast<std::uint32_t>(**v);
    return {};
}

}  // namespace

Result<BrokerConfig> load_broker_config(const std::string& path, bool must_exist) {
    BrokerConfig c;
    c.run_dir = runtime_directory("/run/closedpaw/broker");
    c.workspace_root = state_directory("/var/lib/closedpaw/broker") + "/workspaces";

    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 && errno == ENOENT && !must_exist) return c;
    auto file = ConfigFile::load(path);
    if (!file) return std::move(file).error();
    auto t = file->root();
    CP_TRY(t.only_keys({"socket",
                        "front_user",
                        "skill_dir",
                        "workspace_root",
                        "run_dir",
                        "policy_dir",
                        "sandbox_seccomp",
                        "probe_executable",
                        "runtime",
                        "runsc_path",
                        "runsc_platform",
                        "runsc_extra_args",
                        "kata_path",
                        "max_concurrent",
                        "max_queued",
                        "max_connections",
                        "sandbox_memory_overhead_mb",
                        "sandbox_pids_overhead",
                        "cgroup_parent",
                        "disabled_skills",
                        "dbus"}));
    CP_TRY(get_string(t, "socket", c.socket, true));
    CP_TRY(get_string(t, "front_user", c.front_user));
    CP_TRY(get_string(t, "skill_dir", c.skill_dir, true));
    CP_TRY(get_string(t, "workspace_root", c.workspace_root, true));
    CP_TRY(get_string(t, "run_dir", c.run_dir, true));
    CP_TRY(get_string(t, "policy_dir", c.policy_dir, true));
    CP_TRY(get_string(t, "sandbox_seccomp", c.sandbox_seccomp, true));
    CP_TRY(get_string(t, "probe_executable", c.probe_executable, true));
    CP_TRY(get_string(t, "runsc_path", c.runsc_path, true));
    CP_TRY(get_string(t, "kata_path", c.kata_path, true));
    CP_TRY(get_string(t, "runsc_platform", c.runsc_platform));
    if (c.runsc_platform != "ptrace" && c.runsc_platform != "kvm" && c.runsc_platform != "systrap")
        return t.error("runsc_platform", "expected \"ptrace\", \"kvm\" or \"systrap\"");
    CP_TRY(get_string(t, "cgroup_parent", c.cgroup_parent));
    for (char ch : c.cgroup_parent) {
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_'))
            return t.error("cgroup_parent", "use letters, digits, '-' and '_' only");
    }

    std::string runtime = "auto";
    CP_TRY(get_string(t, "runtime", runtime));
    if (runtime == "auto")
        c.runtime = RuntimeChoice::Auto;
    else if (runtime == "runsc")
        c.runtime = RuntimeChoice::Runsc;
    else if (runtime == "kata-runtime")
        c.runtime = RuntimeChoice::Kata;
    else
        return t.error("runtime", "expected \"auto\", \"runsc\" or \"kata-runtime\"");

    auto extra = t.get_string_array("runsc_extra_args");
    if (!extra) return std::move(extra).error();
    if (*extra) {
        for (const auto& a : **extra) {
            // Flags only, each a single argv element: no shell, no positional arguments.
            if (a.size() < 3 || a.rfind("--", 0) != 0 ||
                a.find_first_of(" \t\n") != std::string::npos)
                return t.error("runsc_extra_args", "'" + a + "' is not a --flag[=value] argument");
            if (a.rfind("--root", 0) == 0 || a.rfind("--network", 0) == 0 ||
                a.rfind("--platform", 0) == 0)
                return t.error("runsc_extra_args", "'" + a + "' is set by the broker itself");
        }
        c.runsc_extra_args = **extra;
    }
    auto disabled = t.get_string_array("disabled_skills");
    if (!disabled) return std::move(disabled).error();
    if (*disabled) c.disabled_skills = **disabled;

    CP_TRY(get_u32(t, "max_concurrent", c.max_concurrent, 1, 64));
    CP_TRY(get_u32(t, "max_queued", c.max_queued, 0, 1024));
    CP_TRY(get_u32(t, "max_connections", c.max_connections, 1, 1024));
    CP_TRY(get_u32(t, "sandbox_memory_overhead_mb", c.sandbox_memory_overhead_mb, 32, 4096));
    CP_TRY(get_u32(t, "sandbox_pids_overhead", c.sandbox_pids_overhead, 32, 4096));
    auto dbus = t.get_bool("dbus");
    if (!dbus) return std::move(dbus).error();
    if (*dbus) c.dbus = **dbus;
    return c;
}

}  // namespace closedpaw::broker
