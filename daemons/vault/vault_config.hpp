// vault.toml: where the vault keeps things, where its master key comes from, limits, and who
// has which clearance. Validated on load; errors name file, line and key.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "vault_store.hpp"

namespace closedpaw::vault {

enum class KeySource { Auto, Credential, KeyFile, Passphrase };

// One [[clearance]] rule: exactly one of uid, user, gid, group.
struct ClearanceRule {
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
    AccessLevel level = AccessLevel::Public;
};

struct VaultConfig {
    std::string state_directory;           // store and access log
    std::string user = "closedpaw-vault";  // dropped to when started as root ("" = stay)
    KeySource key_source = KeySource::Auto;
    std::string key_file;  // raw 32-byte master key; created 0600 at first start
    std::string credential_name = "vault.key";
    std::string seccomp_profile;
    std::uint64_t argon2_opslimit = 3;
    std::uint64_t argon2_memlimit = 64ull << 20;
    std::size_t max_value_bytes = 64 * 1024;
    std::size_t max_entries = 1024;
    std::size_t max_name_length = 128;
    std::size_t access_log_max_bytes = 1 << 20;
    std::size_t access_log_memory_entries = 1000;
    std::vector<ClearanceRule> clearances;

    std::string store_path() const { return state_directory + "/vault.db"; }
    std::string access_log_path() const { return state_directory + "/access.log"; }
};

// Loads path (which must exist when given explicitly); fills defaults for missing keys.
Result<VaultConfig> load_vault_config(const std::string& path);
VaultConfig default_vault_config();

}  // namespace closedpaw::vault
