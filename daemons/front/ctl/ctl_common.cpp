#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "ctl.hpp"

namespace closedpaw::ctl {

std::optional<std::string> Args::get(const std::string& o) const {
    auto it = options.find(o);
    if (it == options.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
}

std::optional<Args> parse_args(const std::vector<std::string>& argv,
                               const std::vector<std::string>& flags, std::string& error) {
    Args a;
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string& s = argv[i];
        if (s == "--") {
            a.positional.insert(a.positional.end(), argv.begin() + static_cast<long>(i) + 1,
                                argv.end());
            break;
        }
        if (s.rfind("--", 0) != 0 || s.size() == 2) {
            a.positional.push_back(s);
            continue;
        }
        std::string name = s.substr(2), value;
        bool has_value = false;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
            has_value = true;
        }
        if (name == "json") {
            a.json = true;
            continue;
        }
        bool is_flag = std::find(flags.begin(), flags.end(), name) != flags.end();
        if (is_flag) {
            a.options[name].push_back("");
            continue;
        }
        if (!has_value) {
            if (i + 1 >= argv.size()) {
                error = "option --" + name + " needs a value";
                return std::nullopt;
            }
            value = argv[++i];
        }
        a.options[name].push_back(value);
    }
    return a;
}

int usage_error(const std::string& message) {
    std::cerr << "closedpawctl: " << message << "\nTry 'closedpawctl --help'.\n";
    return kUsage;
}

int report(const std::string& what, const sdbus::Error& e) {
    const std::string& n = e.getName();
    std::string advice;
    int code = kFailed;
    if (n == "org.freedesktop.DBus.Error.ServiceUnknown" ||
        n == "org.freedesktop.DBus.Error.NameHasNoOwner") {
        advice =
            "the daemon is not running (start it: scripts/up, or systemctl start closedpaw.target)";
        code = kUnavailable;
    } else if (n == "org.freedesktop.DBus.Error.FileNotFound" ||
               n == "org.freedesktop.DBus.Error.NoServer" ||
               n == "org.freedesktop.DBus.Error.Disconnected") {
        advice = "cannot reach the system bus; is DBUS_SYSTEM_BUS_ADDRESS right?";
        code = kUnavailable;
    } else if (n == "org.freedesktop.DBus.Error.AccessDenied") {
        advice =
            "the bus policy does not let your user call this (ask an admin to add you to group "
            "closedpaw-users)";
        code = kDenied;
    } else if (n == "org.closedpaw.Error.AccessDenied") {
        code = kDenied;
    } else if (n == "org.closedpaw.Error.NotFound") {
        code = kNotFound;
    } else if (n == "org.closedpaw.Error.Locked") {
        code = kLocked;
    } else if (n == "org.closedpaw.Error.BadPassphrase") {
        code = kLocked;
    } else if (n == "org.closedpaw.Error.InvalidArgument" ||
               n == "org.closedpaw.Error.LimitExceeded" ||
               n == "org.freedesktop.DBus.Error.InvalidArgs") {
        code = kInvalid;
    } else if (n == "org.closedpaw.Error.Corrupt") {
        code = kCorrupt;
    } else if (n == "org.closedpaw.Error.RateLimited") {
        code = kRateLimited;
    } else if (n == "org.closedpaw.Error.Unavailable") {
        code = kUnavailable;
    }
    std::cerr << "closedpawctl: " << what << ": " << shown(e.getMessage()) << " (" << n << ")\n";
    if (!advice.empty()) std::cerr << "closedpawctl: " << advice << "\n";
    return code;
}

bool stdout_is_tty() {
    return ::isatty(STDOUT_FILENO) == 1;
}

namespace {

std::optional<std::string> read_line_noecho(const std::string& prompt) {
    std::fprintf(stderr, "%s", prompt.c_str());
    std::fflush(stderr);
    termios old{};
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    std::string line;
    bool ok = static_cast<bool>(std::getline(std::cin, line));
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::fprintf(stderr, "\n");
    if (!ok) return std::nullopt;
    return line;
}

}  // namespace

std::optional<std::string> read_secret(const std::string& prompt, bool confirm) {
    if (::isatty(STDIN_FILENO) != 1) {
        // Piped: the whole of stdin, less one trailing newline (so `echo KEY |` does what it says).
        std::string all((std::istreambuf_iterator<char>(std::cin)),
                        std::istreambuf_iterator<char>());
        if (!all.empty() && all.back() == '\n') all.pop_back();
        if (!all.empty() && all.back() == '\r') all.pop_back();
        return all;
    }
    auto first = read_line_noecho(prompt);
    if (!first) return std::nullopt;
    if (confirm) {
        auto again = read_line_noecho("Again: ");
        if (!again || *again != *first) {
            std::cerr << "closedpawctl: the two entries differ\n";
            return std::nullopt;
        }
    }
    return first;
}

namespace {

// Code points that change how a terminal shows the text around them, or show as nothing:
// C0/C1 controls and DEL, bidi overrides and isolates, zero-width and other invisible
// characters, Unicode tags and variation selectors.
bool hides_or_reorders(char32_t c) {
    return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0xAD || c == 0x34F || c == 0x61C ||
           c == 0x115F || c == 0x1160 || c == 0x17B4 || c == 0x17B5 || c == 0x180E ||
           (c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E) ||
           (c >= 0x2060 && c <= 0x206F) || c == 0x3164 || (c >= 0xFE00 && c <= 0xFE0F) ||
           c == 0xFEFF || c == 0xFFA0 || (c >= 0xFFF9 && c <= 0xFFFB) ||
           (c >= 0x1D173 && c <= 0x1D17A) || (c >= 0xE0000 && c <= 0xE0FFF);
}

void append_escape(std::string& out, char32_t c) {
    char buf[16];
    auto unit = [&](unsigned u) {
        std::snprintf(buf, sizeof buf, "\\u%04x", u);
        out += buf;
    };
    if (c > 0xFFFF) {  // as JSON spells it, so escaped JSON stays JSON
        c -= 0x10000;
        unit(0xD800 + static_cast<unsigned>(c >> 10));
        unit(0xDC00 + static_cast<unsigned>(c & 0x3FF));
    } else {
        unit(static_cast<unsigned>(c));
    }
}

}  // namespace

std::string shown(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    for (std::size_t i = 0; i < n;) {
        const unsigned char b = p[i];
        std::size_t len = b < 0x80         ? 1
                          : (b >> 5) == 6  ? 2
                          : (b >> 4) == 14 ? 3
                          : (b >> 3) == 30 ? 4
                                           : 0;
        char32_t c = len == 1 ? b : len == 2 ? b & 0x1F : len == 3 ? b & 0x0F : b & 0x07;
        bool valid = len != 0 && i + len <= n;
        for (std::size_t k = 1; valid && k < len; ++k) {
            valid = (p[i + k] & 0xC0) == 0x80;
            c = (c << 6) | (p[i + k] & 0x3F);
        }
        const char32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : len == 4 ? 0x10000 : 0;
        if (!valid || c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", b);
            out += buf;
            ++i;
            continue;
        }
        if (hides_or_reorders(c))
            append_escape(out, c);
        else
            out.append(s.substr(i, len));
        i += len;
    }
    return out;
}

std::string json_escape(const std::string& s) {
    return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string format_time_usec(std::uint64_t usec) {
    std::time_t t = static_cast<std::time_t>(usec / 1000000);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace closedpaw::ctl
