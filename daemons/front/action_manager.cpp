#include "action_manager.hpp"

#include <algorithm>

#include "common/log.hpp"

namespace closedpaw::front {

namespace {

bool valid_id(const std::string& id) {
    return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char ch) {
               return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
           });
}

std::string audit_type(const std::string& type) {
    return type.size() <= 64 ? type : type.substr(0, 64) + "…";
}

}  // namespace

ActionManager::ActionManager(FrontConfig config, Policy policy, ActionStore store, AuditLog audit,
                             SkillRegistry skills)
    : config_(std::move(config)),
      policy_(std::move(policy)),
      store_(std::move(store)),
      audit_(std::move(audit)),
      skills_(std::move(skills)),
      limiter_(policy_.per_uid_per_minute, policy_.per_uid_burst, policy_.global_per_minute,
               policy_.global_burst) {}

void ActionManager::record(const Action& a, const std::string& event, uid_t by,
                           const std::string& outcome, nlohmann::json details) {
    AuditEvent e;
    e.action_id = a.id;
    e.type = audit_type(a.type_name);
    e.skill = a.skill;
    e.operation = a.operation;
    e.event = event;
    e.status = std::string(status_name(a.status));
    e.level = std::string(risk_level_name(a.level));
    e.outcome = outcome;
    e.uid = by;
    e.channel_user = a.channel_user;
    e.details = std::move(details);
    auto r = audit_.append(e);
    if (!r && !audit_failure_) audit_failure_ = r.error();
    if (r) {
        log::write(log::Priority::Info,
                   "audit #" + std::to_string(*r) + " " + event + " " + a.id + ": " + outcome,
                   {{"MESSAGE_ID", std::string(log::kAuditId)},
                    {"AUDIT_SEQ", std::to_string(*r)},
                    {"ACTION_ID", a.id},
                    {"ACTION_EVENT", event},
                    {"ACTION_STATUS", std::string(status_name(a.status))},
                    {"ACTION_LEVEL", std::string(risk_level_name(a.level))},
                    {"CALLER_UID", std::to_string(by)}});
    }
}

void ActionManager::refuse(const BusCaller& c, const std::string& event,
                           const std::string& action_id, const Error& err) {
    AuditEvent e;
    e.action_id = action_id;
    e.event = event;
    e.status = "refused";
    e.outcome = std::string(errc_name(err.code)) + ": " + err.message;
    e.uid = c.uid;
    auto r = audit_.append(e);
    if (!r && !audit_failure_) audit_failure_ = r.error();
    log::write(log::Priority::Warning,
               "refused " + event + " from uid " + std::to_string(c.uid) + ": " + err.message,
               {{"MESSAGE_ID", std::string(log::kSecurityEventId)},
                {"CALLER_UID", std::to_string(c.uid)}});
}

void ActionManager::change(Action a, const std::string& event, uid_t by,
                           const std::string& outcome) {
    a.updated_usec = now_usec();
    nlohmann::json details = nlohmann::json::object();
    if (event == "submitted") {
        details = {{"params", AuditLog::redact(a.params)},
                   {"digest", a.digest},
                   {"reason", a.level_reason}};
        // A flagged verdict is audited with its categories and score, never the text.
        if (!injection_.is_null()) {
            details["injection"] = std::exchange(injection_, nlohmann::json());
            details["params"] = AuditLog::shape(a.params);
        }
    }
    if (!a.result.is_null() &&
        (a.status == ActionStatus::Completed || a.status == ActionStatus::Failed)) {
        const auto& reply = a.result.value("reply", nlohmann::json());
        details = {
            {"exit_code", a.result.value("exit_code", -1)},
            {"timed_out", a.result.value("timed_out", false)},
            {"duration_ms", a.result.value("duration_ms", 0)},
            // What the skill says it touched: its claim, not closedpawd's knowledge (the path
            // asked for is in the "submitted" entry's params).
            {"skill_reported_path",
             reply.is_object() ? reply.value("path", nlohmann::json()) : nlohmann::json()},
            {"output_bytes",
             reply.is_object() && reply.contains("data") ? reply["data"].dump().size() : 0}};
    }
    record(a, event, by, outcome, std::move(details));
    store_.put(a);
    changed_ids_.push_back(a.id);
}

std::optional<TextVerdict> ActionManager::scan_strings(const nlohmann::json& value,
                                                       bool output) const {
    if (!text_scan_) return std::nullopt;
    std::optional<TextVerdict> best;
    auto visit = [&](const auto& self, const nlohmann::json& v) -> void {
        if (v.is_string()) {
            auto verdict = text_scan_(v.get_ref<const std::string&>(), output);
            if (!best || verdict.score > best->score) best = std::move(verdict);
        } else if (v.is_structured()) {
            for (const auto& e : v) self(self, e);
        }
    };
    visit(visit, value);
    return best;
}

Result<Action> ActionManager::create(const BusCaller& c, const std::string& type,
                                     const std::string& skill_id, nlohmann::json params) {
    // parse
    if (type.empty() || type.size() > 64)
        return make_error(Errc::InvalidArgument, "action_type must be 1 to 64 characters");
    Action a;
    a.id = new_action_id();
    a.type_name = type;
    a.type = parse_action_type(type);
    a.submitter_uid = c.uid;
    a.submitter_pid = c.pid;
    if (params.contains("channel_user")) {
        if (!params["channel_user"].is_string())
            return make_error(Errc::InvalidArgument, "channel_user must be a string");
        a.channel_user = params["channel_user"].get<std::string>().substr(0, 128);
        params.erase("channel_user");
    }
    // validate
    const SkillManifest* manifest = nullptr;
    if (a.type == ActionType::SkillExecution || a.type == ActionType::FileOperation) {
        if (!params.contains("operation") || !params["operation"].is_string())
            return make_error(Errc::InvalidArgument, "parameters need an 'operation' string");
        a.operation = params["operation"].get<std::string>();
        params.erase("operation");
        a.skill = a.type == ActionType::FileOperation ? std::string(kFilesystemSkill) : skill_id;
        if (a.type == ActionType::FileOperation && !skill_id.empty() && skill_id != kFilesystemSkill)
            return make_error(Errc::InvalidArgument,
                              "file_operation runs the filesystem skill; leave skill_id empty");
        if (!valid_skill_id(a.skill))
            return make_error(Errc::InvalidArgument,
                              "'" + a.skill.substr(0, 64) + "' is not a skill id");
        manifest = skills_.find(a.skill);
        if (manifest == nullptr)
            return make_error(Errc::NotFound, "no skill '" + a.skill + "' is installed");
        if (!skills_.enabled(*manifest))
            return make_error(Errc::Unavailable, "skill '" + a.skill + "' is disabled");
        if (manifest->find_operation(a.operation) == nullptr)
            return make_error(Errc::InvalidArgument, "skill '" + a.skill + "' has no operation '" +
                                                         a.operation.substr(0, 64) + "'");
    } else if (!skill_id.empty()) {
        a.skill = skill_id.substr(0, 64);
    }
    a.params = std::move(params);
    if (manifest != nullptr)  // refused now, not after someone approved it
        CP_TRY(request_fits(SkillRun{"", a.skill, a.operation, a.params,
                                     manifest->workspace == WorkspaceAccess::None
                                         ? ""
                                         : config_.workspace}));
    // classify; the injection defender may only raise the level
    auto cls = classify(policy_, a.type, a.operation, manifest);
    a.level = cls.level;
    a.level_reason = cls.reason;
    if (auto v = scan_strings(a.params, /* output= */ false); v && v->flagged) {
        std::string cats;
        for (const auto& c : v->categories) cats += (cats.empty() ? "" : ",") + c;
        injection_ = nlohmann::json{{"score", v->score},
                                    {"level", risk_level_name(v->level)},
                                    {"categories", v->categories}};
        if (v->level > a.level) {
            a.level = v->level;
            a.level_reason += "; raised by the injection defender (" + cats + ")";
        }
    }
    a.digest = action_digest(a.type_name, a.skill, a.operation, a.params);
    a.created_usec = a.updated_usec = now_usec();
    return a;
}

void ActionManager::submit(const BusCaller& c, const std::string& type, const std::string& skill,
                           nlohmann::json params, ActionDone done) {
    auto fail_now = [&](const std::string& event, Error e) {
        refuse(c, event, "", e);
        after_commit_.push_back({[done, e](const Result<void>&) { done(e); }});
    };
    switch (limiter_.check(c.uid)) {
        case RateLimiter::Verdict::UidLimited:
            return fail_now("rate_limited",
                            make_error(Errc::RateLimited, "uid " + std::to_string(c.uid) +
                                                              " submits too fast; wait and retry"));
        case RateLimiter::Verdict::GlobalLimited:
            return fail_now("rate_limited",
                            make_error(Errc::RateLimited, "ClosedPaw is busy; wait and retry"));
        case RateLimiter::Verdict::Allowed:
            break;
    }
    auto created = create(c, type, skill, std::move(params));
    if (!created) return fail_now("submit_refused", std::move(created).error());
    Action a = std::move(*created);
    if (a.level >= RiskLevel::High) {
        std::size_t mine =
            std::count_if(store_.actions().begin(), store_.actions().end(), [&](const auto& kv) {
                return kv.second.submitter_uid == c.uid &&
                       kv.second.status == ActionStatus::Pending;
            });
        if (mine >= policy_.max_pending_per_uid)
            return fail_now(
                "submit_refused",
                make_error(Errc::LimitExceeded, "you have " + std::to_string(mine) +
                                                    " actions waiting for approval already"));
    }
    // Decide where it goes now.
    std::string outcome;
    if (a.level >= RiskLevel::High) {
        a.status = ActionStatus::Pending;
        a.expires_usec = a.created_usec + policy_.pending_ttl_seconds * 1000000ull;
        outcome = "waiting for " +
                  std::string(a.level == RiskLevel::Critical ? "an admin" : "an approver");
    } else {
        a.status = ActionStatus::Executing;
        outcome = "runs without approval (" + std::string(risk_level_name(a.level)) + ")";
    }
    change(a, "submitted", c.uid, outcome);
    if (a.status == ActionStatus::Executing) to_start_.push_back(a.id);
    if (a.level == RiskLevel::Medium) {
        std::string summary = a.type_name + (a.skill.empty() ? "" : " " + a.skill) +
                              (a.operation.empty() ? "" : "." + a.operation) + " by uid " +
                              std::to_string(a.submitter_uid) + " runs without approval";
        log::notice("medium-risk action " + a.id + ": " + summary,
                    {{"MESSAGE_ID", std::string(log::kSecurityEventId)}, {"ACTION_ID", a.id}});
        notices_.emplace_back(a.id, summary);
    }
    std::string id = a.id;
    after_commit_.push_back({[this, done, id](const Result<void>& r) {
        if (!r) return done(r.error());
        done(*store_.find(id));
    }});
}

void ActionManager::approve(const BusCaller& c, const std::string& id, const std::string& digest,
                            VoidDone done) {
    auto fail_now = [&](Error e) {
        refuse(c, "approve_refused", valid_id(id) ? id : "", e);
        after_commit_.push_back({[done, e](const Result<void>&) { done(e); }});
    };
    if (!valid_id(id))
        return fail_now(make_error(Errc::InvalidArgument, "an action id is 32 hex digits"));
    const Action* found = store_.find(id);
    if (found == nullptr) return fail_now(make_error(Errc::NotFound, "no action " + id));
    Action a = *found;
    if (a.status == ActionStatus::Pending && a.expires_usec <= now_usec()) {
        a.status = ActionStatus::Expired;
        change(a, "expired", 0, "not decided in time");
    }
    if (a.status != ActionStatus::Pending)
        return fail_now(make_error(
            Errc::InvalidArgument,
            "action " + id + " is " + std::string(status_name(a.status)) + ", not pending"));
    if (auto r = may_decide(policy_, c, a, /* approving= */ true); !r) return fail_now(r.error());
    if (digest != a.digest)
        return fail_now(make_error(Errc::AccessDenied,
                                   "the digest does not match this action: what you were shown is "
                                   "not what would run. Look at it again (closedpawctl show " +
                                       id + ")"));
    a.status = ActionStatus::Approved;
    a.decided_by = c.uid;
    change(a, "approved", c.uid, "approved by uid " + std::to_string(c.uid));
    a.status = ActionStatus::Executing;
    change(a, "executing", c.uid, "sent to the sandbox");
    to_start_.push_back(id);
    after_commit_.push_back({[done](const Result<void>& r) { done(r); }});
}

void ActionManager::reject(const BusCaller& c, const std::string& id, const std::string& reason,
                           VoidDone done) {
    auto fail_now = [&](Error e) {
        refuse(c, "reject_refused", valid_id(id) ? id : "", e);
        after_commit_.push_back({[done, e](const Result<void>&) { done(e); }});
    };
    if (!valid_id(id))
        return fail_now(make_error(Errc::InvalidArgument, "an action id is 32 hex digits"));
    const Action* found = store_.find(id);
    if (found == nullptr) return fail_now(make_error(Errc::NotFound, "no action " + id));
    if (found->status != ActionStatus::Pending)
        return fail_now(make_error(
            Errc::InvalidArgument,
            "action " + id + " is " + std::string(status_name(found->status)) + ", not pending"));
    if (auto r = may_decide(policy_, c, *found, /* approving= */ false); !r)
        return fail_now(r.error());
    Action a = *found;
    a.status = ActionStatus::Rejected;
    a.decided_by = c.uid;
    a.reason = reason.substr(0, 1024);
    change(a, "rejected", c.uid,
           "rejected by uid " + std::to_string(c.uid) + (a.reason.empty() ? "" : ": " + a.reason));
    after_commit_.push_back({[done](const Result<void>& r) { done(r); }});
}

void ActionManager::set_skill_enabled(const BusCaller& c, const std::string& id, bool enabled,
                                      VoidDone done) {
    Result<void> r;
    if (role_of(policy_, c) != Role::Admin)
        r = make_error(Errc::AccessDenied, "only admins enable or disable skills");
    else
        r = skills_.set_enabled(id, enabled);
    Action pseudo;
    pseudo.type_name = "config_change";
    pseudo.skill = id.substr(0, 64);
    pseudo.status = r ? ActionStatus::Completed : ActionStatus::Failed;
    pseudo.level = RiskLevel::Critical;
    if (r)
        record(pseudo, enabled ? "skill_enabled" : "skill_disabled", c.uid,
               "by uid " + std::to_string(c.uid));
    else
        refuse(c, "skill_toggle_refused", "", r.error());
    after_commit_.push_back({[done, r](const Result<void>& commit) { done(commit ? r : commit); }});
}

void ActionManager::start(const Action& a) {
    auto fail = [&](const std::string& why) {
        Action f = a;
        f.status = ActionStatus::Failed;
        f.reason = why;
        change(f, "failed", 0, why);
    };
    switch (a.type) {
        case ActionType::SkillExecution:
        case ActionType::FileOperation:
            if (executor_ == nullptr) return fail("no sandbox broker is configured");
            if (const auto* m = skills_.find(a.skill); m == nullptr)
                return fail("skill '" + a.skill + "' is no longer installed");
            else
                executor_->submit(
                    SkillRun{a.id, a.skill, a.operation, a.params,
                             m->workspace == WorkspaceAccess::None ? "" : config_.workspace,
                             a.submitter_uid});
            return;
        case ActionType::Chat:
        case ActionType::ModelSwitch:
        case ActionType::ApiCall:
            return fail("no model provider is configured (providers are not part of this release)");
        case ActionType::ConfigChange:
            return fail(
                "config_change actions are recorded and approved, but applying them is not "
                "supported yet");
        case ActionType::Unknown:
            return fail("unknown action type '" + a.type_name.substr(0, 64) + "': nothing to run");
    }
}

void ActionManager::executed(const std::string& id, SkillOutcome outcome) {
    const Action* found = store_.find(id);
    if (found == nullptr || found->status != ActionStatus::Executing) return;
    Action a = *found;
    a.result = std::move(outcome.result);
    a.status = outcome.success ? ActionStatus::Completed : ActionStatus::Failed;
    a.reason = outcome.error;
    // Indirect injection: what the skill returned would reach the model. Flag it on the
    // result (so whoever relays it can refuse) and in the audit log (categories only).
    if (outcome.success && a.result.contains("reply") && a.result["reply"].is_object()) {
        if (auto v =
                scan_strings(a.result["reply"].value("data", nlohmann::json()), /* output= */ true);
            v && v->flagged) {
            a.result["injection"] = {{"flagged", true},
                                     {"score", v->score},
                                     {"level", risk_level_name(v->level)},
                                     {"categories", v->categories}};
            record(a, "output_flagged", 0, "the skill's output looks like a prompt injection",
                   {{"score", v->score}, {"categories", v->categories}});
        }
    }
    change(a, outcome.success ? "completed" : "failed", 0,
           outcome.success ? "the skill succeeded" : outcome.error);
}

void ActionManager::expire_due() {
    auto now = now_usec();
    std::vector<Action> due;
    for (const auto& [id, a] : store_.actions())
        if (a.status == ActionStatus::Pending && a.expires_usec <= now) due.push_back(a);
    for (auto& a : due) {
        a.status = ActionStatus::Expired;
        change(a, "expired", 0,
               "not decided within " + std::to_string(policy_.pending_ttl_seconds) + " s");
    }
}

void ActionManager::recover() {
    std::vector<Action> caught, altered;
    for (const auto& [id, a] : store_.actions()) {
        if (is_terminal(a.status)) continue;
        // What an approver confirms is the digest; an action whose journal entry no longer
        // matches it (edited on disk) must not be approved or run as it now reads.
        if (a.digest != action_digest(a.type_name, a.skill, a.operation, a.params))
            altered.push_back(a);
        else if (a.status == ActionStatus::Executing || a.status == ActionStatus::Approved)
            caught.push_back(a);
    }
    for (auto& a : altered) {
        a.status = ActionStatus::Failed;
        a.reason = "its journal entry no longer matches the digest it was submitted with "
                   "(changed on disk); refused";
        log::error("action " + a.id + ": " + a.reason);
        change(a, "failed", 0, a.reason);
    }
    for (auto& a : caught) {
        a.status = ActionStatus::Failed;
        a.reason = "closedpawd stopped while this action was executing; it may or may not have run";
        change(a, "failed", 0, a.reason);
    }
    expire_due();
}

void ActionManager::flush() {
    if (after_commit_.empty() && changed_ids_.empty() && !audit_.has_uncommitted()) return;
    Result<void> r;
    if (audit_failure_) r = *audit_failure_;
    // The audit entry is durable before the change it records: a crash between the two leaves
    // an audited change that did not persist (the submitter was never answered), never a
    // persisted change the audit log does not show.
    if (r) r = audit_.commit();
    if (r) {
        r = store_.commit();  // discards the batch itself if it fails
    } else {
        store_.discard();  // not audited: it never happened
    }
    audit_failure_.reset();
    auto conts = std::move(after_commit_);
    auto changed = std::move(changed_ids_);
    auto starts = std::move(to_start_);
    after_commit_.clear();
    changed_ids_.clear();
    to_start_.clear();
    if (!r)
        log::error("the audit or action store write failed; nothing in this batch runs: " +
                   r.error().message);
    for (auto& c : conts) c.fn(r);
    if (!r) return;
    for (const auto& id : changed)
        if (const Action* a = store_.find(id); a != nullptr && changed_) changed_(*a);
    for (const auto& [id, summary] : std::exchange(notices_, {}))
        if (const Action* a = store_.find(id); a != nullptr && notice_) notice_(*a, summary);
    for (const auto& id : starts)
        if (const Action* a = store_.find(id); a != nullptr && a->status == ActionStatus::Executing)
            start(*a);
    // Failures decided in start() (no provider, no broker) are new changes: commit them too.
    if (!changed_ids_.empty()) flush();
}

Result<Action> ActionManager::get(const BusCaller& c, const std::string& id) const {
    if (!valid_id(id)) return make_error(Errc::InvalidArgument, "an action id is 32 hex digits");
    const Action* a = store_.find(id);
    if (a == nullptr || !may_view(policy_, c, *a))
        return make_error(Errc::NotFound, "no action " + id + " that you may see");
    return *a;
}

Result<std::vector<Action>> ActionManager::list(const BusCaller& c,
                                                const std::string& filter) const {
    std::optional<ActionStatus> st;
    if (!filter.empty() && filter != "all") {
        st = parse_status(filter);
        if (!st)
            return make_error(Errc::InvalidArgument,
                              "'" + filter.substr(0, 32) + "' is not a status");
    }
    std::vector<Action> out;
    for (const auto& [id, a] : store_.actions())
        if ((!st || a.status == *st) && may_view(policy_, c, a)) out.push_back(a);
    std::sort(out.begin(), out.end(),
              [](const Action& x, const Action& y) { return x.created_usec < y.created_usec; });
    return out;
}

Result<std::vector<nlohmann::json>> ActionManager::audit_entries(const BusCaller& c,
                                                                 std::uint64_t after,
                                                                 std::uint32_t limit) const {
    if (role_of(policy_, c) == Role::None)
        return make_error(Errc::AccessDenied, "only approvers and admins read the audit log");
    return audit_.read(after, std::min<std::uint32_t>(limit == 0 ? 100 : limit, 1000));
}

Result<AuditVerification> ActionManager::verify_audit(const BusCaller& c) const {
    if (role_of(policy_, c) == Role::None)
        return make_error(Errc::AccessDenied, "only approvers and admins verify the audit log");
    return audit_.verify();
}

std::uint32_t ActionManager::pending_count() const {
    return static_cast<std::uint32_t>(
        std::count_if(store_.actions().begin(), store_.actions().end(),
                      [](const auto& kv) { return kv.second.status == ActionStatus::Pending; }));
}

}  // namespace closedpaw::front
