// Runs skill actions through the broker on worker threads (a sandboxed run takes 100+ ms and
// must not stall the bus), and hands each outcome back to the event loop.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/result.hpp"

namespace closedpaw::front {

struct SkillRun {
    std::string action_id;
    std::string skill;
    std::string operation;
    nlohmann::json params;
    std::string workspace;
    uid_t owner = 0;  // who submitted it: runs are taken in turn between owners
};

struct SkillOutcome {
    bool success = false;
    std::string error;      // why it failed, for people
    nlohmann::json result;  // what to store on the action (broker result, skill reply)
};

// Whether the run, as the broker would receive it, fits the broker's request cap. closedpawd
// asks at submission, so an action too large to run is refused before anyone approves it.
Result<void> request_fits(const SkillRun& run);

class Executor {
  public:
    using Done = std::function<void(const std::string& action_id, SkillOutcome outcome)>;
    // done is called on a worker thread; the caller posts it to its loop.
    Executor(std::string broker_socket, unsigned workers, Done done);
    ~Executor();

    void submit(SkillRun run);  // taken in turn between owners, in order for each owner
    // Asks the broker what runtime it has ("none" or a reason when it is unreachable).
    std::string runtime() const;

  private:
    void work();
    SkillOutcome execute(const SkillRun& run) const;

    std::string socket_;
    Done done_;
    std::mutex mutex_;
    std::condition_variable cv_;
    // Runs waiting, per owner, and the owners in turn: one user's queue of slow runs delays
    // another user's next run by at most one run per worker, not by the whole queue.
    std::map<uid_t, std::deque<SkillRun>> queues_;
    std::deque<uid_t> turns_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace closedpaw::front
