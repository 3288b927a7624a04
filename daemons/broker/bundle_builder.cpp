#include "bundle_builder.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "common/fd.hpp"
#include "runtime.hpp"

namespace closedpaw::broker {

using nlohmann::json;

namespace {

constexpr const char* kTmpSize = "size=16m";
constexpr std::uint64_t kOpenFiles = 256;
constexpr std::uint64_t kCpuPeriodUs = 100000;

json rlimit(const char* type, std::uint64_t value) {
    return {{"type", type}, {"hard", value}, {"soft", value}};
}

json mounts(const BundleSpec& s) {
    json m = json::array();
    m.push_back({{"destination", "/proc"},
                 {"type", "proc"},
                 {"source", "proc"},
                 {"options", {"nosuid", "noexec", "nodev"}}});
    // /dev is left to the runtime: runsc provides a minimal devtmpfs (null, zero, full,
    // random, urandom, tty, ptmx); kata's agent does the same.
    m.push_back({{"destination", "/tmp"},
                 {"type", "tmpfs"},
                 {"source", "tmpfs"},
                 {"options", {"nosuid", "nodev", "noexec", "mode=1777", kTmpSize}}});
    if (!s.workspace_host.empty()) {
        m.push_back({{"destination", kWorkspaceMount},
                     {"type", "bind"},
                     {"source", s.workspace_host},
                     {"options",
                      {"rbind", "nosuid", "nodev", "noexec", s.workspace_writable ? "rw" : "ro"}}});
    }
    return m;
}

json resources(const BundleSpec& s) {
    const auto& l = s.limits;
    const auto mem = static_cast<std::int64_t>(l.memory_bytes + s.memory_overhead_bytes);
    return {{"memory", {{"limit", mem}, {"swap", mem}}},
            {"pids", {{"limit", static_cast<std::int64_t>(l.pids + s.pids_overhead)}}},
            {"cpu",
             {{"quota", static_cast<std::int64_t>(kCpuPeriodUs * l.cpu_percent / 100)},
              {"period", kCpuPeriodUs}}}};
}

}  // namespace

json make_oci_spec(const BundleSpec& s) {
    const SkillManifest& m = *s.manifest;
    json caps = {{"bounding", json::array()},
                 {"effective", json::array()},
                 {"inheritable", json::array()},
                 {"permitted", json::array()},
                 {"ambient", json::array()}};
    json process = {
        {"terminal", false},
        {"user", {{"uid", kSandboxUid}, {"gid", kSandboxGid}, {"additionalGids", json::array()}}},
        {"args", {"/" + m.executable, kWorkspaceMount}},
        {"env", {"PATH=/", "HOME=/tmp", "TMPDIR=/tmp", "LANG=C.UTF-8"}},
        {"cwd", "/"},
        {"capabilities", caps},
        // Inside gVisor these bite gracefully: fork fails with EAGAIN past RLIMIT_NPROC and
        // mmap with ENOMEM past RLIMIT_AS. The cgroup limits below are the host backstop
        // (they also cover the runtime's own threads and memory, hence the overheads).
        {"rlimits",
         {rlimit("RLIMIT_NOFILE", kOpenFiles), rlimit("RLIMIT_NPROC", s.limits.pids),
          rlimit("RLIMIT_AS", s.limits.memory_bytes), rlimit("RLIMIT_CORE", 0)}},
        {"noNewPrivileges", true},
    };
    json linux_ = {
        {"namespaces",
         {{{"type", "pid"}},
          {{"type", "network"}},
          {{"type", "ipc"}},
          {{"type", "uts"}},
          {{"type", "mount"}}}},
        {"cgroupsPath", "/" + s.cgroup_parent + "/" + s.container_id},
        {"resources", resources(s)},
        {"maskedPaths",
         {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
          "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
          "/sys/firmware"}},
        {"readonlyPaths",
         {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}},
    };
    if (s.seccomp != nullptr) linux_["seccomp"] = *s.seccomp;
    return {{"ociVersion", "1.0.2"},
            {"process", process},
            {"root", {{"path", m.directory}, {"readonly", true}}},
            {"hostname", "closedpaw-sandbox"},
            {"mounts", mounts(s)},
            {"linux", linux_}};
}

Result<json> load_sandbox_seccomp(const std::string& path) {
    auto text = read_file(path, 1 << 20);
    if (!text) return std::move(text).error();
    json j = json::parse(*text, nullptr, false);
    auto bad = [&](const std::string& why) { return make_error(Errc::Config, path + ": " + why); };
    if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
    std::string def = j.value("defaultAction", std::string());
    if (def != "SCMP_ACT_ERRNO" && def != "SCMP_ACT_KILL" && def != "SCMP_ACT_KILL_PROCESS")
        return bad(
            "defaultAction must deny (SCMP_ACT_ERRNO or SCMP_ACT_KILL*): it is an allow-list");
    auto sys = j.find("syscalls");
    if (sys == j.end() || !sys->is_array() || sys->empty())
        return bad("'syscalls' must list rules");
    for (const auto& rule : *sys) {
        if (!rule.is_object() || !rule.contains("names") || !rule["names"].is_array())
            return bad("each rule needs 'names'");
        if (rule.value("action", std::string()) != "SCMP_ACT_ALLOW")
            return bad("rules may only allow (the default denies)");
    }
    return j;
}

Result<std::string> write_bundle(const std::string& bundle_root, const BundleSpec& spec) {
    if (!valid_container_id(spec.container_id))
        return make_error(Errc::InvalidArgument, "bad container id " + spec.container_id);
    std::string dir = bundle_root + "/" + spec.container_id;
    // mkdir fails if anything (even a symlink) already sits there: the bundle is always fresh.
    if (::mkdir(dir.c_str(), 0700) != 0) return Error::from_errno("create bundle " + dir);
    std::string text = make_oci_spec(spec).dump();
    auto w = write_file_atomic(dir + "/config.json", text, {0600, /* sync= */ false});
    if (!w) {
        (void)remove_bundle(bundle_root, spec.container_id);
        return std::move(w).error();
    }
    return dir;
}

Result<void> remove_bundle(const std::string& bundle_root, const std::string& container_id) {
    if (!valid_container_id(container_id))
        return make_error(Errc::InvalidArgument, "bad container id " + container_id);
    UniqueFd root(::open(bundle_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!root) return Error::from_errno("open " + bundle_root);
    UniqueFd dir(::openat(root.get(), container_id.c_str(),
                          O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!dir) {
        if (errno == ENOENT) return {};
        return Error::from_errno("open bundle " + container_id);
    }
    // A bundle is flat: config.json (and, after a crash, its temp file). Remove every entry;
    // a subdirectory is not ours and makes the removal fail.
    DIR* d = ::fdopendir(::dup(dir.get()));
    if (d == nullptr) return Error::from_errno("list bundle " + container_id);
    std::vector<std::string> names;
    while (auto* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    for (const auto& name : names) {
        if (::unlinkat(dir.get(), name.c_str(), 0) != 0 && errno != ENOENT)
            return Error::from_errno("remove " + container_id + "/" + name);
    }
    if (::unlinkat(root.get(), container_id.c_str(), AT_REMOVEDIR) != 0)
        return Error::from_errno("remove bundle " + container_id);
    return {};
}

}  // namespace closedpaw::broker
