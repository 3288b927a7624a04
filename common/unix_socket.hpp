// Unix-domain socket helpers: SOCK_SEQPACKET listen/connect, the kernel's peer credentials,
// size-capped message send/receive, and systemd socket activation.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fd.hpp"
#include "result.hpp"

namespace closedpaw {

struct PeerCred {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
};

// Binds and listens on path (removing a stale socket first), then sets its mode.
Result<UniqueFd> listen_seqpacket(const std::string& path, mode_t mode, int backlog = 64);
Result<UniqueFd> connect_seqpacket(const std::string& path);
// The credentials the kernel recorded when the peer connected (SO_PEERCRED): never spoofable.
Result<PeerCred> peer_credentials(int fd);

// One message per call; a message larger than max_bytes is an error (the connection should
// then be closed). An empty optional means the peer closed the connection.
Result<std::optional<std::string>> recv_message(
    int fd, std::size_t max_bytes, std::optional<std::chrono::milliseconds> timeout = {});
Result<void> send_message(int fd, std::string_view message);

// The first fd passed by systemd socket activation (LISTEN_FDS), if any.
std::optional<int> activated_socket();

}  // namespace closedpaw
