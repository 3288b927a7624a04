// closedpawctl: the command-line client for ClosedPaw's daemons, over the system bus
// (DBUS_SYSTEM_BUS_ADDRESS is honoured, so it works against a private bus too).
#include <iostream>
#include <string>
#include <vector>

#include "ctl.hpp"

namespace {

const char* kHelp = R"(closedpawctl [--help] [--version] COMMAND ...

Actions (closedpawd):
  status                              version, sandbox runtime, pending count
  run SKILL OP [k=v | k:=JSON]...     submit a skill action and wait for its result
      [--no-wait] [--timeout S]
  submit TYPE [--skill ID] [k=v]...   submit any action type (chat, file_operation, ...)
  pending                             actions waiting for approval, with parameters and digest
  list [--status S]                   actions you may see
  show ID                             one action in full
  approve ID [--digest D]             approve (you confirm the digest you were shown)
  reject ID [--reason TEXT]           reject (or withdraw your own)
  skills                              installed skills and their operations' levels
  skill enable|disable ID             admin
  audit [--after N] [--limit N]       the audit log (approvers and admins)
  audit verify                        recompute the hash chain
Secrets (closedpaw-vaultd):
  vault set|get|list|rm|readers|lock|unlock|rotate|log   see 'closedpawctl vault --help'

Every listing accepts --json.
Exit codes: 0 ok, 1 failed, 2 usage, 3 access denied, 4 not found, 5 daemon or bus
unavailable, 6 vault locked or bad passphrase, 7 invalid argument or limit, 8 store or audit
log damaged, 9 rate limited, 10 action waits for approval.
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
    for (const char* c : {"status", "run", "submit", "pending", "list", "show", "approve", "reject",
                          "skills", "skill", "audit"})
        if (cmd == c) return closedpaw::ctl::action_command(cmd, rest);
    return closedpaw::ctl::usage_error("unknown command '" + cmd + "'");
}
