// Kept apart from <sys/stat.h>: glibc's struct statx hides stx_mnt_id, the kernel's has it.
#include "mount_id.hpp"

#include <fcntl.h>
#include <linux/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace closedpaw::fs_skill {

std::optional<std::uint64_t> mount_id_of(int fd) {
    struct statx stx {};
    if (::syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) != 0) return std::nullopt;
    if ((stx.stx_mask & STATX_MNT_ID) == 0) return std::nullopt;
    return stx.stx_mnt_id;
}

}  // namespace closedpaw::fs_skill
