// closedpaw-vaultd: keeps secrets encrypted at rest and hands them only to callers whose
// bus credentials the ACLs allow. Start-up order matters: read config, prepare the master
// key (may need root), drop privileges, open the store, join the bus, load seccomp, serve.
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <sdbus-c++/sdbus-c++.h>

#include "common/daemon_args.hpp"
#include "common/event_loop.hpp"
#include "common/fd.hpp"
#include "common/log.hpp"
#include "common/privdrop.hpp"
#include "common/seccomp.hpp"
#include "master_key.hpp"
#include "vault_bus.hpp"
#include "vault_config.hpp"
#include "vault_manager.hpp"

using namespace closedpaw;

namespace {

int fail(const std::string& what, const Error& e) { return startup_failure(what, e); }

Result<void> prepare_state_directory(const vault::VaultConfig& config, const UserIdentity* user) {
    CP_TRY(ensure_directory(config.state_directory, 0700));
    if (user != nullptr && ::chown(config.state_directory.c_str(), user->uid, user->gid) != 0)
        return Error::from_errno("chown " + config.state_directory);
    return {};
}

}  // namespace

int main(int argc, char** argv) {
    log::init("closedpaw-vaultd");
    auto parsed = parse_daemon_args(argc, argv, "closedpaw-vaultd", std::string(CLOSEDPAW_SYSCONFDIR) + "/vault.toml",
                                    {{"--init-key", [](const char* path) -> std::optional<int> {
                                          if (sodium_init() < 0) return 1;
                                          auto r = vault::init_key_file(path);
                                          if (!r) return fail("--init-key", r.error());
                                          std::cout << (*r ? "created " : "kept existing ") << path << "\n";
                                          return 0;
                                      }}});
    if (auto* rc = std::get_if<int>(&parsed)) return *rc;
    const auto& args = std::get<DaemonArgs>(parsed);
    if (sodium_init() < 0) return fail("startup", make_error(Errc::Failed, "libsodium failed to initialise"));

    auto config = args.load_config() ? vault::load_vault_config(args.config_path) : Result(vault::default_vault_config());
    if (!config) return fail("configuration", config.error());

    std::optional<UserIdentity> user;
    if (::geteuid() == 0 && !config->user.empty()) {
        auto u = lookup_user(config->user);
        if (!u) return fail("configuration", u.error());
        user = *u;
    }
    if (auto r = prepare_state_directory(*config, user ? &*user : nullptr); !r) return fail("state directory", r.error());
    auto key = vault::prepare_master_key(*config);
    if (!key) return fail("master key", key.error());
    auto seccomp = load_seccomp_policy(config->seccomp_profile);
    if (!seccomp) return fail("seccomp profile", seccomp.error());

    DropSpec drop;
    if (user) {
        drop.uid = user->uid;
        drop.gid = user->gid;
    } else {
        drop.uid = ::geteuid();
        drop.gid = ::getegid();
    }
    if (auto r = drop_privileges(drop); !r) return fail("dropping privileges", r.error());

    auto manager = vault::VaultManager::open(*config, std::move(*key));
    if (!manager) return fail("opening the vault", manager.error());
    if (const auto& e = (*manager)->store_error()) log::error("the vault store cannot be used: " + e->message);

    try {
        EventLoop loop;
        auto bus = sdbus::createSystemBusConnection();
        vault::VaultBus adaptor(*bus, **manager);
        loop.attach_bus(*bus);
        loop.on_idle([&] { (*manager)->flush_access_log(); });
        if (auto r = apply_seccomp(*seccomp); !r) return fail("seccomp", r.error());
        // The name is taken only once the filter is in place, so whoever sees the vault on
        // the bus sees it confined.
        bus->requestName(vault::kBusName);
        const auto& broken = (*manager)->store_error();
        std::string status = broken                 ? "refusing every request: " + broken->message
                             : (*manager)->locked() ? "locked"
                                                    : std::to_string((*manager)->count()) + " secrets";
        log::info("serving " + std::string(vault::kBusName) + " (" + status + ")");
        EventLoop::notify_ready("Serving, " + status);
        loop.run();
        bus->releaseName(vault::kBusName);
    } catch (const sdbus::Error& e) {
        return fail("D-Bus", make_error(Errc::Unavailable, e.getName() + ": " + e.getMessage()));
    }
    log::info("stopped");
    return 0;
}
