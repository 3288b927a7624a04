// Seccomp allow-lists loaded from policy/seccomp/*.toml (data, not code) and applied with
// libseccomp. After loading, a probe syscall that no profile may allow is made: if it is not
// refused with the profile's errno, the filter is not live and the daemon must not serve.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "result.hpp"

namespace closedpaw {

struct SeccompArgRule {
    std::string syscall;
    unsigned arg = 0;                   // argument index 0..5
    std::vector<std::uint64_t> values;  // allowed when arg equals one of these
};

struct SeccompPolicy {
    std::string source;  // file it came from, for messages
    int deny_errno = 1;  // EPERM; 0 means kill the process instead
    std::vector<std::string> allow;
    std::vector<SeccompArgRule> allow_if;
};

// Format:
//   default_action = "errno"            # or "kill"
//   errno = "EPERM"                     # with "errno": EPERM, EACCES, ENOSYS
//   allow = ["read", "write", ...]      # names known to libseccomp on this architecture
//   [[allow_if]]  syscall = "socket"  arg = 0  values = [1]   # AF_UNIX only
Result<SeccompPolicy> load_seccomp_policy(const std::string& path);

// Loads the filter into the calling process (all threads) and probes it.
Result<void> apply_seccomp(const SeccompPolicy& policy);

// The syscall used to probe a live filter; no profile may allow it.
inline constexpr const char* kSeccompProbeSyscall = "process_vm_readv";

}  // namespace closedpaw
