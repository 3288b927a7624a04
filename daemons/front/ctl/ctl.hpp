// closedpawctl: shared pieces of the CLI. Exit codes are stable so scripts can use them.
#pragma once

#include <sdbus-c++/sdbus-c++.h>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace closedpaw::ctl {

enum Exit : int {
    kOk = 0,
    kFailed = 1,
    kUsage = 2,
    kDenied = 3,  // AccessDenied, by the daemon or the bus policy
    kNotFound = 4,
    kUnavailable = 5,  // daemon or bus not running
    kLocked = 6,       // vault locked / bad passphrase
    kInvalid = 7,      // invalid argument or limit exceeded
    kCorrupt = 8,
    kRateLimited = 9,
    kPending = 10,  // an action waits for approval
};

struct Args {
    std::vector<std::string> positional;
    std::map<std::string, std::vector<std::string>> options;  // --name value (repeatable)
    bool json = false;

    bool has(const std::string& o) const { return options.count(o) != 0; }
    std::optional<std::string> get(const std::string& o) const;
};

// Parses "--json", "--flag", "--key value" and "--key=value"; flags listed in `flags` take no
// value.
std::optional<Args> parse_args(const std::vector<std::string>& argv,
                               const std::vector<std::string>& flags, std::string& error);

// Prints "closedpawctl: <what>: <message>" with advice for well-known bus errors; returns the exit
// code.
int report(const std::string& what, const sdbus::Error& e);
int usage_error(const std::string& message);

// Reads a secret from the terminal without echo (prompted), or from stdin when it is not a tty.
std::optional<std::string> read_secret(const std::string& prompt, bool confirm);
bool stdout_is_tty();

std::string json_escape(const std::string& s);
// Text from the daemon (parameters, reasons, skill output) as a terminal may show it: controls,
// bidi overrides and invisible characters as \uXXXX escapes (JSON's spelling, so JSON stays
// JSON), bytes that are not UTF-8 as \xNN. What an approver reads is what the text holds.
std::string shown(std::string_view s);
std::string format_time_usec(std::uint64_t usec);

int vault_command(const std::vector<std::string>& argv);
int action_command(const std::string& cmd, const std::vector<std::string>& argv);

}  // namespace closedpaw::ctl
