// org.closedpaw.Vault1 on the bus: turns D-Bus calls into VaultManager operations with the
// caller identified by the bus, and Results into org.closedpaw.Error.* replies.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include "common/bus_caller.hpp"
#include "vault_adaptor.h"
#include "vault_manager.hpp"

namespace closedpaw::vault {

inline constexpr const char* kBusName = "org.closedpaw.Vault1";
inline constexpr const char* kObjectPath = "/org/closedpaw/Vault1";

class VaultBus final
    : public sdbus::AdaptorInterfaces<org::closedpaw::Vault1_adaptor, sdbus::Properties_adaptor> {
  public:
    VaultBus(sdbus::IConnection& bus, VaultManager& manager);
    ~VaultBus();

  private:
    BusCaller caller();

    void Store(const std::string& name, const std::vector<uint8_t>& value,
               const std::string& access_level) override;
    void Retrieve(sdbus::Result<std::vector<uint8_t>>&& result, std::string name) override;
    void Delete(const std::string& name) override;
    std::vector<std::map<std::string, sdbus::Variant>> List() override;
    void SetReaders(const std::string& name, const std::vector<uint32_t>& readers) override;
    void Lock() override;
    void Unlock(const std::vector<uint8_t>& passphrase) override;
    void RotateKey() override;
    std::vector<std::map<std::string, sdbus::Variant>> GetAccessLog(const uint32_t& limit) override;
    bool Locked() override;
    uint32_t Count() override;

    VaultManager& manager_;
    BusCallerResolver callers_;
};

}  // namespace closedpaw::vault
