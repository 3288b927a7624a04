#include "log.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string>
#include <vector>

namespace closedpaw::log {

namespace {

std::string g_identifier = "closedpaw";
bool g_journal = false;
Priority g_max = Priority::Info;
std::mutex g_mutex;

bool journal_reachable() {
    if (const char* force = std::getenv("CLOSEDPAW_LOG"); force != nullptr) {
        return std::string(force) == "journal";
    }
    struct stat st {};
    return ::stat("/run/systemd/journal/socket", &st) == 0 && S_ISSOCK(st.st_mode);
}

}  // namespace

void init(std::string_view identifier) {
    std::lock_guard lock(g_mutex);
    g_identifier = std::string(identifier);
    g_journal = journal_reachable();
    if (const char* level = std::getenv("CLOSEDPAW_DEBUG"); level != nullptr && *level == '1')
        g_max = Priority::Debug;
}

void write(Priority priority, std::string_view message, std::initializer_list<Field> fields) {
    if (static_cast<int>(priority) > static_cast<int>(g_max)) return;
    std::lock_guard lock(g_mutex);
    if (g_journal) {
        std::vector<std::string> parts;
        parts.reserve(fields.size() + 3);
        parts.push_back("MESSAGE=" + std::string(message));
        parts.push_back("PRIORITY=" + std::to_string(static_cast<int>(priority)));
        parts.push_back("SYSLOG_IDENTIFIER=" + g_identifier);
        for (const auto& [k, v] : fields) parts.push_back(std::string(k) + "=" + v);
        std::vector<iovec> iov;
        iov.reserve(parts.size());
        for (auto& p : parts) iov.push_back({p.data(), p.size()});
        if (sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) >= 0) return;
        // Fall through to stderr if the journal refused the entry.
    }
    std::string line = "<" + std::to_string(static_cast<int>(priority)) + ">" + g_identifier +
                       ": " + std::string(message);
    for (const auto& [k, v] : fields) {
        if (k == "MESSAGE_ID") continue;
        line += " " + std::string(k) + "=" + v;
    }
    line += "\n";
    (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace closedpaw::log
