// Who may do what with which secret. The only place vault authorization is decided.
// Identity comes from the bus (BusCaller); clearances from vault.toml; per-secret rules from
// the secret's metadata (level, owner, readers).
#pragma once

#include <optional>

#include "common/bus_caller.hpp"
#include "common/result.hpp"
#include "vault_config.hpp"
#include "vault_store.hpp"

namespace closedpaw::vault {

// The highest level any matching [[clearance]] rule grants; none if no rule matches.
std::optional<AccessLevel> clearance_of(const VaultConfig& config, const BusCaller& caller);

struct Subject {
    uid_t uid;
    std::optional<AccessLevel> clearance;
};

// Any clearance at all: checked before anything else, even on a locked vault.
Result<void> may_use(const Subject& s);
Result<void> may_store(const Subject& s, const EntryMeta* existing, AccessLevel requested);
Result<void> may_retrieve(const Subject& s, const EntryMeta& entry);
Result<void> may_modify(const Subject& s, const EntryMeta& entry);  // delete, set readers
Result<void> may_list(const Subject& s);
bool may_see(const Subject& s, const EntryMeta& entry);  // in List
Result<void> may_administer(const Subject& s);           // lock, unlock, rotate, access log

}  // namespace closedpaw::vault
