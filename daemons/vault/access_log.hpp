// Every Store/Retrieve/Delete/List (and admin call), granted or denied: time, caller uid/pid,
// method, name, result. Kept bounded on disk (one rotation) and in memory for GetAccessLog.
// Values are never recorded.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "common/fd.hpp"
#include "common/result.hpp"

namespace closedpaw::vault {

struct AccessRecord {
    std::uint64_t time_usec = 0;
    std::uint32_t uid = 0;
    std::uint32_t pid = 0;
    std::string method;
    std::string name;
    std::string result;  // granted, denied, failed
    std::string detail;
};

class AccessLog {
  public:
    static Result<AccessLog> open(const std::string& path, std::size_t max_bytes,
                                  std::size_t memory_entries);

    // Queues one record: it is visible to tail() at once and reaches the file at the next
    // flush() (the daemon flushes once its replies are sent, before it sleeps, so a reply is
    // not delayed by the write; a queue past 64 KiB is flushed at once).
    Result<void> append(const AccessRecord& record);
    // Writes the queued lines with one O_APPEND write, rotating past max_bytes.
    Result<void> flush();
    // Records queued and not yet flushed, for the journald mirror.
    std::vector<AccessRecord> take_unflushed();
    std::vector<AccessRecord> tail(std::size_t limit) const;

  private:
    Result<void> rotate();

    std::string path_;
    std::size_t max_bytes_ = 0;
    std::size_t memory_entries_ = 0;
    std::size_t size_ = 0;
    UniqueFd fd_;
    std::deque<AccessRecord> recent_;
    std::string pending_;
    std::vector<AccessRecord> unflushed_;
};

}  // namespace closedpaw::vault
