// The SandboxManager's start-up work (stale clean-up, runtime probe) and its host-side
// helpers (workspaces, cgroups).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "bundle_builder.hpp"
#include "sandbox_manager.hpp"
#include "sandbox_run.hpp"

namespace closedpaw::broker {

namespace {

constexpr int kControlTimeoutMs = 20000;
constexpr int kProbeTimeoutMs = 30000;
constexpr const char* kProbeExpected = "closedpaw-sandbox-probe ok uid=65534";

std::vector<std::string> subdirectories(const std::string& path) {
    std::vector<std::string> out;
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) return out;
    while (auto* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != ".." && e->d_type == DT_DIR) out.push_back(n);
    }
    ::closedir(d);
    return out;
}

std::string drain(int fd) {
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0 && s.size() < 65536)
        s.append(buf, static_cast<std::size_t>(n));
    return s;
}

}  // namespace

Result<LaunchEvent> SandboxManager::control_sync(const RuntimeBackend& rt, ControlOp op,
                                                 const std::string& id) {
    std::uint64_t tag = next_tag_++;
    CP_TRY(launcher_.control(tag, rt.name(), op, id));
    std::vector<LaunchEvent> deferred;
    auto e = launcher_.wait_for(tag, kControlTimeoutMs, &deferred);
    for (const auto& d : deferred) handle_event(d);
    return e;
}

std::vector<std::string> SandboxManager::clean_stale(
    const std::vector<const RuntimeBackend*>& backends) {
    std::vector<std::string> notes;
    cgroup_roots_ = {"/sys/fs/cgroup"};
    for (const auto& d : subdirectories("/sys/fs/cgroup"))
        cgroup_roots_.push_back("/sys/fs/cgroup/" + d);

    std::vector<std::string> bundles;
    for (const auto& name : subdirectories(config_.bundle_dir()))
        if (valid_container_id(name)) bundles.push_back(name);

    for (const RuntimeBackend* rt : backends) {
        if (::access(rt->binary().c_str(), X_OK) != 0) continue;
        if (auto r = ensure_directory(config_.runtime_state_dir(rt->name()), 0700); !r) {
            notes.push_back(rt->name() + ": " + r.error().message);
            continue;
        }
        std::vector<std::string> listed_ids;
        auto listed = control_sync(*rt, ControlOp::List, "");
        if (listed && listed->kind == LaunchEvent::Kind::Exited)
            listed_ids = parse_container_list(listed->output);
        // Containers the runtime knows, and any whose bundle survived (the runtime may have
        // lost its state); delete --force is harmless on an id it does not know.
        std::vector<std::string> ids = listed_ids;
        for (const auto& b : bundles)
            if (std::find(ids.begin(), ids.end(), b) == ids.end()) ids.push_back(b);
        for (const auto& id : ids) {
            auto del = control_sync(*rt, ControlOp::Delete, id);
            bool ok = del && del->kind == LaunchEvent::Kind::Exited &&
                      WIFEXITED(del->wait_status) && WEXITSTATUS(del->wait_status) == 0;
            bool was_listed =
                std::find(listed_ids.begin(), listed_ids.end(), id) != listed_ids.end();
            if (was_listed)
                notes.push_back((ok ? "deleted stale " : "could not delete stale ") + rt->name() +
                                " container " + id);
        }
    }
    for (const auto& id : bundles) {
        if (auto r = remove_bundle(config_.bundle_dir(), id); r)
            notes.push_back("removed stale bundle " + id);
        else
            notes.push_back(r.error().message);
    }
    for (const auto& root : cgroup_roots_) {
        for (const auto& id : subdirectories(root + "/" + config_.cgroup_parent))
            if (valid_container_id(id)) remove_cgroups(id);
    }
    return notes;
}

void SandboxManager::remove_cgroups(const std::string& container_id) {
    constexpr int kAttempts = 100;  // 20 s at 200 ms
    for (const auto& root : cgroup_roots_) {
        std::string dir = root + "/" + config_.cgroup_parent + "/" + container_id;
        // ENOENT is the normal case (the runtime removed it); EBUSY means its processes are
        // still being torn down after a forced delete: try again shortly.
        if (::rmdir(dir.c_str()) != 0 && errno == EBUSY) busy_cgroups_[dir] = kAttempts;
    }
    if (!busy_cgroups_.empty() && cgroup_timer_ == 0)
        cgroup_timer_ = loop_.add_timer(
            std::chrono::milliseconds(200), [this] { retry_busy_cgroups(); }, /* repeat= */ true);
}

void SandboxManager::retry_busy_cgroups() {
    for (auto it = busy_cgroups_.begin(); it != busy_cgroups_.end();) {
        bool gone = ::rmdir(it->first.c_str()) == 0 || errno != EBUSY;
        it = (gone || --it->second <= 0) ? busy_cgroups_.erase(it) : std::next(it);
    }
    if (busy_cgroups_.empty()) {
        loop_.cancel_timer(cgroup_timer_);
        cgroup_timer_ = 0;
    }
}

Result<std::string> SandboxManager::prepare_workspace(const std::string& id) {
    if (!valid_workspace_id(id)) return make_error(Errc::InvalidArgument, "bad workspace id");
    std::string path = config_.workspace_root + "/" + id;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return make_error(Errc::InvalidArgument, "workspace " + id + " is not a directory");
        return path;
    }
    if (errno != ENOENT) return Error::from_errno("workspace " + id);
    // New workspaces belong to the sandbox user, private to it: fit for reading and writing.
    if (::mkdir(path.c_str(), 0700) != 0) return Error::from_errno("create workspace " + id);
    if (::chown(path.c_str(), kSandboxUid, kSandboxGid) != 0)
        return Error::from_errno("chown workspace " + id);
    return path;
}

std::string SandboxManager::probe(const RuntimeBackend& rt) {
    SkillManifest m;
    std::filesystem::path exe(config_.probe_executable);
    m.id = "probe";
    m.executable = exe.filename().string();
    m.directory = exe.parent_path().string();
    m.limits.timeout_ms = kProbeTimeoutMs;
    BundleSpec spec;
    spec.container_id = "cp-probe-" + std::to_string(::getpid());
    spec.manifest = &m;
    spec.limits = m.limits;
    spec.cgroup_parent = config_.cgroup_parent;
    spec.memory_overhead_bytes = std::uint64_t{config_.sandbox_memory_overhead_mb} << 20;
    spec.pids_overhead = config_.sandbox_pids_overhead;
    spec.seccomp = rt.applies_oci_seccomp() ? &seccomp_ : nullptr;
    if (::access(config_.probe_executable.c_str(), X_OK) != 0)
        return "probe executable " + config_.probe_executable + " is missing";
    auto bundle = write_bundle(config_.bundle_dir(), spec);
    if (!bundle) return "cannot build the probe bundle: " + bundle.error().message;

    int out[2], err[2];
    UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return "pipe failed";
    UniqueFd out_r(out[0]), out_w(out[1]), err_r(err[0]), err_w(err[1]);
    std::uint64_t tag = next_tag_++;
    std::string failure;
    if (auto r = launcher_.run(tag, rt.name(), spec.container_id, *bundle, null.get(), out_w.get(),
                               err_w.get());
        !r) {
        failure = r.error().message;
    } else {
        out_w.reset();
        err_w.reset();
        std::vector<LaunchEvent> deferred;
        auto e = launcher_.wait_for(tag, kProbeTimeoutMs, &deferred);
        ::fcntl(out_r.get(), F_SETFL, O_NONBLOCK);
        ::fcntl(err_r.get(), F_SETFL, O_NONBLOCK);
        std::string text = drain(out_r.get()), errtext = drain(err_r.get());
        if (errtext.size() > 300) errtext = errtext.substr(errtext.size() - 300);
        if (!e) {
            failure = e.error().message;
        } else if (e->kind != LaunchEvent::Kind::Exited) {
            failure = e->message;
        } else if (!WIFEXITED(e->wait_status) || WEXITSTATUS(e->wait_status) != 0) {
            failure = "probe container failed (wait status " + std::to_string(e->wait_status) +
                      "): " + errtext;
        } else if (text.find(kProbeExpected) == std::string::npos) {
            failure = "probe container did not answer as expected: " + text + errtext;
        }
    }
    if (!failure.empty()) (void)control_sync(rt, ControlOp::Delete, spec.container_id);
    (void)remove_bundle(config_.bundle_dir(), spec.container_id);
    remove_cgroups(spec.container_id);
    return failure;
}

void SandboxManager::detect_runtime(const std::vector<const RuntimeBackend*>& candidates) {
    runtime_ = nullptr;
    std::string detail;
    for (const RuntimeBackend* rt : candidates) {
        if (!detail.empty()) detail += "; ";
        if (::access(rt->binary().c_str(), X_OK) != 0) {
            detail += rt->name() + ": " + rt->binary() + " is not installed";
            continue;
        }
        std::string failure = probe(*rt);
        if (failure.empty()) {
            runtime_ = rt;
            runtime_detail_ = rt->name() + ": probe container ran";
            return;
        }
        detail += rt->name() + ": " + failure;
    }
    runtime_detail_ = detail.empty() ? "no runtime configured" : detail;
}

}  // namespace closedpaw::broker
