// Starts closedpaw-vaultd the way scripts/up does (as root, dropping to closedpaw-vault) on a
// private bus, and calls it in-process or as another uid.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "private_bus.hpp"
#include "process.hpp"

namespace cptest {

struct VaultOptions {
    std::string extra_vault_keys;  // lines appended to [vault]
    std::string clearances = R"([[clearance]]
user = "root"
level = "admin"
[[clearance]]
user = "cptest-alice"
level = "standard"
[[clearance]]
group = "closedpaw-admins"
level = "admin"
)";
};

class VaultHarness {
  public:
    explicit VaultHarness(VaultOptions options = {});
    ~VaultHarness();

    void start();  // waits until the name is on the bus
    void stop();   // SIGTERM
    void kill9();
    pid_t pid() const { return daemon_.pid(); }
    std::string log() const { return daemon_.log(); }
    const std::string& dir() const { return dir_; }
    std::string store_path() const { return dir_ + "/state/vault.db"; }
    std::string config_path() const { return dir_ + "/vault.toml"; }
    std::string address() const { return bus_.address(); }

    std::unique_ptr<sdbus::IProxy> proxy(sdbus::IConnection& conn) const;

  private:
    PrivateBus bus_;
    std::string dir_;
    Process daemon_;
};

// Calls method on the vault and returns "ok" or the D-Bus error name.
std::string vault_call(const std::function<void(sdbus::IProxy&)>& call);

}  // namespace cptest
