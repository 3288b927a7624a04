// skill.toml: what a skill is and may do (DESIGN.md §8). One loader, used by the broker
// (which runs skills) and the front daemon (which classifies actions by the declared levels).
// Validation is strict: unknown keys, bad types, bad semver, unknown levels are errors that
// name the file, line and key.
//
//   id = "filesystem"                 # [a-z0-9][a-z0-9_-]{0,63}
//   name = "Filesystem"
//   version = "1.0.0"                 # semver 2.0.0
//   description = "Read and write files in the workspace"
//   executable = "closedpaw-skill-filesystem"   # a file in the skill's directory
//   sandboxed = true                  # must be true: every skill runs in the sandbox
//   enabled = true                    # optional, default true
//   network = "none"                  # optional; "none" is the only value accepted
//   [workspace]
//   access = "read_write"             # none | read | read_write
//   [limits]                          # optional; defaults below, callers may only tighten
//   memory_mb = 256   pids = 64   cpu_percent = 100   timeout_ms = 10000   output_kb = 1024
//   [operations.read]
//   level = "low"                     # low | medium | high | critical
//   writes = false
//   description = "Read a file"
//   [settings]                        # free-form, handed to the skill with each request
//   allowed_extensions = ["txt", "md"]
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"
#include "risk_level.hpp"

namespace closedpaw {

enum class WorkspaceAccess { None, Read, ReadWrite };
std::string_view workspace_access_name(WorkspaceAccess a);

struct SkillOperation {
    std::string name;
    RiskLevel level = RiskLevel::Critical;
    bool writes = false;
    std::string description;
};

struct SkillLimits {
    std::uint64_t memory_bytes = 256ull << 20;
    std::uint32_t pids = 64;
    std::uint32_t cpu_percent = 100;  // of one CPU
    std::uint32_t timeout_ms = 10000;
    std::uint64_t output_bytes = 1ull << 20;

    // The stricter of each pair: a request's limits may only tighten a manifest's.
    SkillLimits tightened_by(const SkillLimits& other) const;
};

// Upper bounds on anything a manifest may declare.
inline constexpr SkillLimits kMaxSkillLimits{4ull << 30, 4096, 400, 600000, 16ull << 20};

struct SkillManifest {
    std::string id;
    std::string name;
    std::string version;
    std::string description;
    std::string executable;
    bool sandboxed = true;
    bool enabled = true;
    std::string network = "none";
    WorkspaceAccess workspace = WorkspaceAccess::None;
    SkillLimits limits;
    std::map<std::string, SkillOperation, std::less<>> operations;
    nlohmann::json settings = nlohmann::json::object();
    std::string directory;  // the directory it was loaded from (empty when parsed from text)

    const SkillOperation* find_operation(std::string_view op) const;
};

bool valid_skill_id(std::string_view id);
bool valid_operation_name(std::string_view op);
bool valid_semver(std::string_view version);

Result<SkillManifest> parse_skill_manifest(std::string_view text,
                                           const std::string& name_for_errors);
// Reads dir/skill.toml; checks the id matches the directory name and that the executable is
// a regular file in dir (not a symlink).
Result<SkillManifest> load_skill_manifest(const std::string& dir);

struct SkillDirectoryScan {
    std::vector<SkillManifest> skills;  // sorted by id
    std::vector<Error> errors;          // one per skill directory that failed to load
};
// Loads every subdirectory of root. A broken skill is reported, never half-loaded.
SkillDirectoryScan load_skill_directory(const std::string& root);

}  // namespace closedpaw
