// The vault's file format and in-memory state. Pure: no I/O, no logging, no authorization;
// parse(bytes, key) and serialize() are what the manager persists with write_file_atomic.
//
// File layout (all integers little-endian):
//   magic "CPVAULT1" | u32 version | u8 key_kind | salt[16] | u64 opslimit | u64 memlimit
//   | nonce[24] | wrapped data key[32+16]        AEAD(master key, AD = every byte before nonce)
//   | u64 generation | u32 entry count
//   | entries: nonce[24] u32 len meta_ct[len]    AEAD(data key, AD = "meta")
//              nonce[24] u32 len value_ct[len]   AEAD(data key, AD = meta plaintext: name+metadata)
//   | mac[32]                                    keyed BLAKE2b (subkey of the data key) over all
//   before
// Names, metadata and values are all encrypted; the MAC makes any change anywhere (a flipped
// bit, a removed, reordered or replayed entry) refuse the whole store rather than hand out
// wrong data. Everything is XChaCha20-Poly1305 with random nonces.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "secure_bytes.hpp"

namespace closedpaw::vault {

enum class AccessLevel { Public = 0, Standard = 1, Elevated = 2, Admin = 3 };
std::string_view access_level_name(AccessLevel l);
std::optional<AccessLevel> parse_access_level(std::string_view s);
inline std::ostream& operator<<(std::ostream& os, AccessLevel l) {
    return os << access_level_name(l);
}

enum class KeyKind : std::uint8_t { Raw = 1, Passphrase = 2 };

struct KdfParams {
    std::array<std::uint8_t, 16> salt{};
    std::uint64_t opslimit = 0;
    std::uint64_t memlimit = 0;
};

struct EntryMeta {
    std::string name;
    AccessLevel level = AccessLevel::Standard;
    std::uint32_t owner = 0;
    std::vector<std::uint32_t> readers;
    std::uint64_t created_usec = 0;
    std::uint64_t updated_usec = 0;
    std::uint32_t size = 0;
};

inline constexpr std::size_t kKeyBytes = 32;

class VaultStore {
  public:
    // A new, empty store whose data key is fresh and wrapped by master_key.
    static VaultStore create(KeyKind kind, const KdfParams& kdf);
    // Reads the header only (no key needed): which kind of key and KDF parameters it wants.
    static Result<std::pair<KeyKind, KdfParams>> peek_header(std::string_view bytes);
    // Opens a serialized store with the master key. Any corruption: Errc::Corrupt. A key that
    // does not open the data key: Errc::BadPassphrase.
    static Result<VaultStore> parse(std::string_view bytes, const SecureBytes& master_key);

    std::string serialize(const SecureBytes& master_key) const;

    const std::map<std::string, EntryMeta>& entries() const { return meta_; }
    const EntryMeta* find(const std::string& name) const;
    std::size_t size() const { return meta_.size(); }

    void put(EntryMeta meta, std::span<const std::uint8_t> value);
    Result<SecureBytes> get(const std::string& name) const;
    // Decrypts into scratch (which must hold the value) without allocating guarded memory;
    // returns the plaintext's length. The caller wipes scratch when done.
    Result<std::size_t> get_into(const std::string& name, SecureBytes& scratch) const;
    bool erase(const std::string& name);
    bool set_readers(const std::string& name, std::vector<std::uint32_t> readers,
                     std::uint64_t now_usec);

    // Re-seals every entry under a fresh data key.
    Result<void> rotate_data_key();

    KeyKind key_kind() const { return kind_; }
    const KdfParams& kdf() const { return kdf_; }

  private:
    struct SealedValue {
        std::array<std::uint8_t, 24> nonce{};
        std::vector<std::uint8_t> ct;
    };
    static std::string meta_plaintext(const EntryMeta& m);
    SealedValue seal_value(const EntryMeta& m, std::span<const std::uint8_t> value) const;

    KeyKind kind_ = KeyKind::Raw;
    KdfParams kdf_;
    std::uint64_t generation_ = 0;
    SecureBytes data_key_;
    std::map<std::string, EntryMeta> meta_;
    std::map<std::string, SealedValue> values_;
};

// The master key from a passphrase (Argon2id with the store's salt and limits).
Result<SecureBytes> derive_master_key(std::span<const std::uint8_t> passphrase,
                                      const KdfParams& kdf);

}  // namespace closedpaw::vault
