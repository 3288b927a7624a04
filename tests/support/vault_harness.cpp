#include "vault_harness.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace cptest {

VaultHarness::VaultHarness(VaultOptions options) {
    dir_ = make_temp_dir("vault");
    std::ofstream(config_path()) << "[vault]\n"
                                 << "state_directory = \"" << dir_ << "/state\"\n"
                                 << "key_file = \"" << dir_ << "/vault.key\"\n"
                                 << "seccomp_profile = \"" << source_root()
                                 << "/policy/seccomp/closedpaw-vaultd.toml\"\n"
                                 << options.extra_vault_keys << "\n"
                                 << options.clearances;
}

VaultHarness::~VaultHarness() {
    daemon_.stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

void VaultHarness::start() {
    daemon_ = Process::start(
        {build_root() + "/daemons/vault/closedpaw-vaultd", "--config", config_path()},
        dir_ + "/vaultd.log");
    if (!wait_for_bus_name("org.closedpaw.Vault1"))
        throw std::runtime_error("vaultd did not start:\n" + log());
}

void VaultHarness::stop() {
    daemon_.stop();
    eventually(
        [] { return !wait_for_bus_name("org.closedpaw.Vault1", std::chrono::milliseconds(0)); });
}

void VaultHarness::kill9() {
    daemon_.kill9();
    eventually(
        [] { return !wait_for_bus_name("org.closedpaw.Vault1", std::chrono::milliseconds(0)); });
}

std::unique_ptr<sdbus::IProxy> VaultHarness::proxy(sdbus::IConnection& conn) const {
    return sdbus::createProxy(conn, "org.closedpaw.Vault1", "/org/closedpaw/Vault1");
}

std::string vault_call(const std::function<void(sdbus::IProxy&)>& call) {
    auto conn = sdbus::createSystemBusConnection();
    auto proxy = sdbus::createProxy(*conn, "org.closedpaw.Vault1", "/org/closedpaw/Vault1");
    try {
        call(*proxy);
        return "ok";
    } catch (const sdbus::Error& e) {
        return e.getName();
    }
}

}  // namespace cptest
