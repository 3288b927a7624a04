// Opens paths beneath a workspace directory so that nothing the workspace contains can lead
// outside it: no "..", no absolute paths, no symbolic links (including /proc magic links)
// anywhere in the path, no mount crossings. The kernel does the resolution, from the
// workspace's directory fd, in the same call that opens the file; there is no check on a
// string followed by an open of that string.
//
// Two strategies give the same guarantees:
//  * openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
//    RESOLVE_NO_XDEV, where the kernel has it;
//  * otherwise (gVisor lacks openat2; a seccomp filter may make it EPERM) a walk, one
//    component at a time, each opened with O_NOFOLLOW from the previous directory's fd and
//    checked to be a directory on the workspace's mount (mount id where the kernel reports
//    it, else the device).
// split_workspace_path refuses ".." (and absolute paths, NUL bytes, overlong names) before
// any open. For openat2 that only gives clearer errors (RESOLVE_BENEATH refuses escapes by
// itself); for the walk, refusing ".." is part of the walk, and the walk checks it again.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/fd.hpp"
#include "common/result.hpp"

namespace closedpaw::fs_skill {

inline constexpr std::size_t kMaxPathBytes = 4095;      // PATH_MAX without the NUL
inline constexpr std::size_t kMaxComponentBytes = 255;  // NAME_MAX

enum class ResolveStrategy {
    Auto,     // openat2 if the kernel offers it, else the walk
    Openat2,  // openat2 only: fails with Unavailable where it is missing (tests)
    Walk,     // the component walk only (tests, and the fallback)
};
const char* resolve_strategy_name(ResolveStrategy s);

// Splits a workspace-relative path into components, refusing NUL bytes, absolute paths,
// empty, "." and ".." components, and overlong paths or names. "" and "." name the
// workspace itself (an empty list) only when allow_root is true.
Result<std::vector<std::string_view>> split_workspace_path(std::string_view path,
                                                           bool allow_root = false);

class Resolver {
  public:
    // Opens the workspace directory. Its own path is trusted (it comes from the broker).
    static Result<Resolver> open_workspace(const std::string& workspace,
                                           ResolveStrategy strategy = ResolveStrategy::Auto);

    // The strategy in use: Openat2 or Walk, never Auto.
    ResolveStrategy strategy() const { return strategy_; }
    int root_fd() const { return root_.get(); }
    dev_t root_device() const { return root_dev_; }

    // Opens path (not the workspace itself) with flags; O_NOFOLLOW and O_CLOEXEC are always
    // added, so a symlink as the last component is refused too. Creating files is not
    // offered here: callers create within the parent directory (open_parent).
    Result<UniqueFd> open(std::string_view path, int flags) const;
    // Opens a directory for reading; "" and "." are the workspace itself.
    Result<UniqueFd> open_directory(std::string_view path) const;

    struct Parent {
        UniqueFd dir;      // opened O_RDONLY | O_DIRECTORY: usable for *at() calls and fsync
        std::string name;  // the last component: one name, never "." or ".."
    };
    // The directory holding path's last component, resolved as above.
    Result<Parent> open_parent(std::string_view path) const;

  private:
    Resolver(UniqueFd root, dev_t dev, std::optional<std::uint64_t> mnt, ResolveStrategy s)
        : root_(std::move(root)), root_dev_(dev), root_mount_(mnt), strategy_(s) {}

    // Same device and, where known, same mount as the workspace.
    bool on_workspace_mount(int fd, dev_t dev) const;

    Result<UniqueFd> open_components(std::span<const std::string_view> components, int flags) const;
    Result<UniqueFd> open_with_openat2(std::span<const std::string_view> components,
                                       int flags) const;
    Result<UniqueFd> open_with_walk(std::span<const std::string_view> components, int flags) const;

    UniqueFd root_;
    dev_t root_dev_ = 0;
    std::optional<std::uint64_t> root_mount_;
    ResolveStrategy strategy_ = ResolveStrategy::Walk;
};

}  // namespace closedpaw::fs_skill
