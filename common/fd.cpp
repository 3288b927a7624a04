#include "fd.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <random>

namespace closedpaw {

void UniqueFd::reset(int fd) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

Result<void> write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::from_errno("write");
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

Result<std::string> read_all(int fd, std::size_t max_bytes) {
    std::string out;
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::from_errno("read");
        }
        if (n == 0) break;
        if (out.size() + static_cast<std::size_t>(n) > max_bytes)
            return make_error(Errc::LimitExceeded,
                              "input is larger than " + std::to_string(max_bytes) + " bytes");
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

Result<std::string> read_file(const std::string& path, std::size_t max_bytes) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return Error::from_errno("cannot open " + path);
    auto data = read_all(fd.get(), max_bytes);
    if (!data) return std::move(data).error().prefix(path);
    return data;
}

namespace {

std::string random_suffix() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    static const char* hex = "0123456789abcdef";
    std::string s(12, '0');
    auto v = rng();
    for (auto& c : s) {
        c = hex[v & 0xf];
        v >>= 4;
    }
    return s;
}

}  // namespace

Result<void> write_file_atomic(const std::string& path, std::string_view data,
                               AtomicWriteOptions options) {
    std::filesystem::path p(path);
    std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
    std::string tmp = dir + "/." + p.filename().string() + ".tmp-" + random_suffix();

    UniqueFd fd(
        ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, options.mode));
    if (!fd) return Error::from_errno("cannot create " + tmp);
    auto cleanup_fail = [&](Error e) -> Result<void> {
        ::unlink(tmp.c_str());
        return e;
    };
    // O_CREAT's mode is filtered by the umask; the file's mode must not depend on it.
    if (::fchmod(fd.get(), options.mode) != 0)
        return cleanup_fail(Error::from_errno("fchmod " + tmp));
    if (auto r = write_all(fd.get(), data); !r)
        return cleanup_fail(std::move(r).error().prefix(tmp));
    if (options.sync && ::fsync(fd.get()) != 0)
        return cleanup_fail(Error::from_errno("fsync " + tmp));
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) != 0)
        return cleanup_fail(Error::from_errno("rename " + tmp + " to " + path));
    if (options.sync) {
        UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!dfd) return Error::from_errno("open directory " + dir);
        if (::fsync(dfd.get()) != 0) return Error::from_errno("fsync directory " + dir);
    }
    return {};
}

Result<void> ensure_directory(const std::string& path, mode_t mode) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return make_error(Errc::Io, "cannot create directory " + path + ": " + ec.message());
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return Error::from_errno("stat " + path);
    if (!S_ISDIR(st.st_mode)) return make_error(Errc::Io, path + " is not a directory");
    if ((st.st_mode & 07777) != mode && st.st_uid == ::geteuid()) {
        if (::chmod(path.c_str(), mode) != 0) return Error::from_errno("chmod " + path);
    }
    return {};
}

void set_cloexec_from(int lowest_fd) {
    DIR* d = ::opendir("/proc/self/fd");
    if (d == nullptr) return;
    int self = ::dirfd(d);
    while (auto* e = ::readdir(d)) {
        char* end = nullptr;
        long fd = std::strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0' || fd < lowest_fd || fd == self) continue;
        int flags = ::fcntl(static_cast<int>(fd), F_GETFD);
        if (flags >= 0) ::fcntl(static_cast<int>(fd), F_SETFD, flags | FD_CLOEXEC);
    }
    ::closedir(d);
}

}  // namespace closedpaw
