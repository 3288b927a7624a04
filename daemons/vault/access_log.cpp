#include "access_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace closedpaw::vault {

namespace {

std::string to_line(const AccessRecord& r) {
    nlohmann::json j = {{"time_usec", r.time_usec}, {"uid", r.uid},   {"pid", r.pid},
                        {"method", r.method},       {"name", r.name}, {"result", r.result},
                        {"detail", r.detail}};
    // Replace invalid UTF-8 instead of throwing: names are validated, details are ours.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

bool from_line(const std::string& line, AccessRecord& r) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) return false;
    try {
        r.time_usec = j.at("time_usec").get<std::uint64_t>();
        r.uid = j.at("uid").get<std::uint32_t>();
        r.pid = j.at("pid").get<std::uint32_t>();
        r.method = j.at("method").get<std::string>();
        r.name = j.at("name").get<std::string>();
        r.result = j.at("result").get<std::string>();
        r.detail = j.at("detail").get<std::string>();
        return true;
    } catch (const nlohmann::json::exception&) {
        return false;
    }
}

Result<UniqueFd> open_append(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return Error::from_errno("cannot open access log " + path);
    return fd;
}

}  // namespace

Result<AccessLog> AccessLog::open(const std::string& path, std::size_t max_bytes,
                                  std::size_t memory_entries) {
    AccessLog log;
    log.path_ = path;
    log.max_bytes_ = max_bytes;
    log.memory_entries_ = memory_entries;
    // Reload the newest records so GetAccessLog survives a restart. A torn last line (a crash
    // mid-append) is skipped.
    for (const auto& p : {path + ".1", path}) {
        auto text = read_file(p, 2 * max_bytes + 4096);
        if (!text) continue;
        std::istringstream in(*text);
        std::string line;
        while (std::getline(in, line)) {
            AccessRecord r;
            if (!from_line(line, r)) continue;
            log.recent_.push_back(std::move(r));
            if (log.recent_.size() > memory_entries) log.recent_.pop_front();
        }
    }
    auto fd = open_append(path);
    if (!fd) return std::move(fd).error();
    log.fd_ = std::move(*fd);
    struct stat st {};
    if (::fstat(log.fd_.get(), &st) == 0) log.size_ = static_cast<std::size_t>(st.st_size);
    return log;
}

Result<void> AccessLog::rotate() {
    std::string old = path_ + ".1";
    if (::rename(path_.c_str(), old.c_str()) != 0) return Error::from_errno("rotate access log");
    auto fd = open_append(path_);
    if (!fd) return std::move(fd).error();
    fd_ = std::move(*fd);
    size_ = 0;
    return {};
}

Result<void> AccessLog::append(const AccessRecord& record) {
    recent_.push_back(record);
    if (recent_.size() > memory_entries_) recent_.pop_front();
    unflushed_.push_back(record);
    pending_ += to_line(record);
    if (pending_.size() > 64 * 1024) return flush();
    return {};
}

Result<void> AccessLog::flush() {
    if (pending_.empty()) return {};
    if (size_ + pending_.size() > max_bytes_ && size_ > 0) CP_TRY(rotate());
    std::string out;
    out.swap(pending_);
    CP_TRY(write_all(fd_.get(), out));
    size_ += out.size();
    return {};
}

std::vector<AccessRecord> AccessLog::take_unflushed() {
    std::vector<AccessRecord> out;
    out.swap(unflushed_);
    return out;
}

std::vector<AccessRecord> AccessLog::tail(std::size_t limit) const {
    std::size_t n = std::min(limit, recent_.size());
    return {recent_.end() - static_cast<std::ptrdiff_t>(n), recent_.end()};
}

}  // namespace closedpaw::vault
