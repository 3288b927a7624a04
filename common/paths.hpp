// Where a daemon keeps things: systemd's $STATE_DIRECTORY, $RUNTIME_DIRECTORY and
// $CREDENTIALS_DIRECTORY first, then the given fallbacks.
#pragma once

#include <string>

namespace closedpaw {

std::string state_directory(const std::string& fallback);
std::string runtime_directory(const std::string& fallback);
std::string credentials_directory();  // empty when systemd passed none

}  // namespace closedpaw
