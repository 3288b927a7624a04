// Every action goes parse → validate → classify → (approve) → execute → audit, here.
// Replies and execution wait for the batch they belong to to be durable: changes are queued in
// the action store and the audit log, flush() (run by the loop once it has drained its input)
// commits both with one fdatasync each, then replies and starts execution. If the audit write
// fails, nothing in the batch executes and every caller gets the error.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "action.hpp"
#include "action_store.hpp"
#include "audit_log.hpp"
#include "common/bus_caller.hpp"
#include "executor.hpp"
#include "front_config.hpp"
#include "policy.hpp"
#include "rate_limiter.hpp"
#include "skill_registry.hpp"

namespace closedpaw::front {

// The prompt-injection defender's verdict on one text (input: what a caller sent; output:
// what a skill returned, which would reach the model). Verdicts only ever raise a level.
struct TextVerdict {
    bool flagged = false;
    double score = 0.0;
    RiskLevel level = RiskLevel::Low;
    std::vector<std::string> categories;
};
using TextScan = std::function<TextVerdict(std::string_view text, bool output)>;

class ActionManager {
  public:
    ActionManager(FrontConfig config, Policy policy, ActionStore store, AuditLog audit,
                  SkillRegistry skills);

    void set_executor(Executor* executor) { executor_ = executor; }
    void set_text_scan(TextScan scan) { text_scan_ = std::move(scan); }
    void on_action_changed(std::function<void(const Action&)> fn) { changed_ = std::move(fn); }
    // Medium-risk actions that run without approval (DESIGN §4: they also notify).
    void on_notice(std::function<void(const Action&, const std::string& summary)> fn) { notice_ = std::move(fn); }
    // After a restart: actions caught executing are failed (they may or may not have run).
    void recover();

    using ActionDone = std::function<void(Result<Action>)>;
    using VoidDone = std::function<void(Result<void>)>;
    void submit(const BusCaller& c, const std::string& type, const std::string& skill,
                nlohmann::json params, ActionDone done);
    void approve(const BusCaller& c, const std::string& id, const std::string& digest,
                 VoidDone done);
    void reject(const BusCaller& c, const std::string& id, const std::string& reason,
                VoidDone done);
    void set_skill_enabled(const BusCaller& c, const std::string& id, bool enabled, VoidDone done);
    void executed(const std::string& id, SkillOutcome outcome);
    void expire_due();

    Result<Action> get(const BusCaller& c, const std::string& id) const;
    Result<std::vector<Action>> list(const BusCaller& c, const std::string& status_filter) const;
    Result<std::vector<nlohmann::json>> audit_entries(const BusCaller& c, std::uint64_t after,
                                                      std::uint32_t limit) const;
    Result<AuditVerification> verify_audit(const BusCaller& c) const;
    const SkillRegistry& skills() const { return skills_; }
    const Policy& policy() const { return policy_; }
    std::uint32_t pending_count() const;

    // Commits queued changes, then replies, signals and starts execution.
    void flush();

  private:
    struct Continuation {
        std::function<void(const Result<void>&)> fn;
    };
    Result<Action> create(const BusCaller& c, const std::string& type, const std::string& skill,
                          nlohmann::json params);
    void record(const Action& a, const std::string& event, uid_t by, const std::string& outcome,
                nlohmann::json details = nlohmann::json::object());
    void refuse(const BusCaller& c, const std::string& event, const std::string& action_id,
                const Error& e);
    void change(Action a, const std::string& event, uid_t by, const std::string& outcome);
    void start(const Action& a);

    FrontConfig config_;
    Policy policy_;
    ActionStore store_;
    AuditLog audit_;
    SkillRegistry skills_;
    RateLimiter limiter_;
    Executor* executor_ = nullptr;
    TextScan text_scan_;
    // The strongest verdict over every string in value (each scanned on its own).
    std::optional<TextVerdict> scan_strings(const nlohmann::json& value, bool output) const;
    std::function<void(const Action&)> changed_;
    std::function<void(const Action&, const std::string&)> notice_;
    std::vector<std::pair<std::string, std::string>> notices_;  // id, summary; sent after commit
    std::vector<Continuation> after_commit_;
    std::vector<std::string> changed_ids_;
    std::vector<std::string> to_start_;
    std::optional<Error> audit_failure_;  // from the queued appends of this batch
    nlohmann::json injection_;  // verdict of the action being created, for its audit entry
};

}  // namespace closedpaw::front
