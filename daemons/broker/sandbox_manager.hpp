// SandboxManager owns every run: validation against the skill's manifest, the bounded queue,
// bundle, pipes, the time limit, cancellation, clean-up and the structured result. It is
// driven by the broker's event loop and talks to the runtime only through the Launcher.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "broker_config.hpp"
#include "common/event_loop.hpp"
#include "common/skill_manifest.hpp"
#include "launcher.hpp"
#include "protocol.hpp"
#include "runtime.hpp"

namespace closedpaw::broker {

class SandboxManager {
  public:
    using Started = std::function<void(const std::string& run_id)>;
    using Done = std::function<void(const RunResult& result)>;

    SandboxManager(const BrokerConfig& config, EventLoop& loop, Launcher& launcher,
                   nlohmann::json sandbox_seccomp);
    ~SandboxManager();
    SandboxManager(const SandboxManager&) = delete;
    SandboxManager& operator=(const SandboxManager&) = delete;

    // Start-up, before serving: delete containers, bundles and cgroups left by a crash, then
    // pick the runtime by running the probe container in each candidate. Returns what happened.
    std::vector<std::string> clean_stale(const std::vector<const RuntimeBackend*>& backends);
    void detect_runtime(const std::vector<const RuntimeBackend*>& candidates);

    // Validates and queues or starts a run. done is called exactly once (possibly before
    // submit returns, for a refusal); started when the sandbox is launched. Returns the run
    // id, or "" when the request was refused.
    std::string submit(const RunRequest& request, Started started, Done done);
    bool cancel(const std::string& run_id);
    std::vector<SandboxInfo> list() const;
    BrokerStatus status() const;
    std::string runtime_name() const { return runtime_ ? runtime_->name() : "none"; }
    std::uint32_t running_count() const { return static_cast<std::uint32_t>(running_.size()); }

    // Kills and removes every sandbox (on shutdown); queued runs get "shutting_down".
    void shutdown();

  private:
    struct Run;
    using Clock = std::chrono::steady_clock;

    // Validates request against the skill's manifest; null (and refused filled in) if refused.
    std::unique_ptr<Run> prepare(const RunRequest& request, RunResult& refused);
    void start(std::unique_ptr<Run> run);
    void on_launcher_event();
    void handle_event(const LaunchEvent& e);
    void stop_run(Run& run);  // SIGKILL + forced delete
    void watch_pipes(Run& run);
    void write_stdin(Run& run);
    void read_pipe(Run& run, bool is_stdout);
    void maybe_finish(Run& run);
    void finish(const std::string& run_id);
    void start_queued();
    RunResult compose_result(Run& run);
    Result<std::string> prepare_workspace(const std::string& id);
    void remove_cgroups(const std::string& container_id);
    Result<LaunchEvent> control_sync(const RuntimeBackend& rt, ControlOp op, const std::string& id);
    std::string probe(const RuntimeBackend& rt);

    const BrokerConfig& config_;
    EventLoop& loop_;
    Launcher& launcher_;
    nlohmann::json seccomp_;
    const RuntimeBackend* runtime_ = nullptr;
    std::string runtime_detail_ = "not probed yet";
    std::vector<std::string> cgroup_roots_;  // one per mounted controller hierarchy
    // cgroup directories still busy with dying runtime processes: retried from a timer.
    std::map<std::string, int> busy_cgroups_;  // path → attempts left
    EventLoop::TimerId cgroup_timer_ = 0;
    void retry_busy_cgroups();

    std::map<std::string, std::unique_ptr<Run>> running_;  // by run id
    std::deque<std::unique_ptr<Run>> queue_;
    std::map<std::uint64_t, std::string> tags_;  // launcher tag → run id
    std::uint64_t next_tag_ = 1;
    std::uint64_t runs_total_ = 0;
};

}  // namespace closedpaw::broker
