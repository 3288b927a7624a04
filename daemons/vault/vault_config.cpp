#include "vault_config.hpp"

#include "common/config.hpp"
#include "common/paths.hpp"
#include "common/privdrop.hpp"

namespace closedpaw::vault {

VaultConfig default_vault_config() {
    VaultConfig c;
    c.state_directory = state_directory("/var/lib/closedpaw-vault");
    c.key_file = std::string(CLOSEDPAW_SYSCONFDIR) + "/vault.key";
    c.seccomp_profile = std::string(CLOSEDPAW_DATADIR) + "/policy/seccomp/closedpaw-vaultd.toml";
    // Without a config file only root has any clearance.
    c.clearances.push_back({uid_t{0}, std::nullopt, AccessLevel::Admin});
    return c;
}

namespace {

template <typename T>
Result<void> set_size(const TableView& t, const char* key, T& out, std::int64_t min,
                      std::int64_t max) {
    auto v = t.get_int(key, min, max);
    if (!v) return std::move(v).error();
    if (*v) out = static_cast<T>(**v);
    return {};
}

Result<ClearanceRule> read_rule(const TableView& t) {
    CP_TRY(t.only_keys({"uid", "user", "gid", "group", "level"}));
    ClearanceRule rule;
    int subjects = 0;
    auto uid = t.get_int("uid", 0, 0xfffffffe);
    if (!uid) return std::move(uid).error();
    if (*uid) {
        rule.uid = static_cast<uid_t>(**uid);
        ++subjects;
    }
    auto gid = t.get_int("gid", 0, 0xfffffffe);
    if (!gid) return std::move(gid).error();
    if (*gid) {
        rule.gid = static_cast<gid_t>(**gid);
        ++subjects;
    }
    auto user = t.get_string("user");
    if (!user) return std::move(user).error();
    if (*user) {
        auto u = lookup_user(**user);
        if (!u) return t.error("user", std::move(u).error().message);
        rule.uid = u->uid;
        ++subjects;
    }
    auto group = t.get_string("group");
    if (!group) return std::move(group).error();
    if (*group) {
        auto g = lookup_group(**group);
        if (!g) return t.error("group", std::move(g).error().message);
        rule.gid = *g;
        ++subjects;
    }
    if (subjects != 1)
        return t.error("level", "a clearance names exactly one of uid, user, gid, group");
    auto level = t.require_string("level");
    if (!level) return std::move(level).error();
    auto parsed = parse_access_level(*level);
    if (!parsed)
        return t.error("level", "'" + *level + "' is not one of public, standard, elevated, admin");
    rule.level = *parsed;
    return rule;
}

}  // namespace

Result<VaultConfig> load_vault_config(const std::string& path) {
    VaultConfig c = default_vault_config();
    auto file = ConfigFile::load(path);
    if (!file) return std::move(file).error();
    auto root = file->root();
    CP_TRY(root.only_keys({"vault", "clearance"}));
    auto vt = root.get_table("vault");
    if (!vt) return std::move(vt).error();
    if (*vt) {
        const TableView& v = **vt;
        CP_TRY(v.only_keys({"state_directory", "user", "key_source", "key_file", "credential_name",
                            "seccomp_profile", "argon2_opslimit", "argon2_memlimit_kib",
                            "max_value_bytes", "max_entries", "max_name_length",
                            "access_log_max_bytes", "access_log_memory_entries"}));
        for (auto [key, field] : {std::pair{"user", &c.user}, std::pair{"key_file", &c.key_file},
                                  std::pair{"credential_name", &c.credential_name},
                                  std::pair{"seccomp_profile", &c.seccomp_profile}}) {
            auto s = v.get_string(key);
            if (!s) return std::move(s).error();
            if (*s) *field = **s;
        }
        // systemd's StateDirectory= wins over the file: the unit knows where it put it.
        auto sd = v.get_string("state_directory");
        if (!sd) return std::move(sd).error();
        if (*sd) c.state_directory = state_directory(**sd);
        auto ks = v.get_string("key_source");
        if (!ks) return std::move(ks).error();
        if (*ks) {
            if (**ks == "auto")
                c.key_source = KeySource::Auto;
            else if (**ks == "credential")
                c.key_source = KeySource::Credential;
            else if (**ks == "key_file")
                c.key_source = KeySource::KeyFile;
            else if (**ks == "passphrase")
                c.key_source = KeySource::Passphrase;
            else
                return v.error(
                    "key_source",
                    "'" + **ks + "' is not one of auto, credential, key_file, passphrase");
        }
        CP_TRY(set_size(v, "argon2_opslimit", c.argon2_opslimit, crypto_pwhash_OPSLIMIT_MIN, 20));
        std::uint64_t memkib = c.argon2_memlimit >> 10;
        CP_TRY(set_size(v, "argon2_memlimit_kib", memkib, 8, 4 << 20));
        c.argon2_memlimit = memkib << 10;
        CP_TRY(set_size(v, "max_value_bytes", c.max_value_bytes, 1, 1 << 20));
        CP_TRY(set_size(v, "max_entries", c.max_entries, 1, 100000));
        CP_TRY(set_size(v, "max_name_length", c.max_name_length, 1, 255));
        CP_TRY(set_size(v, "access_log_max_bytes", c.access_log_max_bytes, 4096, 1ll << 30));
        CP_TRY(set_size(v, "access_log_memory_entries", c.access_log_memory_entries, 10, 100000));
    }
    auto rules = root.get_table_array("clearance");
    if (!rules) return std::move(rules).error();
    if (root.has("clearance")) c.clearances.clear();
    for (const auto& t : *rules) {
        auto rule = read_rule(t);
        if (!rule) return std::move(rule).error();
        c.clearances.push_back(*rule);
    }
    return c;
}

}  // namespace closedpaw::vault
