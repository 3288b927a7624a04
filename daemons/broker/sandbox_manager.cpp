#include "sandbox_manager.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "bundle_builder.hpp"
#include "sandbox_run.hpp"

namespace closedpaw::broker {

using nlohmann::json;

namespace {

std::string new_run_id() {
    static std::mt19937_64 rng{std::random_device{}()};
    static std::uint64_t counter = 0;
    static const char* hex = "0123456789abcdef";
    std::string s = "r" + std::to_string(++counter) + "-";
    auto v = rng();
    for (int i = 0; i < 12; ++i, v >>= 4) s += hex[v & 0xf];
    return s;
}

RunResult refusal(std::string_view code, std::string message) {
    RunResult r;
    r.error = std::string(code);
    r.message = std::move(message);
    return r;
}

std::uint64_t ms_since(std::chrono::steady_clock::time_point t) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t)
            .count());
}

}  // namespace

SandboxManager::SandboxManager(const BrokerConfig& config, EventLoop& loop, Launcher& launcher,
                               json sandbox_seccomp)
    : config_(config), loop_(loop), launcher_(launcher), seccomp_(std::move(sandbox_seccomp)) {
    loop_.watch_fd(launcher_.fd(), POLLIN, [this](short) { on_launcher_event(); });
}

SandboxManager::~SandboxManager() {
    loop_.unwatch_fd(launcher_.fd());
}

// ---- submit: parse is done; validate against the manifest, then queue -------------------

std::unique_ptr<SandboxManager::Run> SandboxManager::prepare(const RunRequest& req,
                                                             RunResult& refused) {
    auto fail = [&](std::string_view code, const std::string& msg) {
        refused = refusal(code, msg);
        return nullptr;
    };
    auto manifest = load_skill_manifest(config_.skill_dir + "/" + req.skill);
    if (!manifest)
        return fail(errors::kUnknownSkill,
                    "skill '" + req.skill + "' cannot be loaded: " + manifest.error().message);
    bool disabled_by_config =
        std::find(config_.disabled_skills.begin(), config_.disabled_skills.end(), req.skill) !=
        config_.disabled_skills.end();
    if (!manifest->enabled || disabled_by_config)
        return fail(errors::kSkillDisabled, "skill '" + req.skill + "' is disabled");
    const SkillOperation* op = manifest->find_operation(req.operation);
    if (op == nullptr)
        return fail(errors::kUndeclaredOperation,
                    "skill '" + req.skill + "' declares no operation '" + req.operation + "'");
    auto run = std::make_unique<Run>();
    if (manifest->workspace == WorkspaceAccess::None) {
        if (!req.workspace.empty())
            return fail(errors::kBadWorkspace, "skill '" + req.skill + "' takes no workspace");
    } else {
        if (req.workspace.empty())
            return fail(errors::kBadWorkspace, "skill '" + req.skill + "' needs a workspace");
        run->workspace_writable = op->writes && manifest->workspace == WorkspaceAccess::ReadWrite;
    }
    run->limits = req.limits.apply_to(manifest->limits);
    run->stdout_cap = std::min<std::size_t>(run->limits.output_bytes, kMaxStdoutBytes);
    json stdin_json{
        {"operation", req.operation}, {"params", req.params}, {"settings", manifest->settings}};
    run->stdin_data = stdin_json.dump(-1, ' ', false, json::error_handler_t::replace);
    run->id = new_run_id();
    run->container_id = "cp-" + run->id;
    run->request = req;
    run->manifest = std::move(*manifest);
    return run;
}

std::string SandboxManager::submit(const RunRequest& request, Started started, Done done) {
    if (runtime_ == nullptr) {
        done(refusal(errors::kNoRuntime, "no sandbox runtime is usable: " + runtime_detail_));
        return {};
    }
    RunResult refused;
    auto run = prepare(request, refused);
    if (!run) {
        done(refused);
        return {};
    }
    run->on_started = std::move(started);
    run->done = std::move(done);
    std::string id = run->id;
    if (running_.size() < config_.max_concurrent) {
        start(std::move(run));
        return id;
    }
    if (queue_.size() < config_.max_queued) {
        queue_.push_back(std::move(run));
        return id;
    }
    run->done(refusal(errors::kBusy, "all " + std::to_string(config_.max_concurrent) +
                                         " sandboxes are busy and the queue of " +
                                         std::to_string(config_.max_queued) + " is full"));
    return {};
}

// ---- start: workspace, bundle, pipes, launch -----------------------------------------------

void SandboxManager::start(std::unique_ptr<Run> owned) {
    Run& run = *owned;
    running_[run.id] = std::move(owned);
    ++runs_total_;
    auto fail_now = [&](const std::string& why) {
        run.failure = why;
        run.exited = true;
        finish(run.id);
    };

    if (run.manifest.workspace != WorkspaceAccess::None) {
        auto ws = prepare_workspace(run.request.workspace);
        if (!ws) return fail_now(ws.error().message);
        run.workspace_host = *ws;
    }
    BundleSpec spec;
    spec.container_id = run.container_id;
    spec.manifest = &run.manifest;
    spec.limits = run.limits;
    spec.workspace_host = run.workspace_host;
    spec.workspace_writable = run.workspace_writable;
    spec.cgroup_parent = config_.cgroup_parent;
    spec.memory_overhead_bytes = std::uint64_t{config_.sandbox_memory_overhead_mb} << 20;
    spec.pids_overhead = config_.sandbox_pids_overhead;
    spec.seccomp = runtime_->applies_oci_seccomp() ? &seccomp_ : nullptr;
    auto bundle = write_bundle(config_.bundle_dir(), spec);
    if (!bundle) return fail_now("cannot build the bundle: " + bundle.error().message);

    // Fresh pipes for the runtime's stdio (runsc makes them non-blocking; never share ours).
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) != 0) return fail_now("pipe failed");
    UniqueFd in_r(in[0]);
    run.stdin_w.reset(in[1]);
    if (::pipe2(out, O_CLOEXEC) != 0) return fail_now("pipe failed");
    run.stdout_r.reset(out[0]);
    UniqueFd out_w(out[1]);
    if (::pipe2(err, O_CLOEXEC) != 0) return fail_now("pipe failed");
    run.stderr_r.reset(err[0]);
    UniqueFd err_w(err[1]);
    for (int fd : {run.stdin_w.get(), run.stdout_r.get(), run.stderr_r.get()})
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);

    run.run_tag = next_tag_++;
    tags_[run.run_tag] = run.id;
    run.launched = Clock::now();
    auto sent = launcher_.run(run.run_tag, runtime_->name(), run.container_id, *bundle, in_r.get(),
                              out_w.get(), err_w.get());
    if (!sent) return fail_now("cannot reach the launcher: " + sent.error().message);
    watch_pipes(run);
    const std::string id = run.id;
    run.timer = loop_.add_timer(std::chrono::milliseconds(run.limits.timeout_ms), [this, id] {
        auto it = running_.find(id);
        if (it == running_.end()) return;
        it->second->timer = 0;
        it->second->timed_out = true;
        stop_run(*it->second);
    });
    if (run.on_started) run.on_started(run.id);
}

void SandboxManager::watch_pipes(Run& run) {
    const std::string id = run.id;
    loop_.watch_fd(run.stdin_w.get(), POLLOUT, [this, id](short) {
        if (auto it = running_.find(id); it != running_.end()) write_stdin(*it->second);
    });
    loop_.watch_fd(run.stdout_r.get(), POLLIN, [this, id](short) {
        if (auto it = running_.find(id); it != running_.end()) read_pipe(*it->second, true);
    });
    loop_.watch_fd(run.stderr_r.get(), POLLIN, [this, id](short) {
        if (auto it = running_.find(id); it != running_.end()) read_pipe(*it->second, false);
    });
}

void SandboxManager::write_stdin(Run& run) {
    while (run.stdin_w && run.stdin_off < run.stdin_data.size()) {
        ssize_t n = ::write(run.stdin_w.get(), run.stdin_data.data() + run.stdin_off,
                            run.stdin_data.size() - run.stdin_off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) break;  // EPIPE: the skill stopped reading; that is its business
        run.stdin_off += static_cast<std::size_t>(n);
    }
    loop_.unwatch_fd(run.stdin_w.get());
    run.stdin_w.reset();  // EOF tells the skill the request is complete
}

void SandboxManager::read_pipe(Run& run, bool is_stdout) {
    UniqueFd& fd = is_stdout ? run.stdout_r : run.stderr_r;
    char buf[16384];
    while (fd) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) {
            loop_.unwatch_fd(fd.get());
            fd.reset();
            return;
        }
        auto len = static_cast<std::size_t>(n);
        if (is_stdout) {
            // Keep reading past the cap (so the skill never blocks), but keep nothing more.
            std::size_t room = run.stdout_cap - std::min(run.stdout_cap, run.out.size());
            if (len > room) run.stdout_truncated = true;
            run.out.append(buf, std::min(len, room));
        } else {
            run.err.append(buf, len);
            if (run.err.size() > 2 * kStderrTailBytes)
                run.err.erase(0, run.err.size() - kStderrTailBytes);
        }
    }
}

// ---- stopping and the launcher's events ---------------------------------------------------

void SandboxManager::stop_run(Run& run) {
    if (run.run_tag != 0) (void)launcher_.kill(run.run_tag);
    if (run.deleting) return;
    run.deleting = true;
    run.delete_tag = next_tag_++;
    tags_[run.delete_tag] = run.id;
    if (!launcher_.control(run.delete_tag, runtime_->name(), ControlOp::Delete, run.container_id))
        run.delete_done = true;
}

bool SandboxManager::cancel(const std::string& run_id) {
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
        if ((*it)->id != run_id) continue;
        auto run = std::move(*it);
        queue_.erase(it);
        RunResult r = refusal("", "");
        r.run_id = run->id;
        r.cancelled = true;
        r.message = "cancelled before it started";
        run->done(r);
        return true;
    }
    auto it = running_.find(run_id);
    if (it == running_.end()) return false;
    it->second->cancelled = true;
    stop_run(*it->second);
    return true;
}

void SandboxManager::on_launcher_event() {
    auto e = launcher_.read_event();
    if (!e) {
        // Without the launcher no sandbox can run or be stopped: fail closed, loudly.
        runtime_detail_ = "the sandbox launcher died: " + e.error().message;
        runtime_ = nullptr;
        loop_.unwatch_fd(launcher_.fd());
        for (auto& [id, run] : running_) {
            run->failure = runtime_detail_;
            run->exited = run->delete_done = true;
        }
        std::vector<std::string> ids;
        for (auto& [id, run] : running_) ids.push_back(id);
        for (const auto& id : ids) finish(id);
        return;
    }
    handle_event(*e);
}

void SandboxManager::handle_event(const LaunchEvent& e) {
    auto t = tags_.find(e.tag);
    if (t == tags_.end()) return;
    auto it = running_.find(t->second);
    if (it == running_.end()) {
        tags_.erase(t);
        return;
    }
    Run& run = *it->second;
    if (e.kind == LaunchEvent::Kind::Started) {
        if (e.tag == run.run_tag) run.launched_ok = true;
        return;
    }
    tags_.erase(t);
    if (e.tag == run.delete_tag) {
        run.delete_done = true;
    } else {
        run.exited = true;
        if (e.kind == LaunchEvent::Kind::Failed) {
            run.failure = "the launcher refused the run: " + e.message;
        } else {
            run.wait_status = e.wait_status;
            run.usage = e.usage;
        }
        // A runtime that died by a signal or failed may leave its sandbox behind.
        bool clean_exit = e.kind == LaunchEvent::Kind::Exited && WIFEXITED(e.wait_status) &&
                          WEXITSTATUS(e.wait_status) != 128;
        if (!clean_exit) stop_run(run);
    }
    maybe_finish(run);
}

void SandboxManager::maybe_finish(Run& run) {
    if (run.exited && (!run.deleting || run.delete_done)) finish(run.id);
}

void SandboxManager::finish(const std::string& run_id) {
    auto it = running_.find(run_id);
    if (it == running_.end()) return;
    std::unique_ptr<Run> owned = std::move(it->second);
    running_.erase(it);
    Run& run = *owned;
    if (run.timer != 0) loop_.cancel_timer(run.timer);
    // Whatever the skill wrote before it ended is in the pipes now; take it, then close.
    if (run.stdout_r) read_pipe(run, true);
    if (run.stderr_r) read_pipe(run, false);
    for (UniqueFd* fd : {&run.stdin_w, &run.stdout_r, &run.stderr_r}) {
        if (*fd) loop_.unwatch_fd(fd->get());
        fd->reset();
    }
    for (auto tag : {run.run_tag, run.delete_tag}) tags_.erase(tag);
    std::string cleanup_error;
    if (auto r = remove_bundle(config_.bundle_dir(), run.container_id); !r)
        cleanup_error = r.error().message;
    remove_cgroups(run.container_id);
    RunResult result = compose_result(run);
    if (!cleanup_error.empty() && result.error.empty()) {
        result.error = std::string(errors::kSandboxFailed);
        result.message = "the run ended but its bundle could not be removed: " + cleanup_error;
    }
    run.done(result);
    start_queued();
}

void SandboxManager::start_queued() {
    while (!queue_.empty() && running_.size() < config_.max_concurrent && runtime_ != nullptr) {
        auto run = std::move(queue_.front());
        queue_.pop_front();
        start(std::move(run));
    }
}

RunResult SandboxManager::compose_result(Run& run) {
    RunResult r;
    r.run_id = run.id;
    r.runtime = runtime_name();
    r.timed_out = run.timed_out;
    r.cancelled = run.cancelled;
    r.duration_ms = run.launched_ok ? ms_since(run.launched) : 0;
    r.stdout_truncated = run.stdout_truncated;
    r.stderr_tail = run.err.size() > kStderrTailBytes
                        ? run.err.substr(run.err.size() - kStderrTailBytes)
                        : run.err;
    if (!run.failure.empty()) {
        r.error = std::string(errors::kSandboxFailed);
        r.message = run.failure;
        return r;
    }
    r.resources = run.usage;
    const int ws = run.wait_status;
    if (WIFSIGNALED(ws)) {
        r.signal = WTERMSIG(ws);  // the runtime itself was killed (time limit or cancel)
    } else if (WIFEXITED(ws)) {
        int code = WEXITSTATUS(ws);
        if (code == 128 && !run.timed_out && !run.cancelled) {
            r.error = std::string(errors::kSandboxFailed);
            r.message = "the runtime could not start the sandbox (see stderr_tail)";
        } else if (code > 128 && code <= 128 + 64) {
            r.signal = code - 128;  // runsc reports a signalled container as 128+signal
        } else {
            r.exit_code = code;
        }
    }
    if (run.stdout_truncated) {
        r.reply_error = "the skill wrote more than " + std::to_string(run.stdout_cap) + " bytes";
    } else if (!run.out.empty()) {
        auto parsed = parse_json_bounded(run.out, kMaxJsonDepth);
        if (!parsed) {
            r.reply_error = "the skill's output is not usable JSON: " + parsed.error().message;
        } else if (!parsed->is_object() || !parsed->contains("success") ||
                   !(*parsed)["success"].is_boolean()) {
            r.reply_error = "the skill's output is not an OperationResult (no boolean 'success')";
        } else {
            r.reply = std::move(*parsed);
        }
    } else {
        r.reply_error = "the skill wrote nothing on stdout";
    }
    return r;
}

// ---- queries and shutdown ------------------------------------------------------------------

std::vector<SandboxInfo> SandboxManager::list() const {
    std::vector<SandboxInfo> out;
    for (const auto& [id, run] : running_)
        out.push_back(
            {id, run->request.skill, run->request.operation, "running", ms_since(run->submitted)});
    for (const auto& run : queue_)
        out.push_back({run->id, run->request.skill, run->request.operation, "queued",
                       ms_since(run->submitted)});
    return out;
}

BrokerStatus SandboxManager::status() const {
    BrokerStatus s;
    s.version = CLOSEDPAW_VERSION;
    s.runtime = runtime_name();
    s.runtime_detail = runtime_detail_;
    s.running = static_cast<std::uint32_t>(running_.size());
    s.queued = static_cast<std::uint32_t>(queue_.size());
    s.max_concurrent = config_.max_concurrent;
    s.max_queued = config_.max_queued;
    s.runs_total = runs_total_;
    return s;
}

void SandboxManager::shutdown() {
    while (!queue_.empty()) {
        auto run = std::move(queue_.front());
        queue_.pop_front();
        run->done(refusal(errors::kShuttingDown, "the broker is stopping"));
    }
    std::vector<std::string> ids;
    for (auto& [id, run] : running_) ids.push_back(id);
    for (const auto& id : ids) {
        auto it = running_.find(id);
        if (it == running_.end() || runtime_ == nullptr) continue;
        Run& run = *it->second;
        run.cancelled = true;
        (void)launcher_.kill(run.run_tag);
        (void)control_sync(*runtime_, ControlOp::Delete, run.container_id);
        run.exited = run.delete_done = true;
        run.deleting = false;
        run.failure = "the broker stopped while the sandbox was running";
        finish(id);
    }
}

}  // namespace closedpaw::broker
