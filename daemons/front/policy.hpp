// closedpawd's policy: levels per action type, who approves, expiry, rate limits and caps.
// Data, not code (policy/front/policy.toml, overridden by /etc/closedpaw/policy.d/*.toml),
// validated on load. Classification and the approval rules are decided here and only here.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "action.hpp"
#include "common/bus_caller.hpp"
#include "common/result.hpp"
#include "common/risk_level.hpp"
#include "common/skill_manifest.hpp"

namespace closedpaw::front {

struct Policy {
    RiskLevel chat = RiskLevel::Low;
    RiskLevel api_call = RiskLevel::Medium;
    RiskLevel model_switch = RiskLevel::High;
    RiskLevel config_change = RiskLevel::Critical;
    RiskLevel file_read = RiskLevel::Medium;
    RiskLevel file_write = RiskLevel::High;

    std::vector<gid_t> approver_gids, admin_gids;
    std::vector<uid_t> approver_uids, admin_uids;
    std::uint64_t pending_ttl_seconds = 900;

    double per_uid_per_minute = 120, per_uid_burst = 30;
    double global_per_minute = 6000, global_burst = 600;
    std::size_t max_pending_per_uid = 50;

    std::size_t max_parameter_bytes = 1 << 20;
    std::size_t max_string_bytes = 1 << 20;
    int max_parameter_depth = 4;

    std::vector<std::string> sources;  // files it was read from, in order
};

// Reads the defaults file, then every *.toml in override_dir (may be absent), in name order.
Result<Policy> load_policy(const std::string& defaults_file, const std::string& override_dir);

enum class Role { None, Approver, Admin };
Role role_of(const Policy& p, const BusCaller& caller);

// The skill file_operation runs. Its operations get the file_operation levels as a floor
// whichever action type asks for them.
inline constexpr std::string_view kFilesystemSkill = "filesystem";
// The filesystem skill's operations that change files.
bool file_operation_writes(std::string_view operation);

struct Classification {
    RiskLevel level = RiskLevel::Critical;
    std::string reason;
};
// manifest: the skill's manifest for skill_execution/file_operation (nullptr otherwise).
Classification classify(const Policy& p, ActionType type, const std::string& operation,
                        const SkillManifest* manifest);

// May caller approve (or reject) this action? The submitter never may approve their own high or
// critical action; critical needs an admin.
Result<void> may_decide(const Policy& p, const BusCaller& caller, const Action& action,
                        bool approving);
// May caller see this action's parameters? Submitters see theirs; approvers and admins see all.
bool may_view(const Policy& p, const BusCaller& caller, const Action& action);

}  // namespace closedpaw::front
