// One run's state, shared by the SandboxManager's files.
#pragma once

#include <chrono>
#include <string>

#include "common/fd.hpp"
#include "sandbox_manager.hpp"

namespace closedpaw::broker {

struct SandboxManager::Run {
    std::string id;            // run id, given to the client
    std::string container_id;  // "cp-" + id
    RunRequest request;
    SkillManifest manifest;
    SkillLimits limits;
    std::size_t stdout_cap = kMaxStdoutBytes;
    std::string workspace_host;
    bool workspace_writable = false;
    Started on_started;
    Done done;
    Clock::time_point submitted = Clock::now();
    Clock::time_point launched;

    std::uint64_t run_tag = 0;
    std::uint64_t delete_tag = 0;
    std::string stdin_data;
    std::size_t stdin_off = 0;
    UniqueFd stdin_w, stdout_r, stderr_r;
    std::string out, err;
    bool stdout_truncated = false;

    bool launched_ok = false;
    bool exited = false;
    bool deleting = false;
    bool delete_done = false;
    bool timed_out = false;
    bool cancelled = false;
    std::string failure;  // set when the sandbox could not be run
    int wait_status = 0;
    Resources usage;
    EventLoop::TimerId timer = 0;
};

}  // namespace closedpaw::broker
