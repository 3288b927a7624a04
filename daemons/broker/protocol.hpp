// The broker's wire protocol (version 1): one JSON object per SOCK_SEQPACKET message.
//
//   client → broker   {"v":1,"verb":"hello"}                       must be first
//                     {"v":1,"verb":"run","skill":ID,"operation":OP,"params":{...},
//                      "workspace":WSID,"limits":{"memory_mb":N,"pids":N,"cpu_percent":N,
//                      "timeout_ms":N,"output_kb":N}}               workspace, limits optional
//                     {"v":1,"verb":"cancel","run_id":RID}
//                     {"v":1,"verb":"list"}   {"v":1,"verb":"status"}
//   broker → client {"v":1,"type":"hello"|"started"|"result"|"cancel"|"list"|"status"|"error",...}
//
// Every key is checked: unknown keys, wrong types, oversized or out-of-range fields make the
// message malformed, and a malformed message closes the connection. The types here are shared
// by the broker and BrokerClient, so both sides parse and print exactly the same shapes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/skill_manifest.hpp"

namespace closedpaw::broker {

inline constexpr int kProtocolVersion = 1;
inline constexpr std::size_t kMaxRequestBytes = 256 * 1024;     // client → broker
inline constexpr std::size_t kMaxReplyBytes = 2 * 1024 * 1024;  // broker → client
inline constexpr std::size_t kMaxStdoutBytes = 1024 * 1024;     // skill reply cap
inline constexpr std::size_t kStderrTailBytes = 4096;
inline constexpr std::size_t kMaxJsonDepth = 32;  // params from clients, replies from skills

enum class Verb { Hello, Run, Cancel, List, Status };
std::optional<Verb> parse_verb(std::string_view name);
std::string_view verb_name(Verb verb);

// Stable codes for broker-side failures (RunResult::error and error replies).
namespace errors {
inline constexpr std::string_view kUnknownSkill = "unknown_skill";
inline constexpr std::string_view kUndeclaredOperation = "undeclared_operation";
inline constexpr std::string_view kSkillDisabled = "skill_disabled";
inline constexpr std::string_view kNoRuntime = "no_runtime";
inline constexpr std::string_view kBusy = "busy";
inline constexpr std::string_view kBadRequest = "bad_request";
inline constexpr std::string_view kBadWorkspace = "bad_workspace";
inline constexpr std::string_view kSandboxFailed = "sandbox_failed";  // bundle or runtime failure
inline constexpr std::string_view kShuttingDown = "shutting_down";
}  // namespace errors

// Limits a request may set; each only tightens the manifest's (SkillLimits::tightened_by).
struct LimitsRequest {
    std::optional<std::uint64_t> memory_mb;
    std::optional<std::uint32_t> pids;
    std::optional<std::uint32_t> cpu_percent;
    std::optional<std::uint32_t> timeout_ms;
    std::optional<std::uint64_t> output_kb;

    SkillLimits apply_to(const SkillLimits& manifest) const;
};

struct RunRequest {
    std::string skill;
    std::string operation;
    nlohmann::json params = nlohmann::json::object();
    std::string workspace;  // a workspace id, never a path; empty when none
    LimitsRequest limits;
};

struct Resources {
    std::uint64_t cpu_user_ms = 0;    // host CPU time of the runtime's processes
    std::uint64_t cpu_system_ms = 0;  // (sentry and gofer for runsc), from wait4()
    std::uint64_t max_rss_kb = 0;     // largest resident set among them
};

struct RunResult {
    std::string run_id;
    std::string error;    // empty on a run that happened; else a stable code (errors::)
    std::string message;  // human-readable detail for error
    std::string runtime;  // "runsc" or "kata-runtime"
    int exit_code = -1;   // the skill's exit status (-1 when killed or not run)
    int signal = 0;       // the signal that ended it, if any
    bool timed_out = false;
    bool cancelled = false;
    std::uint64_t duration_ms = 0;
    nlohmann::json reply;     // the skill's OperationResult, or null
    std::string reply_error;  // why reply is null when the skill wrote something unusable
    bool stdout_truncated = false;
    std::string stderr_tail;
    std::optional<Resources> resources;

    bool ok() const { return error.empty(); }
};

struct SandboxInfo {
    std::string run_id;
    std::string skill;
    std::string operation;
    std::string state;  // "queued" or "running"
    std::uint64_t age_ms = 0;
};

struct BrokerStatus {
    std::string version;
    std::string runtime;         // "runsc", "kata-runtime" or "none"
    std::string runtime_detail;  // why there is none, or what was probed
    std::uint32_t running = 0;
    std::uint32_t queued = 0;
    std::uint32_t max_concurrent = 0;
    std::uint32_t max_queued = 0;
    std::uint64_t runs_total = 0;
};

struct HelloInfo {
    int version = kProtocolVersion;
    std::string broker_version;
    std::string runtime;
};

// A client message after parsing and field validation.
struct Request {
    Verb verb = Verb::Hello;
    RunRequest run;      // for Run
    std::string run_id;  // for Cancel
};

bool valid_workspace_id(std::string_view id);
bool valid_run_id(std::string_view id);
// Depth of nested arrays/objects; used to refuse hostile nesting before anything walks it.
std::size_t json_depth(const nlohmann::json& j);
// Parses JSON text refusing nesting deeper than max_depth (checked while parsing).
Result<nlohmann::json> parse_json_bounded(std::string_view text, std::size_t max_depth);

Result<Request> parse_request(std::string_view text);
std::string encode_request(const Request& request);

nlohmann::json to_json(const RunResult& r);
nlohmann::json to_json(const SandboxInfo& s);
nlohmann::json to_json(const BrokerStatus& s);
Result<RunResult> run_result_from_json(const nlohmann::json& j);
Result<SandboxInfo> sandbox_info_from_json(const nlohmann::json& j);
Result<BrokerStatus> status_from_json(const nlohmann::json& j);

// {"v":1,"type":type, ...fields}
std::string encode_reply(std::string_view type, nlohmann::json fields = nlohmann::json::object());

}  // namespace closedpaw::broker
