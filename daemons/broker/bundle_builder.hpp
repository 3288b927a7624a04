// The OCI bundle for one run (DESIGN.md §7), built as a flat ordered list of steps: a fresh
// 0700 directory named for the container, a config.json whose root is the skill's own
// directory read-only, /proc, the runtime's minimal /dev, a small noexec tmpfs at /tmp, the
// workspace bind-mounted at /workspace (read-only unless the operation writes and the manifest
// allows read_write), uid/gid 65534, no capabilities, noNewPrivileges, masked and read-only
// /proc paths, rlimits, cgroup limits, fresh namespaces (no network) and the sandbox seccomp
// profile. Nothing from the client reaches a path except through the validated workspace id.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "common/result.hpp"
#include "common/skill_manifest.hpp"

namespace closedpaw::broker {

inline constexpr std::uint32_t kSandboxUid = 65534;
inline constexpr std::uint32_t kSandboxGid = 65534;
inline constexpr const char* kWorkspaceMount = "/workspace";

struct BundleSpec {
    std::string container_id;
    const SkillManifest* manifest = nullptr;
    SkillLimits limits;          // already tightened
    std::string workspace_host;  // empty: no workspace mounted
    bool workspace_writable = false;
    std::string cgroup_parent;
    std::uint64_t memory_overhead_bytes = 0;  // host cgroup room for the runtime itself
    std::uint32_t pids_overhead = 0;
    const nlohmann::json* seccomp = nullptr;  // linux.seccomp, or null for none
};

// The OCI runtime spec (config.json) for spec.
nlohmann::json make_oci_spec(const BundleSpec& spec);

// Loads the sandbox seccomp profile (OCI linux.seccomp JSON) and checks its shape: an
// allow-list (default action errno or kill) naming syscalls.
Result<nlohmann::json> load_sandbox_seccomp(const std::string& path);

// Creates bundle_root/<container id> (0700, must not exist) with config.json; returns its path.
Result<std::string> write_bundle(const std::string& bundle_root, const BundleSpec& spec);
// Removes a bundle directory made by write_bundle (refuses anything else).
Result<void> remove_bundle(const std::string& bundle_root, const std::string& container_id);

}  // namespace closedpaw::broker
