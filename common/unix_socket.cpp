#include "unix_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace closedpaw {

namespace {

Result<sockaddr_un> make_address(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(addr.sun_path))
        return make_error(Errc::InvalidArgument, "socket path is empty or too long: " + path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return addr;
}

}  // namespace

Result<UniqueFd> listen_seqpacket(const std::string& path, mode_t mode, int backlog) {
    auto addr = make_address(path);
    if (!addr) return std::move(addr).error();
    UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!fd) return Error::from_errno("socket");
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return make_error(Errc::AlreadyExists, path + " exists and is not a socket");
        ::unlink(path.c_str());
    }
    // Bind under a restrictive umask so there is no window where the socket is world-usable.
    mode_t old = ::umask(0177);
    int rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(sockaddr_un));
    int err = errno;
    ::umask(old);
    if (rc != 0) return Error::from_errno("bind " + path, err);
    if (::chmod(path.c_str(), mode) != 0) return Error::from_errno("chmod " + path);
    if (::listen(fd.get(), backlog) != 0) return Error::from_errno("listen " + path);
    return fd;
}

Result<UniqueFd> connect_seqpacket(const std::string& path) {
    auto addr = make_address(path);
    if (!addr) return std::move(addr).error();
    UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!fd) return Error::from_errno("socket");
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(sockaddr_un)) != 0) {
        auto e = Error::from_errno("connect " + path);
        if (e.sys_errno == ENOENT || e.sys_errno == ECONNREFUSED) e.code = Errc::Unavailable;
        return e;
    }
    return fd;
}

Result<PeerCred> peer_credentials(int fd) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return Error::from_errno("getsockopt(SO_PEERCRED)");
    return PeerCred{cred.pid, cred.uid, cred.gid};
}

Result<std::optional<std::string>> recv_message(int fd, std::size_t max_bytes,
                                                std::optional<std::chrono::milliseconds> timeout) {
    if (timeout) {
        pollfd p{fd, POLLIN, 0};
        int rc;
        do rc = ::poll(&p, 1, static_cast<int>(timeout->count()));
        while (rc < 0 && errno == EINTR);
        if (rc < 0) return Error::from_errno("poll");
        if (rc == 0) return make_error(Errc::Timeout, "no message within the time limit");
    }
    // Peek at the real length (MSG_TRUNC) so an oversized message is refused, not cut.
    std::string buf(max_bytes + 1, '\0');
    ssize_t n;
    do n = ::recv(fd, buf.data(), buf.size(), MSG_TRUNC);
    while (n < 0 && errno == EINTR);
    if (n < 0) return Error::from_errno("recv");
    if (n == 0) return std::optional<std::string>{};
    if (static_cast<std::size_t>(n) > max_bytes)
        return make_error(Errc::LimitExceeded, "message of " + std::to_string(n) +
                                                   " bytes exceeds the cap of " +
                                                   std::to_string(max_bytes));
    buf.resize(static_cast<std::size_t>(n));
    return std::optional<std::string>{std::move(buf)};
}

Result<void> send_message(int fd, std::string_view message) {
    ssize_t n;
    do n = ::send(fd, message.data(), message.size(), MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0) return Error::from_errno("send");
    if (static_cast<std::size_t>(n) != message.size())
        return make_error(Errc::Io, "short send on a packet socket");
    return {};
}

std::optional<int> activated_socket() {
    int n = sd_listen_fds(/* unset_environment= */ 1);
    if (n <= 0) return std::nullopt;
    return SD_LISTEN_FDS_START;
}

}  // namespace closedpaw
