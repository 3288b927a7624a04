#include "executor.hpp"

#include "daemons/broker/client/broker_client.hpp"

namespace closedpaw::front {

Executor::Executor(std::string broker_socket, unsigned workers, Done done)
    : socket_(std::move(broker_socket)), done_(std::move(done)) {
    for (unsigned i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
}

Executor::~Executor() {
    {
        std::lock_guard l(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
}

void Executor::submit(SkillRun run) {
    {
        std::lock_guard l(mutex_);
        auto& mine = queues_[run.owner];
        if (mine.empty()) turns_.push_back(run.owner);
        mine.push_back(std::move(run));
    }
    cv_.notify_one();
}

void Executor::work() {
    for (;;) {
        SkillRun run;
        {
            std::unique_lock l(mutex_);
            cv_.wait(l, [&] { return stopping_ || !turns_.empty(); });
            if (stopping_) return;
            const uid_t owner = turns_.front();
            turns_.pop_front();
            auto& mine = queues_[owner];
            run = std::move(mine.front());
            mine.pop_front();
            if (mine.empty())
                queues_.erase(owner);
            else
                turns_.push_back(owner);  // back of the line for this owner's next run
        }
        done_(run.action_id, execute(run));
    }
}

namespace {
broker::RunRequest run_request(const SkillRun& run) {
    broker::RunRequest req;
    req.skill = run.skill;
    req.operation = run.operation;
    req.params = run.params;
    req.workspace = run.workspace;
    return req;
}
}  // namespace

Result<void> request_fits(const SkillRun& run) {
    const std::size_t size =
        broker::encode_request(broker::Request{broker::Verb::Run, run_request(run), {}}).size();
    if (size > broker::kMaxRequestBytes)
        return make_error(Errc::LimitExceeded,
                          "the parameters make a sandbox request of " + std::to_string(size) +
                              " bytes; the broker takes at most " +
                              std::to_string(broker::kMaxRequestBytes) + ", so it could not run");
    return {};
}

SkillOutcome Executor::execute(const SkillRun& run) const {
    SkillOutcome out;
    auto client = broker::BrokerClient::open(socket_);
    if (!client) {
        out.error =
            "the sandbox broker is not reachable at " + socket_ + ": " + client.error().message;
        return out;
    }
    auto r = client->run(run_request(run));
    if (!r) {
        out.error = "the broker failed: " + r.error().message;
        return out;
    }
    const auto& res = *r;
    out.result = {{"run_id", res.run_id},           {"runtime", res.runtime},
                  {"exit_code", res.exit_code},     {"signal", res.signal},
                  {"timed_out", res.timed_out},     {"cancelled", res.cancelled},
                  {"duration_ms", res.duration_ms}, {"reply", res.reply},
                  {"stderr_tail", res.stderr_tail}};
    if (!res.ok()) {
        out.error = "the broker refused the run (" + res.error + "): " + res.message;
        return out;
    }
    if (res.timed_out) {
        // A reply before the kill means the work may well be done: say so, not just "failed".
        out.error = res.reply.is_object()
                        ? std::string("the skill replied (") +
                              (res.reply.value("success", false) ? "success" : "failure") +
                              ") but did not exit within its time limit and was killed; what "
                              "it did may have been done"
                        : "the skill ran past its time limit and was killed";
        return out;
    }
    if (res.reply.is_null()) {
        out.error = "the skill gave no usable reply (" +
                    (res.signal != 0 ? "killed by signal " + std::to_string(res.signal)
                                     : "exit " + std::to_string(res.exit_code)) +
                    "): " + res.reply_error;
        return out;
    }
    if (!res.reply.value("success", false)) {
        auto e = res.reply.value("error", nlohmann::json());
        out.error = e.is_string() ? e.get<std::string>() : "the skill reported failure";
        return out;
    }
    out.success = true;
    return out;
}

std::string Executor::runtime() const {
    auto client = broker::BrokerClient::open(socket_);
    if (!client) return "unavailable: " + client.error().message;
    auto st = client->status();
    if (!st) return "unavailable: " + st.error().message;
    return st->runtime == "none" ? "none: " + st->runtime_detail : st->runtime;
}

}  // namespace closedpaw::front
