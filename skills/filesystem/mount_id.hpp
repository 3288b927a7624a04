// The mount an fd lies on (statx STATX_MNT_ID, Linux 5.8+). The walk compares it with the
// workspace's: st_dev alone misses a bind mount of the same filesystem.
#pragma once

#include <cstdint>
#include <optional>

namespace closedpaw::fs_skill {

// nullopt where the kernel (or gVisor) does not report mount ids.
std::optional<std::uint64_t> mount_id_of(int fd);

}  // namespace closedpaw::fs_skill
