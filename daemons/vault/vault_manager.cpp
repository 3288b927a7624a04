#include "vault_manager.hpp"

#include <sys/stat.h>

#include <chrono>

#include "common/fd.hpp"
#include "common/log.hpp"

namespace closedpaw::vault {

namespace {

std::uint64_t now_usec() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

constexpr std::size_t kMaxReaders = 64;
constexpr std::size_t kMinPassphrase = 8;
constexpr std::size_t kMaxPassphrase = 1024;
constexpr std::size_t kMaxStoreFile = 256u << 20;

bool name_char_ok(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

}  // namespace

VaultManager::VaultManager(VaultConfig config, KeyMaterial key, AccessLog log)
    : config_(std::move(config)),
      key_(std::move(key)),
      log_(std::move(log)),
      scratch_(config_.max_value_bytes + 1) {}

Result<std::unique_ptr<VaultManager>> VaultManager::open(VaultConfig config, KeyMaterial key) {
    auto log = AccessLog::open(config.access_log_path(), config.access_log_max_bytes,
                               config.access_log_memory_entries);
    if (!log) return std::move(log).error();
    std::unique_ptr<VaultManager> m(
        new VaultManager(std::move(config), std::move(key), std::move(*log)));
    if (m->key_.source == KeySource::Passphrase) return m;  // locked until Unlock

    auto master = read_master_key(m->key_);
    if (!master) return std::move(master).error();
    struct stat st {};
    if (::stat(m->config_.store_path().c_str(), &st) != 0) {
        if (errno != ENOENT) return Error::from_errno("stat " + m->config_.store_path());
        // Said out loud: a store that was moved or deleted comes back as an empty vault.
        log::warning("no store at " + m->config_.store_path() +
                     ": starting an empty vault (if it held secrets, it was moved or deleted)");
        m->master_key_ = std::move(*master);
        m->store_ = VaultStore::create(KeyKind::Raw, KdfParams{});
        auto bytes = m->store_->serialize(m->master_key_);
        CP_TRY(write_file_atomic(m->config_.store_path(), bytes));
        return m;
    }
    auto r = m->open_existing_store(*master);
    if (!r) {
        if (r.error().code != Errc::Corrupt) return std::move(r).error();
        m->store_error_ = std::move(r).error();  // serve, and say why nothing works
    }
    return m;
}

Result<void> VaultManager::open_existing_store(const SecureBytes& master_key) {
    auto bytes = read_file(config_.store_path(), kMaxStoreFile);
    if (!bytes) return std::move(bytes).error();
    auto header = VaultStore::peek_header(*bytes);
    if (!header) return std::move(header).error();
    bool passphrase_store = header->first == KeyKind::Passphrase;
    if (passphrase_store != (key_.source == KeySource::Passphrase))
        return make_error(Errc::Config,
                          std::string("the store at ") + config_.store_path() +
                              " was created with " +
                              (passphrase_store ? "a passphrase" : "a key file or credential") +
                              " but vault.toml's key_source says otherwise");
    auto store = VaultStore::parse(*bytes, master_key);
    if (!store) return std::move(store).error();
    store_ = std::move(*store);
    master_key_ = SecureBytes::copy_of(master_key.span());
    store_error_.reset();
    return {};
}

Subject VaultManager::subject(const BusCaller& c) const {
    return Subject{c.uid, clearance_of(config_, c)};
}

Result<std::pair<Subject, const EntryMeta*>> VaultManager::existing_entry(
    const BusCaller& c, const std::string& name) const {
    CP_TRY(validate_name(name));
    auto s = subject(c);
    CP_TRY(may_use(s));
    CP_TRY(ready());
    const EntryMeta* e = store_->find(name);
    if (e == nullptr) return make_error(Errc::NotFound, "no secret named '" + name + "'");
    return std::pair{s, e};
}

Result<void> VaultManager::validate_name(const std::string& name) const {
    if (name.empty() || name.size() > config_.max_name_length)
        return make_error(Errc::InvalidArgument, "a secret name must be 1 to " +
                                                     std::to_string(config_.max_name_length) +
                                                     " characters");
    if (!std::isalnum(static_cast<unsigned char>(name[0])) ||
        !std::all_of(name.begin(), name.end(), name_char_ok))
        return make_error(Errc::InvalidArgument,
                          "a secret name starts with a letter or digit and uses only letters, "
                          "digits, '.', '_', '-'");
    return {};
}

Result<void> VaultManager::ready() const {
    if (store_error_) return *store_error_;
    if (!store_)
        return make_error(
            Errc::Locked,
            "the vault is locked; an admin must unlock it (closedpawctl vault unlock)");
    return {};
}

void VaultManager::changed() {
    if (on_change_) on_change_();
}

template <typename T>
Result<T> VaultManager::audited(const BusCaller& c, const char* method, const std::string& name,
                                Result<T> result) {
    AccessRecord rec;
    rec.time_usec = now_usec();
    rec.uid = c.uid;
    rec.pid = static_cast<std::uint32_t>(c.pid);
    rec.method = method;
    rec.name = name.size() <= config_.max_name_length
                   ? name
                   : name.substr(0, config_.max_name_length) + "…";
    if (result) {
        rec.result = "granted";
    } else {
        rec.result = result.error().code == Errc::AccessDenied ? "denied" : "failed";
        rec.detail = std::string(errc_name(result.error().code)) + ": " + result.error().message;
    }
    if (auto w = log_.append(rec); !w)
        log::error("cannot write the vault access log: " + w.error().message);
    return result;
}

void VaultManager::flush_access_log() {
    for (const auto& rec : log_.take_unflushed()) {
        auto priority = rec.result == "denied" ? log::Priority::Warning : log::Priority::Info;
        log::write(priority,
                   "vault " + rec.method + " " + rec.name + " by uid " + std::to_string(rec.uid) +
                       ": " + rec.result,
                   {{"MESSAGE_ID", std::string(log::kVaultAccessId)},
                    {"VAULT_METHOD", rec.method},
                    {"VAULT_NAME", rec.name},
                    {"VAULT_RESULT", rec.result},
                    {"CALLER_UID", std::to_string(rec.uid)},
                    {"CALLER_PID", std::to_string(rec.pid)}});
    }
    // The record is in memory and in the journal even if the file refuses it; say so loudly.
    if (auto w = log_.flush(); !w)
        log::error("cannot write the vault access log: " + w.error().message);
}

Result<void> VaultManager::commit(const std::function<Result<void>(VaultStore&)>& mutate) {
    auto m = mutate(*store_);
    if (!m) return m;
    auto bytes = store_->serialize(master_key_);
    auto w = write_file_atomic(config_.store_path(), bytes);
    if (!w) {
        auto master = SecureBytes::copy_of(master_key_.span());
        store_.reset();
        if (auto reload = open_existing_store(master); !reload)
            store_error_ = std::move(reload).error();
        return std::move(w).error().prefix("the change was not saved");
    }
    return {};
}

Result<void> VaultManager::store(const BusCaller& c, const std::string& name,
                                 std::span<const std::uint8_t> value,
                                 const std::string& access_level) {
    auto act = [&]() -> Result<void> {
        CP_TRY(validate_name(name));
        auto level = parse_access_level(access_level);
        if (!level)
            return make_error(Errc::InvalidArgument,
                              "access level '" + access_level.substr(0, 32) +
                                  "' is not one of public, standard, elevated, admin");
        if (value.empty()) return make_error(Errc::InvalidArgument, "the value is empty");
        if (value.size() > config_.max_value_bytes)
            return make_error(Errc::LimitExceeded, "the value is " + std::to_string(value.size()) +
                                                       " bytes; the limit is " +
                                                       std::to_string(config_.max_value_bytes));
        auto s = subject(c);
        CP_TRY(may_use(s));
        CP_TRY(ready());
        const EntryMeta* existing = store_->find(name);
        CP_TRY(may_store(s, existing, *level));
        if (existing == nullptr && store_->size() >= config_.max_entries)
            return make_error(Errc::LimitExceeded, "the vault holds its maximum of " +
                                                       std::to_string(config_.max_entries) +
                                                       " secrets");
        EntryMeta meta;
        meta.name = name;
        meta.level = *level;
        auto now = now_usec();
        meta.owner = existing ? existing->owner : c.uid;
        meta.readers = existing ? existing->readers : std::vector<std::uint32_t>{};
        meta.created_usec = existing ? existing->created_usec : now;
        meta.updated_usec = now;
        CP_TRY(commit([&](VaultStore& st) -> Result<void> {
            st.put(meta, value);
            return {};
        }));
        return {};
    };
    auto r = audited(c, "Store", name, act());
    if (r) changed();
    return r;
}

Result<void> VaultManager::retrieve(const BusCaller& c, const std::string& name,
                                    const std::function<void(std::span<const std::uint8_t>)>& use) {
    auto act = [&]() -> Result<void> {
        auto found = existing_entry(c, name);
        if (!found) return std::move(found).error();
        auto& [s, e] = *found;
        CP_TRY(may_retrieve(s, *e));
        auto len = store_->get_into(name, scratch_);
        if (!len) return std::move(len).error();
        use(std::span<const std::uint8_t>(scratch_.data(), *len));
        sodium_memzero(scratch_.data(), *len);
        return {};
    };
    return audited(c, "Retrieve", name, act());
}

Result<void> VaultManager::remove(const BusCaller& c, const std::string& name) {
    auto act = [&]() -> Result<void> {
        auto found = existing_entry(c, name);
        if (!found) return std::move(found).error();
        auto& [s, e] = *found;
        CP_TRY(may_modify(s, *e));
        return commit([&](VaultStore& st) -> Result<void> {
            st.erase(name);
            return {};
        });
    };
    auto r = audited(c, "Delete", name, act());
    if (r) changed();
    return r;
}

Result<std::vector<EntryMeta>> VaultManager::list(const BusCaller& c) {
    auto act = [&]() -> Result<std::vector<EntryMeta>> {
        auto s = subject(c);
        CP_TRY(may_list(s));
        CP_TRY(ready());
        std::vector<EntryMeta> out;
        for (const auto& [n, m] : store_->entries())
            if (may_see(s, m)) out.push_back(m);
        return out;
    };
    return audited(c, "List", "", act());
}

Result<void> VaultManager::set_readers(const BusCaller& c, const std::string& name,
                                       const std::vector<std::uint32_t>& readers) {
    auto act = [&]() -> Result<void> {
        if (readers.size() > kMaxReaders)
            return make_error(Errc::LimitExceeded,
                              "at most " + std::to_string(kMaxReaders) + " readers");
        for (auto uid : readers)
            if (uid == 0xffffffffu)
                return make_error(Errc::InvalidArgument, "uid 4294967295 is not a user");
        auto found = existing_entry(c, name);
        if (!found) return std::move(found).error();
        auto& [s, e] = *found;
        CP_TRY(may_modify(s, *e));
        std::vector<std::uint32_t> sorted = readers;
        std::sort(sorted.begin(), sorted.end());
        sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
        return commit([&](VaultStore& st) -> Result<void> {
            if (!st.set_readers(name, sorted, now_usec()))
                return make_error(Errc::Corrupt, "secret '" + name + "' could not be re-sealed");
            return {};
        });
    };
    return audited(c, "SetReaders", name, act());
}

Result<void> VaultManager::lock(const BusCaller& c) {
    auto act = [&]() -> Result<void> {
        CP_TRY(may_administer(subject(c)));
        store_.reset();
        master_key_.reset();
        return {};
    };
    auto r = audited(c, "Lock", "", act());
    if (r) changed();
    return r;
}

Result<void> VaultManager::unlock(const BusCaller& c, std::span<const std::uint8_t> passphrase) {
    auto act = [&]() -> Result<void> {
        CP_TRY(may_administer(subject(c)));
        if (store_) return {};  // already unlocked: nothing to do
        if (key_.source != KeySource::Passphrase) {
            if (!passphrase.empty())
                return make_error(Errc::InvalidArgument,
                                  "this vault is keyed by " + key_.path +
                                      ", not a passphrase; unlock with an empty passphrase");
            auto master = read_master_key(key_);
            if (!master) return std::move(master).error();
            return open_existing_store(*master);
        }
        if (passphrase.size() < kMinPassphrase || passphrase.size() > kMaxPassphrase)
            return make_error(Errc::BadPassphrase, "a passphrase has " +
                                                       std::to_string(kMinPassphrase) + " to " +
                                                       std::to_string(kMaxPassphrase) + " bytes");
        struct stat st {};
        if (::stat(config_.store_path().c_str(), &st) == 0) {
            auto bytes = read_file(config_.store_path(), kMaxStoreFile);
            if (!bytes) return std::move(bytes).error();
            auto header = VaultStore::peek_header(*bytes);
            if (!header) return std::move(header).error();
            auto master = derive_master_key(passphrase, header->second);
            if (!master) return std::move(master).error();
            return open_existing_store(*master);
        }
        // First unlock of a passphrase vault creates it under that passphrase.
        KdfParams kdf;
        randombytes_buf(kdf.salt.data(), kdf.salt.size());
        kdf.opslimit = config_.argon2_opslimit;
        kdf.memlimit = config_.argon2_memlimit;
        auto master = derive_master_key(passphrase, kdf);
        if (!master) return std::move(master).error();
        auto fresh = VaultStore::create(KeyKind::Passphrase, kdf);
        CP_TRY(write_file_atomic(config_.store_path(), fresh.serialize(*master)));
        store_ = std::move(fresh);
        master_key_ = std::move(*master);
        return {};
    };
    auto r = audited(c, "Unlock", "", act());
    if (r) changed();
    return r;
}

Result<void> VaultManager::rotate_key(const BusCaller& c) {
    auto act = [&]() -> Result<void> {
        CP_TRY(may_administer(subject(c)));
        CP_TRY(ready());
        return commit([](VaultStore& st) { return st.rotate_data_key(); });
    };
    return audited(c, "RotateKey", "", act());
}

Result<std::vector<AccessRecord>> VaultManager::access_log(const BusCaller& c,
                                                           std::uint32_t limit) {
    auto act = [&]() -> Result<std::vector<AccessRecord>> {
        CP_TRY(may_administer(subject(c)));
        std::size_t n =
            limit == 0 ? 100 : std::min<std::size_t>(limit, config_.access_log_memory_entries);
        return log_.tail(n);
    };
    return audited(c, "GetAccessLog", "", act());
}

}  // namespace closedpaw::vault
