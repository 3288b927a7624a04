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
    static Result<AccessLog> open(const std::string& path, std::size_t max_bytes, std::size_t memory_entries);

    // Appends one JSON line (O_APPEND, one write) and rotates past max_bytes.
    Result<void> append(const AccessRecord& record);
    std::vector<AccessRecord> tail(std::size_t limit) const;

private:
    Result<void> rotate();

    std::string path_;
    std::size_t max_bytes_ = 0;
    std::size_t memory_entries_ = 0;
    std::size_t size_ = 0;
    UniqueFd fd_;
    std::deque<AccessRecord> recent_;
};

}  // namespace closedpaw::vault
