// The vault's state and its operations. Each operation: validate arguments, authorize the
// caller (access_policy), act, persist crash-safely, record the access. Knows nothing of
// D-Bus: vault_bus.cpp turns calls into these and Results into bus errors.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "access_log.hpp"
#include "access_policy.hpp"
#include "common/bus_caller.hpp"
#include "master_key.hpp"
#include "vault_config.hpp"
#include "vault_store.hpp"

namespace closedpaw::vault {

class VaultManager {
  public:
    // Opens (or creates) the store with the prepared key. A damaged store does not stop the
    // daemon: every call then fails with Errc::Corrupt and says why.
    static Result<std::unique_ptr<VaultManager>> open(VaultConfig config, KeyMaterial key);

    Result<void> store(const BusCaller& c, const std::string& name,
                       std::span<const std::uint8_t> value, const std::string& access_level);
    // Hands the plaintext to use() and wipes it afterwards; it never outlives the call.
    Result<void> retrieve(const BusCaller& c, const std::string& name,
                          const std::function<void(std::span<const std::uint8_t>)>& use);
    Result<void> remove(const BusCaller& c, const std::string& name);
    Result<std::vector<EntryMeta>> list(const BusCaller& c);
    Result<void> set_readers(const BusCaller& c, const std::string& name,
                             const std::vector<std::uint32_t>& readers);
    Result<void> lock(const BusCaller& c);
    Result<void> unlock(const BusCaller& c, std::span<const std::uint8_t> passphrase);
    Result<void> rotate_key(const BusCaller& c);
    Result<std::vector<AccessRecord>> access_log(const BusCaller& c, std::uint32_t limit);

    // Mirrors queued access records to journald and writes them to the access log file.
    void flush_access_log();

    bool locked() const { return !store_.has_value(); }
    std::uint32_t count() const { return store_ ? static_cast<std::uint32_t>(store_->size()) : 0; }
    // Called after anything that changes Locked or Count (the bus emits PropertiesChanged).
    void on_change(std::function<void()> fn) { on_change_ = std::move(fn); }
    const std::optional<Error>& store_error() const { return store_error_; }

  private:
    VaultManager(VaultConfig config, KeyMaterial key, AccessLog log);

    Subject subject(const BusCaller& c) const;
    // The prelude of every call on one secret: valid name, some clearance, vault usable, entry
    // exists.
    Result<std::pair<Subject, const EntryMeta*>> existing_entry(const BusCaller& c,
                                                                const std::string& name) const;
    Result<void> validate_name(const std::string& name) const;
    Result<void> ready() const;  // unlocked and undamaged
    // Runs mutate on the store and persists it; on a failed write the store is reloaded from
    // disk so memory never runs ahead of what is durable.
    Result<void> commit(const std::function<Result<void>(VaultStore&)>& mutate);
    Result<void> open_existing_store(const SecureBytes& master_key);
    template <typename T>
    Result<T> audited(const BusCaller& c, const char* method, const std::string& name,
                      Result<T> result);
    void changed();

    VaultConfig config_;
    KeyMaterial key_;
    AccessLog log_;
    SecureBytes master_key_;
    SecureBytes scratch_;  // guarded buffer reused for plaintext values (allocating one per call
                           // costs ~10 syscalls)
    std::optional<VaultStore> store_;
    std::optional<Error> store_error_;
    std::function<void()> on_change_;
};

}  // namespace closedpaw::vault
