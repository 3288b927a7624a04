#include "daemon_args.hpp"

#include <sys/stat.h>

#include <iostream>

#include "log.hpp"

namespace closedpaw {

bool DaemonArgs::load_config() const {
    struct stat st {};
    return explicit_config || ::stat(config_path.c_str(), &st) == 0;
}

std::variant<DaemonArgs, int> parse_daemon_args(
    int argc, char** argv, std::string_view name, std::string default_config,
    std::initializer_list<std::pair<std::string_view, ExtraOption>> extra) {
    DaemonArgs args{std::move(default_config), false};
    std::string usage = "usage: " + std::string(name) + " [--config PATH]";
    for (const auto& [flag, fn] : extra) usage += " [" + std::string(flag) + " VALUE]";
    usage += " [--version]\n";
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--config" && i + 1 < argc) {
            args.config_path = argv[++i];
            args.explicit_config = true;
            continue;
        }
        if (a == "--version") {
            std::cout << name << " " << CLOSEDPAW_VERSION << "\n";
            return 0;
        }
        if (a == "--help") {
            std::cout << usage;
            return 0;
        }
        bool handled = false;
        for (const auto& [flag, fn] : extra) {
            if (a == flag && i + 1 < argc) {
                if (auto rc = fn(argv[++i])) return *rc;
                handled = true;
                break;
            }
        }
        if (!handled) {
            std::cerr << usage;
            return 2;
        }
    }
    return args;
}

int startup_failure(const std::string& what, const Error& error) {
    log::error(what + ": " + error.message);
    return 1;
}

}  // namespace closedpaw
