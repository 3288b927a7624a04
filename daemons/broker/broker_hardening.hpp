// The broker's own confinement, in one place: which capabilities the launcher keeps for the
// runtime, which the broker keeps for itself, and the order (launcher forked first, then the
// broker drops capabilities once and proves it, then seccomp last, before serving).
#pragma once

#include <sys/capability.h>

#include <string>
#include <vector>

#include "common/result.hpp"

namespace closedpaw::broker {

// runsc as root needs these (checked on this project's machines with setpriv
// --bounding-set): SYS_ADMIN (namespaces, mounts), SYS_CHROOT (pivot into the sandbox root),
// SETUID/SETGID (run the sandbox as nobody), SYS_PTRACE (the ptrace platform), KILL (signal
// sandbox processes owned by 65534 on delete --force), DAC_OVERRIDE/DAC_READ_SEARCH/FOWNER/
// CHOWN/FSETID (the gofer serves workspace files owned by 65534), SETPCAP (runsc drops
// capabilities of its own children), NET_ADMIN (network namespace set-up for --network=none).
const std::vector<cap_value_t>& launcher_capabilities();

// The broker itself: CHOWN (new workspaces belong to uid 65534) and NET_ADMIN, only for
// SO_SNDBUFFORCE so a result up to kMaxReplyBytes fits one datagram; its seccomp filter allows
// AF_UNIX sockets only, so NET_ADMIN cannot reach any network configuration interface.
const std::vector<cap_value_t>& broker_capabilities();

// drop_privileges (stays uid 0, keeps broker_capabilities) and proves it.
Result<void> confine_broker_capabilities();
// Loads and applies the broker's seccomp allow-list (policy/seccomp/closedpaw-brokerd.toml).
Result<void> confine_broker_syscalls(const std::string& policy_path);

}  // namespace closedpaw::broker
