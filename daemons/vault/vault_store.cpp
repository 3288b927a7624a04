#include "vault_store.hpp"

#include <nlohmann/json.hpp>

#include <cstring>

namespace closedpaw::vault {

namespace {

constexpr std::string_view kMagic = "CPVAULT1";
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr std::size_t kMac = 32;
constexpr std::size_t kMaxMetaBytes = 64 * 1024;
constexpr std::size_t kMaxValueBytes = 16 * 1024 * 1024;
constexpr std::string_view kMetaAd = "closedpaw-vault-meta-v1";
constexpr char kMacContext[crypto_kdf_CONTEXTBYTES + 1] = "cpvault1";

class Writer {
  public:
    void bytes(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }
    void u8(std::uint8_t v) { bytes(&v, 1); }
    void u32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) u8(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    void u64(std::uint64_t v) {
        for (int i = 0; i < 8; ++i) u8(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    std::string& str() { return out_; }

  private:
    std::string out_;
};

class Reader {
  public:
    explicit Reader(std::string_view in) : in_(in) {}
    bool bytes(void* p, std::size_t n) {
        if (in_.size() - pos_ < n) return false;
        std::memcpy(p, in_.data() + pos_, n);
        pos_ += n;
        return true;
    }
    bool u8(std::uint8_t& v) { return bytes(&v, 1); }
    bool u32(std::uint32_t& v) {
        std::uint8_t b[4];
        if (!bytes(b, 4)) return false;
        v = 0;
        for (int i = 3; i >= 0; --i) v = (v << 8) | b[i];
        return true;
    }
    bool u64(std::uint64_t& v) {
        std::uint8_t b[8];
        if (!bytes(b, 8)) return false;
        v = 0;
        for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
        return true;
    }
    std::size_t pos() const { return pos_; }
    std::size_t left() const { return in_.size() - pos_; }

  private:
    std::string_view in_;
    std::size_t pos_ = 0;
};

Error corrupt(const std::string& what) {
    return make_error(Errc::Corrupt, "the vault store is damaged (" + what +
                                         "); it was not opened. Restore it from a backup");
}

SecureBytes mac_key(const SecureBytes& data_key) {
    SecureBytes k(32);
    crypto_kdf_derive_from_key(k.data(), k.size(), 1, kMacContext, data_key.data());
    return k;
}

std::array<std::uint8_t, kMac> compute_mac(const SecureBytes& data_key, std::string_view bytes) {
    auto key = mac_key(data_key);
    std::array<std::uint8_t, kMac> mac{};
    crypto_generichash(mac.data(), mac.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                       bytes.size(), key.data(), key.size());
    return mac;
}

// The header bytes that authenticate the wrapped data key.
std::string header_bytes(KeyKind kind, const KdfParams& kdf) {
    Writer w;
    w.bytes(kMagic.data(), kMagic.size());
    w.u32(kVersion);
    w.u8(static_cast<std::uint8_t>(kind));
    w.bytes(kdf.salt.data(), kdf.salt.size());
    w.u64(kdf.opslimit);
    w.u64(kdf.memlimit);
    return std::move(w.str());
}

template <typename Ad>
std::vector<std::uint8_t> seal(const SecureBytes& key,
                               const std::array<std::uint8_t, kNonce>& nonce,
                               std::span<const std::uint8_t> plain, const Ad& ad) {
    std::vector<std::uint8_t> ct(plain.size() + kTag);
    unsigned long long len = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(ct.data(), &len, plain.data(), plain.size(),
                                               reinterpret_cast<const unsigned char*>(ad.data()),
                                               ad.size(), nullptr, nonce.data(), key.data());
    ct.resize(len);
    return ct;
}

template <typename Ad>
bool open_into(const SecureBytes& key, const std::array<std::uint8_t, kNonce>& nonce,
               std::span<const std::uint8_t> ct, const Ad& ad, std::uint8_t* out) {
    unsigned long long len = 0;
    return crypto_aead_xchacha20poly1305_ietf_decrypt(
               out, &len, nullptr, ct.data(), ct.size(),
               reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nonce.data(),
               key.data()) == 0;
}

std::array<std::uint8_t, kNonce> fresh_nonce() {
    std::array<std::uint8_t, kNonce> n{};
    randombytes_buf(n.data(), n.size());
    return n;
}

std::optional<EntryMeta> parse_meta(std::string_view text) {
    auto j = nlohmann::json::parse(text, nullptr, /* allow_exceptions= */ false);
    if (!j.is_object()) return std::nullopt;
    try {
        EntryMeta m;
        m.name = j.at("n").get<std::string>();
        auto level = parse_access_level(j.at("l").get<std::string>());
        if (!level) return std::nullopt;
        m.level = *level;
        m.owner = j.at("o").get<std::uint32_t>();
        m.readers = j.at("r").get<std::vector<std::uint32_t>>();
        m.created_usec = j.at("c").get<std::uint64_t>();
        m.updated_usec = j.at("u").get<std::uint64_t>();
        m.size = j.at("s").get<std::uint32_t>();
        return m;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

}  // namespace

std::string_view access_level_name(AccessLevel l) {
    switch (l) {
        case AccessLevel::Public:
            return "public";
        case AccessLevel::Standard:
            return "standard";
        case AccessLevel::Elevated:
            return "elevated";
        case AccessLevel::Admin:
            return "admin";
    }
    return "admin";
}

std::optional<AccessLevel> parse_access_level(std::string_view s) {
    if (s == "public") return AccessLevel::Public;
    if (s == "standard") return AccessLevel::Standard;
    if (s == "elevated") return AccessLevel::Elevated;
    if (s == "admin") return AccessLevel::Admin;
    return std::nullopt;
}

std::string VaultStore::meta_plaintext(const EntryMeta& m) {
    // nlohmann objects are key-sorted: the same metadata always gives the same bytes.
    nlohmann::json j = {{"n", m.name},         {"l", access_level_name(m.level)},
                        {"o", m.owner},        {"r", m.readers},
                        {"c", m.created_usec}, {"u", m.updated_usec},
                        {"s", m.size}};
    return j.dump();
}

VaultStore VaultStore::create(KeyKind kind, const KdfParams& kdf) {
    VaultStore s;
    s.kind_ = kind;
    s.kdf_ = kdf;
    s.data_key_ = SecureBytes(kKeyBytes);
    crypto_aead_xchacha20poly1305_ietf_keygen(s.data_key_.data());
    return s;
}

Result<std::pair<KeyKind, KdfParams>> VaultStore::peek_header(std::string_view bytes) {
    Reader r(bytes);
    char magic[8];
    if (!r.bytes(magic, sizeof magic) || std::string_view(magic, 8) != kMagic)
        return corrupt("not a ClosedPaw vault store: bad magic");
    std::uint32_t version = 0;
    if (!r.u32(version)) return corrupt("truncated header");
    if (version != kVersion) return corrupt("unsupported store version " + std::to_string(version));
    std::uint8_t kind = 0;
    KdfParams kdf;
    if (!r.u8(kind) || !r.bytes(kdf.salt.data(), kdf.salt.size()) || !r.u64(kdf.opslimit) ||
        !r.u64(kdf.memlimit))
        return corrupt("truncated header");
    if (kind != static_cast<std::uint8_t>(KeyKind::Raw) &&
        kind != static_cast<std::uint8_t>(KeyKind::Passphrase))
        return corrupt("unknown key kind");
    return std::pair{static_cast<KeyKind>(kind), kdf};
}

Result<VaultStore> VaultStore::parse(std::string_view bytes, const SecureBytes& master_key) {
    auto header = peek_header(bytes);
    if (!header) return std::move(header).error();
    VaultStore s;
    s.kind_ = header->first;
    s.kdf_ = header->second;
    std::string head = header_bytes(s.kind_, s.kdf_);

    Reader r(bytes);
    std::string skip(head.size(), '\0');
    r.bytes(skip.data(), skip.size());
    std::array<std::uint8_t, kNonce> nonce{};
    std::array<std::uint8_t, kKeyBytes + kTag> wrapped{};
    if (!r.bytes(nonce.data(), nonce.size()) || !r.bytes(wrapped.data(), wrapped.size()))
        return corrupt("truncated header");
    s.data_key_ = SecureBytes(kKeyBytes);
    if (!open_into(master_key, nonce, wrapped, head, s.data_key_.data())) {
        if (s.kind_ == KeyKind::Passphrase)
            return make_error(Errc::BadPassphrase, "the passphrase does not open this vault");
        return make_error(
            Errc::Corrupt,
            "the master key does not open this vault store: the key file or credential "
            "is not the one the store was created with, or the store header is damaged");
    }

    if (bytes.size() < r.pos() + 12 + kMac) return corrupt("truncated");
    std::string_view body = bytes.substr(0, bytes.size() - kMac);
    auto mac = compute_mac(s.data_key_, body);
    if (sodium_memcmp(mac.data(), bytes.data() + body.size(), kMac) != 0)
        return corrupt("integrity check failed");

    Reader br(body);
    br.bytes(skip.data(), skip.size());
    br.bytes(nonce.data(), nonce.size());
    br.bytes(wrapped.data(), wrapped.size());
    std::uint32_t count = 0;
    if (!br.u64(s.generation_) || !br.u32(count)) return corrupt("truncated");
    constexpr std::size_t kMinEntry = 2 * (kNonce + 4 + kTag);
    if (count > br.left() / kMinEntry) return corrupt("entry count exceeds file size");
    for (std::uint32_t i = 0; i < count; ++i) {
        std::array<std::uint8_t, kNonce> mnonce{};
        std::uint32_t mlen = 0;
        if (!br.bytes(mnonce.data(), mnonce.size()) || !br.u32(mlen) || mlen < kTag ||
            mlen > kMaxMetaBytes + kTag || mlen > br.left())
            return corrupt("bad entry " + std::to_string(i));
        std::vector<std::uint8_t> mct(mlen);
        br.bytes(mct.data(), mlen);
        std::string meta_text(mlen - kTag, '\0');
        if (!open_into(s.data_key_, mnonce, mct, kMetaAd,
                       reinterpret_cast<std::uint8_t*>(meta_text.data())))
            return corrupt("entry " + std::to_string(i) + " metadata fails authentication");
        auto meta = parse_meta(meta_text);
        if (!meta) return corrupt("entry " + std::to_string(i) + " metadata is malformed");

        SealedValue v;
        std::uint32_t vlen = 0;
        if (!br.bytes(v.nonce.data(), v.nonce.size()) || !br.u32(vlen) || vlen < kTag ||
            vlen > kMaxValueBytes + kTag || vlen > br.left())
            return corrupt("bad entry " + std::to_string(i));
        v.ct.resize(vlen);
        br.bytes(v.ct.data(), vlen);
        // Verify now, so a damaged value is found at open time, not when someone asks for it.
        SecureBytes plain(vlen - kTag + 1);
        if (!open_into(s.data_key_, v.nonce, v.ct, meta_plaintext(*meta), plain.data()))
            return corrupt("entry " + std::to_string(i) + " value fails authentication");
        if (s.meta_.count(meta->name) != 0) return corrupt("duplicate entry");
        s.values_.emplace(meta->name, std::move(v));
        std::string name = meta->name;
        s.meta_.emplace(std::move(name), std::move(*meta));
    }
    if (br.left() != 0) return corrupt("trailing bytes");
    return s;
}

std::string VaultStore::serialize(const SecureBytes& master_key) const {
    std::string head = header_bytes(kind_, kdf_);
    Writer w;
    w.bytes(head.data(), head.size());
    auto nonce = fresh_nonce();
    auto wrapped = seal(master_key, nonce, data_key_.span(), head);
    w.bytes(nonce.data(), nonce.size());
    w.bytes(wrapped.data(), wrapped.size());
    w.u64(generation_ + 1);
    w.u32(static_cast<std::uint32_t>(meta_.size()));
    for (const auto& [name, meta] : meta_) {
        std::string text = meta_plaintext(meta);
        auto mnonce = fresh_nonce();
        auto mct = seal(data_key_, mnonce,
                        std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()),
                        kMetaAd);
        w.bytes(mnonce.data(), mnonce.size());
        w.u32(static_cast<std::uint32_t>(mct.size()));
        w.bytes(mct.data(), mct.size());
        const auto& v = values_.at(name);
        w.bytes(v.nonce.data(), v.nonce.size());
        w.u32(static_cast<std::uint32_t>(v.ct.size()));
        w.bytes(v.ct.data(), v.ct.size());
    }
    auto mac = compute_mac(data_key_, w.str());
    w.bytes(mac.data(), mac.size());
    return std::move(w.str());
}

const EntryMeta* VaultStore::find(const std::string& name) const {
    auto it = meta_.find(name);
    return it == meta_.end() ? nullptr : &it->second;
}

VaultStore::SealedValue VaultStore::seal_value(const EntryMeta& m,
                                               std::span<const std::uint8_t> value) const {
    SealedValue v;
    v.nonce = fresh_nonce();
    v.ct = seal(data_key_, v.nonce, value, meta_plaintext(m));
    return v;
}

void VaultStore::put(EntryMeta meta, std::span<const std::uint8_t> value) {
    meta.size = static_cast<std::uint32_t>(value.size());
    auto sealed = seal_value(meta, value);
    values_[meta.name] = std::move(sealed);
    std::string name = meta.name;
    meta_[name] = std::move(meta);
}

Result<SecureBytes> VaultStore::get(const std::string& name) const {
    auto m = meta_.find(name);
    if (m == meta_.end()) return make_error(Errc::NotFound, "no secret named '" + name + "'");
    const auto& v = values_.at(name);
    SecureBytes plain(v.ct.size() - kTag);
    // A zero-length value still needs a writable byte for libsodium.
    SecureBytes scratch(plain.empty() ? 1 : 0);
    if (!open_into(data_key_, v.nonce, v.ct, meta_plaintext(m->second),
                   plain.empty() ? scratch.data() : plain.data()))
        return make_error(Errc::Corrupt, "secret '" + name + "' fails authentication in memory");
    return plain;
}

Result<std::size_t> VaultStore::get_into(const std::string& name, SecureBytes& scratch) const {
    auto m = meta_.find(name);
    if (m == meta_.end()) return make_error(Errc::NotFound, "no secret named '" + name + "'");
    const auto& v = values_.at(name);
    std::size_t len = v.ct.size() - kTag;
    if (scratch.size() < len + 1) scratch = SecureBytes(len + 1);
    if (!open_into(data_key_, v.nonce, v.ct, meta_plaintext(m->second), scratch.data()))
        return make_error(Errc::Corrupt, "secret '" + name + "' fails authentication in memory");
    return len;
}

bool VaultStore::erase(const std::string& name) {
    values_.erase(name);
    return meta_.erase(name) != 0;
}

bool VaultStore::set_readers(const std::string& name, std::vector<std::uint32_t> readers,
                             std::uint64_t now_usec) {
    auto it = meta_.find(name);
    if (it == meta_.end()) return false;
    auto plain = get(name);
    if (!plain) return false;
    EntryMeta m = it->second;
    m.readers = std::move(readers);
    m.updated_usec = now_usec;
    put(std::move(m), plain->span());  // the value's AD is the metadata: re-seal
    return true;
}

Result<void> VaultStore::rotate_data_key() {
    std::map<std::string, SecureBytes> plains;
    for (const auto& [name, m] : meta_) {
        auto p = get(name);
        if (!p) return std::move(p).error();
        plains.emplace(name, std::move(*p));
    }
    SecureBytes fresh(kKeyBytes);
    crypto_aead_xchacha20poly1305_ietf_keygen(fresh.data());
    data_key_ = std::move(fresh);
    for (auto& [name, p] : plains) values_[name] = seal_value(meta_.at(name), p.span());
    return {};
}

Result<SecureBytes> derive_master_key(std::span<const std::uint8_t> passphrase,
                                      const KdfParams& kdf) {
    SecureBytes key(kKeyBytes);
    if (crypto_pwhash(key.data(), key.size(), reinterpret_cast<const char*>(passphrase.data()),
                      passphrase.size(), kdf.salt.data(), kdf.opslimit,
                      static_cast<std::size_t>(kdf.memlimit), crypto_pwhash_ALG_ARGON2ID13) != 0)
        return make_error(Errc::Failed, "key derivation ran out of memory");
    return key;
}

}  // namespace closedpaw::vault
