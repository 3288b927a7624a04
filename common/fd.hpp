// File-descriptor ownership and the file operations the daemons share, among them the one
// crash-safe write every durable store uses (temp file, fsync, rename, fsync directory).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "result.hpp"

namespace closedpaw {

class UniqueFd {
  public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    ~UniqueFd() { reset(); }

    int get() const noexcept { return fd_; }
    bool valid() const noexcept { return fd_ >= 0; }
    explicit operator bool() const noexcept { return valid(); }
    int release() noexcept {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }
    void reset(int fd = -1) noexcept;

  private:
    int fd_ = -1;
};

// Writes all of data, retrying on EINTR and short writes.
Result<void> write_all(int fd, std::string_view data);
// Reads until EOF; fails with LimitExceeded past max_bytes.
Result<std::string> read_all(int fd, std::size_t max_bytes);
// Opens path (O_NOFOLLOW on the last component) and reads it whole, at most max_bytes.
Result<std::string> read_file(const std::string& path, std::size_t max_bytes);

struct AtomicWriteOptions {
    mode_t mode = 0600;
    bool sync = true;  // fsync the file and the directory: the write survives power loss
};
// Replaces path with data so that a crash at any moment leaves either the old or the new
// content, never a mix: write a temp file beside it, fsync, rename over, fsync the directory.
Result<void> write_file_atomic(const std::string& path, std::string_view data,
                               AtomicWriteOptions options = {});

// Creates a directory (and parents) with the given mode if missing; checks it is a directory.
Result<void> ensure_directory(const std::string& path, mode_t mode);

// Marks every fd above 2 close-on-exec except those listed (used before exec of a child).
void set_cloexec_from(int lowest_fd);

}  // namespace closedpaw
