// Logging for daemons' top layers (library code returns errors instead of logging).
// Goes to journald with structured fields when a journal is reachable, to stderr otherwise.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace closedpaw::log {

enum class Priority { Error = 3, Warning = 4, Notice = 5, Info = 6, Debug = 7 };

// MESSAGE_IDs (sd-id128) so admins can filter with `journalctl MESSAGE_ID=…`.
inline constexpr std::string_view kSecurityEventId = "8a6e3c3bd2c34e4e9a1f0d5b7c2e4f11";
inline constexpr std::string_view kVaultAccessId = "3f1c2a9e6b7d4c58a0e2b1d4c6f8a902";
inline constexpr std::string_view kAuditId = "c52e9f0a1b3d4e6f8a7b9c0d1e2f3a4b";

using Field = std::pair<std::string_view, std::string>;

void init(std::string_view identifier);
void write(Priority priority, std::string_view message, std::initializer_list<Field> fields = {});

inline void error(std::string_view m, std::initializer_list<Field> f = {}) {
    write(Priority::Error, m, f);
}
inline void warning(std::string_view m, std::initializer_list<Field> f = {}) {
    write(Priority::Warning, m, f);
}
inline void notice(std::string_view m, std::initializer_list<Field> f = {}) {
    write(Priority::Notice, m, f);
}
inline void info(std::string_view m, std::initializer_list<Field> f = {}) {
    write(Priority::Info, m, f);
}
inline void debug(std::string_view m, std::initializer_list<Field> f = {}) {
    write(Priority::Debug, m, f);
}

}  // namespace closedpaw::log
