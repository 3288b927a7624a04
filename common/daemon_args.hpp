// The command line every daemon shares: --config PATH, --version, --help, plus the daemon's
// own options with a value (e.g. the vault's --init-key PATH). Also the one way a daemon's
// top layer reports a fatal start-up error.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "result.hpp"

namespace closedpaw {

struct DaemonArgs {
    std::string config_path;
    bool explicit_config = false;
    // Load the config file? Yes when given explicitly (it must exist) or when the default exists.
    bool load_config() const;
};

// An extra option: return an exit code to stop (after doing its job), or nullopt to go on.
using ExtraOption = std::function<std::optional<int>(const char* value)>;

// Returns the parsed arguments, or the exit code to end with (usage error 2, --help/--version 0).
std::variant<DaemonArgs, int> parse_daemon_args(
    int argc, char** argv, std::string_view name, std::string default_config,
    std::initializer_list<std::pair<std::string_view, ExtraOption>> extra = {});

// Logs "<what>: <message>" at error priority and returns 1, the exit code of a failed start.
int startup_failure(const std::string& what, const Error& error);

}  // namespace closedpaw
