// Where the master key comes from, in order (DESIGN.md §6): a systemd credential
// ($CREDENTIALS_DIRECTORY/vault.key), a key file created 0600 at first start (root-owned when
// the daemon starts as root), or a passphrase through Argon2id (Unlock). The key file is opened
// before privileges are dropped and the fd is kept, so Unlock after Lock can re-read it
// without the daemon being able to open it again.
#pragma once

#include <string>

#include "common/fd.hpp"
#include "common/result.hpp"
#include "secure_bytes.hpp"
#include "vault_config.hpp"

namespace closedpaw::vault {

struct KeyMaterial {
    KeySource source = KeySource::Passphrase;  // resolved: Credential, KeyFile or Passphrase
    std::string path;                          // of the key file or credential
    UniqueFd fd;
};

// Creates a key file (32 random bytes, 0600, owned by the caller) unless one exists; used by
// `closedpaw-vaultd --init-key PATH` from a root-only unit before the vault's first start.
// Returns true if it created one.
Result<bool> init_key_file(const std::string& path);

Result<KeyMaterial> prepare_master_key(const VaultConfig& config);
// Reads the key again through the kept fd: 32 raw bytes, or 64 hex digits and a newline.
Result<SecureBytes> read_master_key(const KeyMaterial& key);

}  // namespace closedpaw::vault
