// The whole life of a skill process: read one request from stdin (capped), check it,
// dispatch it through the skill's table of operations, write one result to stdout.
// Exit status 0 means a result was written (success or refusal); anything else is an
// internal failure the broker reports as such.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "protocol.hpp"

namespace closedpaw::skill {

struct Context {
    std::string workspace;  // argv[1]: the workspace root (/workspace in the sandbox); may be empty
};

struct Operation {
    std::string_view name;
    std::function<OperationResult(const Request&, const Context&)> handler;
};

struct SkillOptions {
    bool needs_workspace = false;  // argv[1] is required
};

inline constexpr int kExitInternalError = 70;  // EX_SOFTWARE
inline constexpr int kExitUsage = 64;          // EX_USAGE

// Runs request through the table; fills the audit record's operation. Unknown operations
// are refused (the manifest decides which the broker sends; this is the second check).
OperationResult dispatch(const Request& request, std::span<const Operation> operations,
                         const Context& context);

// Request text in, result out: parse, dispatch, and turn protocol errors into refusals.
OperationResult handle_request_text(std::string_view text, std::span<const Operation> operations,
                                    const Context& context);

// main() for a skill.
int run_skill(int argc, char** argv, std::span<const Operation> operations, SkillOptions options);

}  // namespace closedpaw::skill
