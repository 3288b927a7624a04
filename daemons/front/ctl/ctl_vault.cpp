// closedpawctl vault ...: the vault's commands. Values never come from argv (they would be in
// shell history and /proc/*/cmdline): stdin, or a prompt without echo.
#include <pwd.h>
#include <sodium.h>
#include <unistd.h>

#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "ctl.hpp"
#include "vault_proxy.h"

namespace closedpaw::ctl {

namespace {

class VaultClient final : public sdbus::ProxyInterfaces<org::closedpaw::Vault1_proxy> {
  public:
    explicit VaultClient(sdbus::IConnection& bus)
        : ProxyInterfaces(bus, "org.closedpaw.Vault1", "/org/closedpaw/Vault1") {
        registerProxy();
    }
    ~VaultClient() { unregisterProxy(); }
};

const char* kVaultHelp = R"(closedpawctl vault COMMAND

  set NAME [--level L] [--reader USER]...   store a secret read from stdin or a prompt
  get NAME                                   print a secret (raw bytes)
  list [--json]                              names and metadata you may see, never values
  rm NAME                                    delete a secret (owner or admin)
  readers NAME [USER]...                     set who else may read a secret (owner or admin)
  lock | unlock | rotate                     admin: wipe keys / unlock / re-seal under a new key
  log [--limit N] [--json]                   admin: the access log, newest last

Levels: public < standard (default) < elevated < admin; your clearance (vault.toml) must reach it.
)";

std::optional<std::uint32_t> resolve_uid(const std::string& who) {
    if (!who.empty() && std::all_of(who.begin(), who.end(), ::isdigit))
        return static_cast<std::uint32_t>(std::stoul(who));
    if (passwd* pw = ::getpwnam(who.c_str())) return pw->pw_uid;
    return std::nullopt;
}

std::string user_name(std::uint32_t uid) {
    if (passwd* pw = ::getpwuid(uid)) return pw->pw_name;
    return std::to_string(uid);
}

int set_readers(VaultClient& v, const std::string& name, const std::vector<std::string>& who) {
    std::vector<std::uint32_t> uids;
    for (const auto& w : who) {
        auto uid = resolve_uid(w);
        if (!uid) return usage_error("no user named '" + w + "'");
        uids.push_back(*uid);
    }
    v.SetReaders(name, uids);
    return kOk;
}

int list(VaultClient& v, const Args& a) {
    auto entries = v.List();
    if (a.json) {
        auto arr = nlohmann::json::array();
        for (auto& e : entries) {
            arr.push_back({{"name", e["name"].get<std::string>()},
                           {"access_level", e["access_level"].get<std::string>()},
                           {"owner", e["owner"].get<std::uint32_t>()},
                           {"readers", e["readers"].get<std::vector<std::uint32_t>>()},
                           {"size", e["size"].get<std::uint32_t>()},
                           {"created_usec", e["created_usec"].get<std::uint64_t>()},
                           {"updated_usec", e["updated_usec"].get<std::uint64_t>()}});
        }
        std::cout << arr.dump(2) << "\n";
        return kOk;
    }
    if (entries.empty()) {
        std::cout << "No secrets you may see.\n";
        return kOk;
    }
    std::cout << std::left << std::setw(32) << "NAME" << std::setw(10) << "LEVEL" << std::setw(14)
              << "OWNER" << std::setw(8) << "SIZE"
              << "UPDATED\n";
    for (auto& e : entries) {
        std::cout << std::setw(32) << e["name"].get<std::string>() << std::setw(10)
                  << e["access_level"].get<std::string>() << std::setw(14)
                  << user_name(e["owner"].get<std::uint32_t>()) << std::setw(8)
                  << e["size"].get<std::uint32_t>()
                  << format_time_usec(e["updated_usec"].get<std::uint64_t>()) << "\n";
    }
    return kOk;
}

int access_log(VaultClient& v, const Args& a) {
    std::uint32_t limit = 50;
    if (auto l = a.get("limit")) {
        try {
            limit = static_cast<std::uint32_t>(std::stoul(*l));
        } catch (const std::exception&) {
            return usage_error("--limit takes a number");
        }
    }
    auto records = v.GetAccessLog(limit);
    if (a.json) {
        auto arr = nlohmann::json::array();
        for (auto& r : records) {
            arr.push_back({{"time_usec", r["time_usec"].get<std::uint64_t>()},
                           {"uid", r["uid"].get<std::uint32_t>()},
                           {"pid", r["pid"].get<std::uint32_t>()},
                           {"method", r["method"].get<std::string>()},
                           {"name", r["name"].get<std::string>()},
                           {"result", r["result"].get<std::string>()},
                           {"detail", r["detail"].get<std::string>()}});
        }
        std::cout << arr.dump(2) << "\n";
        return kOk;
    }
    for (auto& r : records) {
        std::cout << format_time_usec(r["time_usec"].get<std::uint64_t>()) << "  uid "
                  << std::setw(6) << std::left << r["uid"].get<std::uint32_t>() << " "
                  << std::setw(12) << r["method"].get<std::string>() << std::setw(24)
                  << r["name"].get<std::string>() << r["result"].get<std::string>();
        if (!r["detail"].get<std::string>().empty())
            std::cout << "  " << r["detail"].get<std::string>();
        std::cout << "\n";
    }
    return kOk;
}

}  // namespace

int vault_command(const std::vector<std::string>& argv) {
    std::string err;
    auto a = parse_args(argv, {"help"}, err);
    if (!a) return usage_error(err);
    if (a->has("help") || a->positional.empty()) {
        std::cout << kVaultHelp;
        return a->positional.empty() && !a->has("help") ? kUsage : kOk;
    }
    const std::string cmd = a->positional[0];
    const auto& pos = a->positional;
    auto need = [&](std::size_t n) { return pos.size() == n + 1; };
    std::string what = "vault " + cmd + (pos.size() > 1 ? " " + pos[1] : "");
    try {
        auto bus = sdbus::createSystemBusConnection();
        VaultClient v(*bus);
        if (cmd == "set") {
            if (!need(1))
                return usage_error(
                    "usage: closedpawctl vault set NAME [--level L] [--reader USER]...");
            auto value = read_secret("Value for " + pos[1] + ": ", /* confirm= */ true);
            if (!value) return kFailed;
            if (value->empty()) return usage_error("the value is empty");
            std::vector<std::uint8_t> bytes(value->begin(), value->end());
            sodium_memzero(value->data(), value->size());
            v.Store(pos[1], bytes, a->get("level").value_or("standard"));
            sodium_memzero(bytes.data(), bytes.size());
            if (a->has("reader")) return set_readers(v, pos[1], a->options.at("reader"));
            return kOk;
        }
        if (cmd == "get") {
            if (!need(1)) return usage_error("usage: closedpawctl vault get NAME");
            auto bytes = v.Retrieve(pos[1]);
            std::cout.write(reinterpret_cast<const char*>(bytes.data()),
                            static_cast<std::streamsize>(bytes.size()));
            if (stdout_is_tty()) std::cout << "\n";
            std::cout.flush();
            sodium_memzero(bytes.data(), bytes.size());
            return kOk;
        }
        if (cmd == "list") return list(v, *a);
        if (cmd == "rm") {
            if (!need(1)) return usage_error("usage: closedpawctl vault rm NAME");
            v.Delete(pos[1]);
            return kOk;
        }
        if (cmd == "readers") {
            if (pos.size() < 2)
                return usage_error("usage: closedpawctl vault readers NAME [USER]...");
            return set_readers(v, pos[1], {pos.begin() + 2, pos.end()});
        }
        if (cmd == "lock" && need(0)) {
            v.Lock();
            return kOk;
        }
        if (cmd == "unlock" && need(0)) {
            std::string pass;
            if (!a->has("key-file")) {
                auto p = read_secret("Vault passphrase (empty for a key-file vault): ", false);
                if (!p) return kFailed;
                pass = std::move(*p);
            }
            std::vector<std::uint8_t> bytes(pass.begin(), pass.end());
            sodium_memzero(pass.data(), pass.size());
            v.Unlock(bytes);
            sodium_memzero(bytes.data(), bytes.size());
            return kOk;
        }
        if (cmd == "rotate" && need(0)) {
            v.RotateKey();
            return kOk;
        }
        if (cmd == "log" && need(0)) return access_log(v, *a);
        return usage_error("unknown vault command '" + cmd + "'\n" + kVaultHelp);
    } catch (const sdbus::Error& e) {
        return report(what, e);
    }
}

}  // namespace closedpaw::ctl
