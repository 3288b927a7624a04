#include "action.hpp"

#include <sodium.h>

#include <chrono>

namespace closedpaw::front {

namespace {

std::string hex(const unsigned char* p, std::size_t n) {
    std::string out(n * 2, '0');
    sodium_bin2hex(out.data(), out.size() + 1, p, n);
    return out;
}

}  // namespace

std::string_view action_type_name(ActionType t) {
    switch (t) {
        case ActionType::Chat:
            return "chat";
        case ActionType::SkillExecution:
            return "skill_execution";
        case ActionType::ModelSwitch:
            return "model_switch";
        case ActionType::ApiCall:
            return "api_call";
        case ActionType::FileOperation:
            return "file_operation";
        case ActionType::ConfigChange:
            return "config_change";
        case ActionType::Unknown:
            return "unknown";
    }
    return "unknown";
}

ActionType parse_action_type(std::string_view s) {
    for (auto t : {ActionType::Chat, ActionType::SkillExecution, ActionType::ModelSwitch,
                   ActionType::ApiCall, ActionType::FileOperation, ActionType::ConfigChange})
        if (s == action_type_name(t)) return t;
    return ActionType::Unknown;
}

std::string_view status_name(ActionStatus s) {
    switch (s) {
        case ActionStatus::Pending:
            return "pending";
        case ActionStatus::Approved:
            return "approved";
        case ActionStatus::Rejected:
            return "rejected";
        case ActionStatus::Expired:
            return "expired";
        case ActionStatus::Executing:
            return "executing";
        case ActionStatus::Completed:
            return "completed";
        case ActionStatus::Failed:
            return "failed";
    }
    return "failed";
}

std::optional<ActionStatus> parse_status(std::string_view s) {
    for (auto st : {ActionStatus::Pending, ActionStatus::Approved, ActionStatus::Rejected,
                    ActionStatus::Expired, ActionStatus::Executing, ActionStatus::Completed,
                    ActionStatus::Failed})
        if (s == status_name(st)) return st;
    return std::nullopt;
}

bool is_terminal(ActionStatus s) {
    return s == ActionStatus::Rejected || s == ActionStatus::Expired ||
           s == ActionStatus::Completed || s == ActionStatus::Failed;
}

nlohmann::json Action::to_json() const {
    nlohmann::json j = {{"id", id},
                        {"type", type_name},
                        {"skill", skill},
                        {"operation", operation},
                        {"params", params},
                        {"digest", digest},
                        {"level", risk_level_name(level)},
                        {"level_reason", level_reason},
                        {"status", status_name(status)},
                        {"submitter_uid", submitter_uid},
                        {"submitter_pid", submitter_pid},
                        {"channel_user", channel_user},
                        {"created_usec", created_usec},
                        {"updated_usec", updated_usec},
                        {"expires_usec", expires_usec},
                        {"reason", reason},
                        {"result", result}};
    if (decided_by) j["decided_by"] = *decided_by;
    return j;
}

std::optional<Action> Action::from_json(const nlohmann::json& j) {
    try {
        Action a;
        a.id = j.at("id").get<std::string>();
        a.type_name = j.at("type").get<std::string>();
        a.type = parse_action_type(a.type_name);
        a.skill = j.at("skill").get<std::string>();
        a.operation = j.at("operation").get<std::string>();
        a.params = j.at("params");
        a.digest = j.at("digest").get<std::string>();
        auto level = parse_risk_level(j.at("level").get<std::string>());
        auto status = parse_status(j.at("status").get<std::string>());
        if (!level || !status) return std::nullopt;
        a.level = *level;
        a.status = *status;
        a.level_reason = j.at("level_reason").get<std::string>();
        a.submitter_uid = j.at("submitter_uid").get<uid_t>();
        a.submitter_pid = j.at("submitter_pid").get<pid_t>();
        a.channel_user = j.at("channel_user").get<std::string>();
        a.created_usec = j.at("created_usec").get<std::uint64_t>();
        a.updated_usec = j.at("updated_usec").get<std::uint64_t>();
        a.expires_usec = j.at("expires_usec").get<std::uint64_t>();
        a.reason = j.at("reason").get<std::string>();
        a.result = j.at("result");
        if (j.contains("decided_by")) a.decided_by = j.at("decided_by").get<uid_t>();
        return a;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

std::string action_digest(std::string_view type, std::string_view skill, std::string_view operation,
                          const nlohmann::json& params) {
    // Canonical: nlohmann objects are key-sorted, so equal parameters give equal bytes.
    nlohmann::json canon = {
        {"type", type}, {"skill", skill}, {"operation", operation}, {"params", params}};
    std::string text = canon.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
    unsigned char out[32];
    crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(text.data()),
                       text.size(), nullptr, 0);
    return hex(out, sizeof out);
}

std::string new_action_id() {
    unsigned char b[16];
    randombytes_buf(b, sizeof b);
    return hex(b, sizeof b);
}

std::uint64_t now_usec() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

}  // namespace closedpaw::front
