// The skill protocol (DESIGN.md §8): one JSON request on stdin, one JSON OperationResult on
// stdout. The broker runs the skill in a sandbox and hands it
//   {"operation": "read", "params": {...}, "settings": {...}}
// where settings is the manifest's free-form [settings] table. The skill answers
//   {"success": bool, "data": any, "error": string|null, "path": string|null,
//    "audit": {"operation", "path", "bytes", "outcome", "error_code"?, ...}}
// The audit record describes what was done, never the content that was read or written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace closedpaw::skill {

// Large enough for a 10 MiB write encoded as JSON (or base64), small enough to bound memory.
inline constexpr std::size_t kMaxRequestBytes = 16u << 20;
// The most of a skill's stdout the sandbox broker takes (kMaxStdoutBytes in
// daemons/broker/protocol.hpp). A reply that would be longer is replaced by a refusal that says
// so, rather than cut off by the broker as "no usable reply".
inline constexpr std::size_t kMaxReplyBytes = 1u << 20;
// Deeper JSON is refused before parsing: nothing in a request needs it, and a parser or
// destructor must never recurse on attacker-chosen depth.
inline constexpr std::size_t kMaxRequestDepth = 32;

struct Request {
    std::string operation;
    nlohmann::json params = nlohmann::json::object();
    nlohmann::json settings = nlohmann::json::object();
};

// Parses and checks the envelope: an object with only operation, params, settings; the
// operation a name ([a-z][a-z0-9_]{0,63}); params and settings objects (default {}).
Result<Request> parse_request(std::string_view text);

struct AuditRecord {
    std::string operation;
    std::optional<std::string> path;
    std::uint64_t bytes = 0;                          // bytes read, written or counted
    std::string outcome = "refused";                  // "ok" or "refused"
    std::optional<Errc> error_code;                   // set when refused
    nlohmann::json extra = nlohmann::json::object();  // skill-specific facts (no content)
};

struct OperationResult {
    bool success = false;
    nlohmann::json data;  // null when refused
    std::optional<std::string> error;
    std::optional<std::string> path;
    AuditRecord audit;

    static OperationResult ok(nlohmann::json data, std::optional<std::string> path = std::nullopt,
                              std::uint64_t bytes = 0);
    static OperationResult refused(const Error& error,
                                   std::optional<std::string> path = std::nullopt);

    nlohmann::json to_json() const;
    // One line of JSON. Invalid UTF-8 (only possible in names or messages we did not make)
    // is replaced, never passed through.
    std::string serialize() const;
};

}  // namespace closedpaw::skill
