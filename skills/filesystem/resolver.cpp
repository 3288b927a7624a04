#include "resolver.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "mount_id.hpp"

namespace closedpaw::fs_skill {

namespace {

constexpr std::uint64_t kResolveFlags =
    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
// openat2 fails with EAGAIN when a concurrent rename might have let a lookup escape; it is
// safe to retry, and a bounded number of retries keeps a hostile renamer from spinning us.
constexpr int kOpenat2Retries = 64;

int sys_openat2(int dirfd, const char* path, std::uint64_t flags) {
    open_how how{};
    how.flags = flags;
    how.resolve = kResolveFlags;
    return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

// errno from an open beneath the workspace, as an error a caller can act on.
Error open_error(int err) {
    switch (err) {
        case ELOOP:
            return make_error(Errc::AccessDenied,
                              "the path goes through a symbolic link, which is refused");
        case EXDEV:
            return make_error(Errc::AccessDenied, "the path leaves the workspace");
        case ENOENT:
            return make_error(Errc::NotFound, "no such file or directory");
        case ENOTDIR:
            return make_error(Errc::InvalidArgument, "a component of the path is not a directory");
        case EISDIR:
            return make_error(Errc::InvalidArgument, "the path is a directory");
        case ENAMETOOLONG:
            return make_error(Errc::LimitExceeded, "the path is too long");
        case EACCES:
        case EPERM:
            return make_error(Errc::AccessDenied, "permission denied");
        default:
            return Error::from_errno("cannot open the path", err);
    }
}

bool openat2_missing(int err) {
    return err == ENOSYS || err == EPERM || err == EINVAL || err == E2BIG;
}

}  // namespace

const char* resolve_strategy_name(ResolveStrategy s) {
    switch (s) {
        case ResolveStrategy::Auto:
            return "auto";
        case ResolveStrategy::Openat2:
            return "openat2";
        case ResolveStrategy::Walk:
            return "walk";
    }
    return "walk";
}

Result<std::vector<std::string_view>> split_workspace_path(std::string_view path, bool allow_root) {
    if (path.size() > kMaxPathBytes)
        return make_error(Errc::LimitExceeded,
                          "the path is longer than " + std::to_string(kMaxPathBytes) + " bytes");
    if (path.find('\0') != std::string_view::npos)
        return make_error(Errc::InvalidArgument, "the path contains a NUL byte");
    if (path.empty() || path == ".") {
        if (allow_root) return std::vector<std::string_view>{};
        return make_error(Errc::InvalidArgument, "the path names the workspace itself, not a file");
    }
    if (path.front() == '/')
        return make_error(Errc::AccessDenied,
                          "absolute paths are refused; give a path relative to the workspace");
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (;;) {
        auto slash = path.find('/', start);
        auto part = path.substr(
            start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (part.empty())
            return make_error(Errc::InvalidArgument,
                              "the path has an empty component (a doubled or trailing '/')");
        if (part == "." || part == "..")
            return make_error(Errc::AccessDenied, "'.' and '..' path components are refused");
        if (part.size() > kMaxComponentBytes)
            return make_error(
                Errc::LimitExceeded,
                "a path component is longer than " + std::to_string(kMaxComponentBytes) + " bytes");
        parts.push_back(part);
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return parts;
}

Result<Resolver> Resolver::open_workspace(const std::string& workspace, ResolveStrategy strategy) {
    UniqueFd root(::open(workspace.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return Error::from_errno("cannot open the workspace " + workspace);
    struct stat st {};
    if (::fstat(root.get(), &st) != 0) return Error::from_errno("cannot stat the workspace");

    ResolveStrategy chosen = ResolveStrategy::Walk;
    if (strategy != ResolveStrategy::Walk) {
        UniqueFd probe(sys_openat2(root.get(), ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (probe) {
            chosen = ResolveStrategy::Openat2;
        } else if (!openat2_missing(errno)) {
            return Error::from_errno("openat2 on the workspace failed");
        } else if (strategy == ResolveStrategy::Openat2) {
            return make_error(Errc::Unavailable,
                              "openat2 with RESOLVE_BENEATH is not available here");
        }
    }
    return Resolver(std::move(root), st.st_dev, mount_id_of(root.get()), chosen);
}

bool Resolver::on_workspace_mount(int fd, dev_t dev) const {
    if (dev != root_dev_) return false;
    return !root_mount_ || mount_id_of(fd) == root_mount_;
}

Result<UniqueFd> Resolver::open(std::string_view path, int flags) const {
    auto parts = split_workspace_path(path);
    if (!parts) return std::move(parts).error();
    return open_components(*parts, flags);
}

Result<UniqueFd> Resolver::open_directory(std::string_view path) const {
    auto parts = split_workspace_path(path, /* allow_root= */ true);
    if (!parts) return std::move(parts).error();
    return open_components(*parts, O_RDONLY | O_DIRECTORY);
}

Result<Resolver::Parent> Resolver::open_parent(std::string_view path) const {
    auto parts = split_workspace_path(path);
    if (!parts) return std::move(parts).error();
    std::span<const std::string_view> all(*parts);
    auto dir = open_components(all.first(all.size() - 1), O_RDONLY | O_DIRECTORY);
    if (!dir) return std::move(dir).error();
    return Parent{std::move(*dir), std::string(parts->back())};
}

Result<UniqueFd> Resolver::open_components(std::span<const std::string_view> components,
                                           int flags) const {
    flags |= O_NOFOLLOW | O_CLOEXEC;
    auto fd = strategy_ == ResolveStrategy::Openat2 ? open_with_openat2(components, flags)
                                                    : open_with_walk(components, flags);
    if (!fd) return fd;
    // With O_PATH | O_NOFOLLOW both strategies hand back a trailing symlink itself; callers
    // are never given one, whatever flags they pass.
    struct stat st {};
    if (::fstat(fd->get(), &st) != 0) return Error::from_errno("cannot stat the opened path");
    if (S_ISLNK(st.st_mode)) return open_error(ELOOP);
    if (!on_workspace_mount(fd->get(), st.st_dev)) return open_error(EXDEV);
    return fd;
}

Result<UniqueFd> Resolver::open_with_openat2(std::span<const std::string_view> components,
                                             int flags) const {
    std::string joined;
    for (auto c : components) {
        if (!joined.empty()) joined += '/';
        joined += c;
    }
    if (joined.empty()) joined = ".";
    for (int attempt = 0; attempt < kOpenat2Retries; ++attempt) {
        int fd = sys_openat2(root_.get(), joined.c_str(), static_cast<std::uint64_t>(flags));
        if (fd >= 0) return UniqueFd(fd);
        if (errno != EAGAIN && errno != EINTR) return open_error(errno);
    }
    return make_error(Errc::Busy, "the path kept changing while it was opened; try again");
}

Result<UniqueFd> Resolver::open_with_walk(std::span<const std::string_view> components,
                                          int flags) const {
    if (components.empty()) {
        UniqueFd fd(::openat(root_.get(), ".", flags));
        if (!fd) return open_error(errno);
        return fd;
    }
    UniqueFd current;  // invalid: root_ is the starting point
    std::string name;
    for (std::size_t i = 0; i < components.size(); ++i) {
        name.assign(components[i]);
        // Each step is one name below the current directory: never "..", never a path.
        if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
            return make_error(Errc::AccessDenied, "'.' and '..' path components are refused");
        int dirfd = current ? current.get() : root_.get();
        bool last = i + 1 == components.size();
        int component_flags = last ? flags : (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        UniqueFd next(::openat(dirfd, name.c_str(), component_flags));
        if (!next) {
            int err = errno;
            // The open failed, which is the decision. Only the message is refined here:
            // Linux reports a symlink met with O_PATH | O_DIRECTORY | O_NOFOLLOW as ENOTDIR,
            // gVisor a symlink met with O_DIRECTORY | O_NOFOLLOW as ENOENT.
            struct stat lst {};
            if ((err == ENOTDIR || err == ENOENT) &&
                ::fstatat(dirfd, name.c_str(), &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(lst.st_mode))
                err = ELOOP;
            return open_error(err);
        }
        if (!last) {
            struct stat st {};
            if (::fstat(next.get(), &st) != 0) return Error::from_errno("cannot stat a directory");
            if (!S_ISDIR(st.st_mode)) return open_error(ENOTDIR);
            if (!on_workspace_mount(next.get(), st.st_dev)) return open_error(EXDEV);
        }
        current = std::move(next);
    }
    return current;
}

}  // namespace closedpaw::fs_skill
