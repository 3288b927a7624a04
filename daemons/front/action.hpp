// An action: what a client asked ClosedPaw to do, and everything that happened to it.
// Pure data with its JSON form (for the durable store and the bus) and its digest.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/risk_level.hpp"

namespace closedpaw::front {

enum class ActionType {
    Chat,
    SkillExecution,
    ModelSwitch,
    ApiCall,
    FileOperation,
    ConfigChange,
    Unknown
};
enum class ActionStatus { Pending, Approved, Rejected, Expired, Executing, Completed, Failed };

std::string_view action_type_name(ActionType t);
ActionType parse_action_type(std::string_view s);  // Unknown for anything else
std::string_view status_name(ActionStatus s);
std::optional<ActionStatus> parse_status(std::string_view s);
bool is_terminal(ActionStatus s);

struct Action {
    std::string id;         // 32 hex chars, random
    std::string type_name;  // as submitted (unknown types keep their name)
    ActionType type = ActionType::Unknown;
    std::string skill;      // skill id ("" for chat etc.)
    std::string operation;  // skill operation ("" when none)
    nlohmann::json params = nlohmann::json::object();
    std::string digest;  // hex BLAKE2b-256 of type, skill, operation, params
    RiskLevel level = RiskLevel::Critical;
    std::string level_reason;  // why this level (rule, manifest, injection verdict)
    ActionStatus status = ActionStatus::Pending;
    uid_t submitter_uid = 0;
    pid_t submitter_pid = 0;
    std::string channel_user;  // the chat user behind it, when there is one
    std::uint64_t created_usec = 0;
    std::uint64_t updated_usec = 0;
    std::uint64_t expires_usec = 0;   // pending actions only
    std::optional<uid_t> decided_by;  // approver or rejecter
    std::string reason;               // rejection reason or failure message
    nlohmann::json result;            // skill result (redacted for the audit log)

    nlohmann::json to_json() const;
    static std::optional<Action> from_json(const nlohmann::json& j);
};

// The digest binds an approval to exactly what will run.
std::string action_digest(std::string_view type, std::string_view skill, std::string_view operation,
                          const nlohmann::json& params);

std::string new_action_id();
std::uint64_t now_usec();

}  // namespace closedpaw::front
