// closedpawctl: the command-line client for ClosedPaw's daemons, over the system bus
// (DBUS_SYSTEM_BUS_ADDRESS is honoured, so it works against a private bus too).
#include <iostream>
#include <string>
#include <vector>

#include "ctl.hpp"

namespace {

const char* kHelp = R"(closedpawctl [--help] [--version] COMMAND ...

Commands available now:
  vault set|get|list|rm|readers|lock|unlock|rotate|log   secrets in closedpaw-vaultd

Run 'closedpawctl vault --help' for details. Every listing accepts --json.
Exit codes: 0 ok, 1 failed, 2 usage, 3 access denied, 4 not found, 5 daemon or bus
unavailable, 6 vault locked or bad passphrase, 7 invalid argument or limit, 8 store damaged.
)";

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        std::cerr << kHelp;
        return closedpaw::ctl::kUsage;
    }
    const std::string cmd = args[0];
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
        std::cout << kHelp;
        return 0;
    }
    if (cmd == "--version") {
        std::cout << "closedpawctl " << CLOSEDPAW_VERSION << "\n";
        return 0;
    }
    if (cmd == "vault") return closedpaw::ctl::vault_command(rest);
    return closedpaw::ctl::usage_error("unknown command '" + cmd + "'");
}
