#define BOOST_TEST_MODULE vault_bus
#include <boost/test/unit_test.hpp>

#include <pwd.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "needs_root.hpp"
#include "vault_calls.hpp"
#include "vault_harness.hpp"

using namespace cptest;
namespace vc = cptest::vault_calls;

BOOST_TEST_GLOBAL_FIXTURE(NeedsRootAndTestUsers);

namespace {

uid_t uid_of(const char* user) {
    return ::getpwnam(user)->pw_uid;
}

std::string read_all(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

std::string status_field(pid_t pid, const std::string& field) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind(field + ":", 0) == 0) {
            auto v = line.substr(field.size() + 1);
            v.erase(0, v.find_first_not_of(" \t"));
            return v;
        }
    return "";
}

struct Started {
    VaultHarness vault;
    explicit Started(VaultOptions o = {}) : vault(std::move(o)) { vault.start(); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(store_retrieve_list_delete_round_trip) {
    Started s;
    BOOST_TEST(vault_call([](sdbus::IProxy& p) {
                   vc::store(p, "openai-key", "sk-abc", "standard");
               }) == "ok");
    BOOST_TEST(vault_call([](sdbus::IProxy& p) {
                   BOOST_TEST(vc::retrieve(p, "openai-key") == "sk-abc");
               }) == "ok");
    vault_call([](sdbus::IProxy& p) {
        auto l = vc::list(p);
        BOOST_REQUIRE_EQUAL(l.size(), 1u);
        BOOST_TEST(l[0]["name"].get<std::string>() == "openai-key");
        BOOST_TEST(l[0]["access_level"].get<std::string>() == "standard");
        BOOST_TEST(l[0]["owner"].get<uint32_t>() == 0u);
        BOOST_TEST(l[0].count("value") == 0u);
    });
    // Replace, then delete.
    BOOST_TEST(vault_call([](sdbus::IProxy& p) { vc::store(p, "openai-key", "sk-new"); }) == "ok");
    BOOST_TEST(vault_call([](sdbus::IProxy& p) {
                   BOOST_TEST(vc::retrieve(p, "openai-key") == "sk-new");
               }) == "ok");
    BOOST_TEST(vault_call([](sdbus::IProxy& p) { vc::remove(p, "openai-key"); }) == "ok");
    BOOST_TEST(vault_call([](sdbus::IProxy& p) { vc::retrieve(p, "openai-key"); }) ==
               "org.closedpaw.Error.NotFound");
    // A user with clearance does the same as themselves.
    BOOST_TEST(as_user("cptest-alice", [] {
                   return vault_call([](sdbus::IProxy& p) {
                       vc::store(p, "alice-token", "t0k3n");
                       if (vc::retrieve(p, "alice-token") != "t0k3n")
                           throw std::runtime_error("wrong value");
                   });
               }) == "ok");
}

BOOST_AUTO_TEST_CASE(secrets_persist_across_restart_and_rotation) {
    Started s;
    vault_call([](sdbus::IProxy& p) {
        for (int i = 0; i < 20; ++i)
            vc::store(p, "k" + std::to_string(i), "value-" + std::to_string(i));
    });
    s.vault.stop();
    s.vault.start();
    BOOST_TEST(vault_call([](sdbus::IProxy& p) { vc::rotate(p); }) == "ok");
    vault_call([](sdbus::IProxy& p) {
        for (int i = 0; i < 20; ++i)
            BOOST_TEST(vc::retrieve(p, "k" + std::to_string(i)) == "value-" + std::to_string(i));
    });
    s.vault.stop();
    s.vault.start();
    vault_call([](sdbus::IProxy& p) {
        BOOST_TEST(vc::list(p).size() == 20u);
        for (int i = 0; i < 20; ++i)
            BOOST_TEST(vc::retrieve(p, "k" + std::to_string(i)) == "value-" + std::to_string(i));
    });
}

BOOST_AUTO_TEST_CASE(a_uid_without_clearance_is_denied_on_every_method_and_it_is_logged) {
    Started s;
    vault_call([](sdbus::IProxy& p) { vc::store(p, "root-secret", "r00t"); });
    // cptest-bob may reach the vault over the bus (group closedpaw-users) but has no clearance.
    std::vector<std::pair<std::string, std::function<void(sdbus::IProxy&)>>> methods = {
        {"Store", [](sdbus::IProxy& p) { vc::store(p, "bob", "x", "public"); }},
        {"Retrieve", [](sdbus::IProxy& p) { vc::retrieve(p, "root-secret"); }},
        {"Delete", [](sdbus::IProxy& p) { vc::remove(p, "root-secret"); }},
        {"List", [](sdbus::IProxy& p) { vc::list(p); }},
        {"SetReaders", [](sdbus::IProxy& p) { vc::set_readers(p, "root-secret", {0}); }},
        {"Lock", [](sdbus::IProxy& p) { vc::lock(p); }},
        {"Unlock", [](sdbus::IProxy& p) { vc::unlock(p, ""); }},
        {"RotateKey", [](sdbus::IProxy& p) { vc::rotate(p); }},
        {"GetAccessLog", [](sdbus::IProxy& p) { vc::access_log(p, 10); }},
    };
    for (auto& [name, call] : methods)
        BOOST_TEST(as_user("cptest-bob", [&] { return vault_call(call); }) ==
                       "org.closedpaw.Error.AccessDenied",
                   name);
    // Alice has standard clearance but no admin: administrative methods are denied to her too.
    for (const char* admin_only : {"Lock", "Unlock", "RotateKey", "GetAccessLog"}) {
        auto it = std::find_if(methods.begin(), methods.end(),
                               [&](auto& m) { return m.first == admin_only; });
        BOOST_TEST(as_user("cptest-alice", [&] { return vault_call(it->second); }) ==
                       "org.closedpaw.Error.AccessDenied",
                   admin_only);
    }
    // The secret is intact and every denial is in the access log with bob's uid.
    BOOST_TEST(vault_call([](sdbus::IProxy& p) {
                   BOOST_TEST(vc::retrieve(p, "root-secret") == "r00t");
               }) == "ok");
    vault_call([](sdbus::IProxy& p) {
        auto log = vc::access_log(p, 100);
        std::size_t bob_denied = 0;
        for (auto& r : log)
            if (r["uid"].get<uint32_t>() == uid_of("cptest-bob") &&
                r["result"].get<std::string>() == "denied")
                ++bob_denied;
        BOOST_TEST(bob_denied == 9u);
    });
    // A user outside the bus policy's groups never reaches the daemon at all.
    BOOST_TEST(as_user("cptest-mallory", [] {
                   return vault_call([](sdbus::IProxy& p) { vc::list(p); });
               }) == "org.freedesktop.DBus.Error.AccessDenied");
}

BOOST_AUTO_TEST_CASE(ownership_comes_from_the_bus_not_from_the_caller) {
    VaultOptions o;
    o.clearances += "[[clearance]]\nuser = \"cptest-bob\"\nlevel = \"standard\"\n";
    Started s(o);
    BOOST_TEST(as_user("cptest-alice", [] {
                   return vault_call(
                       [](sdbus::IProxy& p) { vc::store(p, "shared", "alice-data"); });
               }) == "ok");
    vault_call([](sdbus::IProxy& p) {
        auto l = vc::list(p);
        BOOST_REQUIRE_EQUAL(l.size(), 1u);
        BOOST_TEST(l[0]["owner"].get<uint32_t>() == uid_of("cptest-alice"));
    });
    // Bob, with the same clearance, can neither read, overwrite, delete nor re-share it.
    BOOST_TEST(as_user("cptest-bob", [] {
                   return vault_call([](sdbus::IProxy& p) { vc::retrieve(p, "shared"); });
               }) == "org.closedpaw.Error.AccessDenied");
    BOOST_TEST(as_user("cptest-bob", [] {
                   return vault_call([](sdbus::IProxy& p) { vc::store(p, "shared", "bob-data"); });
               }) == "org.closedpaw.Error.AccessDenied");
    BOOST_TEST(as_user("cptest-bob", [] {
                   return vault_call([](sdbus::IProxy& p) { vc::remove(p, "shared"); });
               }) == "org.closedpaw.Error.AccessDenied");
    BOOST_TEST(as_user("cptest-bob", [] {
                   return vault_call([](sdbus::IProxy& p) {
                       vc::set_readers(p, "shared", {uid_of("cptest-bob")});
                   });
               }) == "org.closedpaw.Error.AccessDenied");
    // Once the owner names bob as a reader, he can read it (and still not modify it).
    BOOST_TEST(as_user("cptest-alice", [] {
                   return vault_call([](sdbus::IProxy& p) {
                       vc::set_readers(p, "shared", {uid_of("cptest-bob")});
                   });
               }) == "ok");
    BOOST_TEST(as_user("cptest-bob", [] {
                   return vault_call([](sdbus::IProxy& p) {
                       if (vc::retrieve(p, "shared") != "alice-data")
                           throw std::runtime_error("wrong data");
                   });
               }) == "ok");
    BOOST_TEST(as_user("cptest-bob", [] {
                   return vault_call([](sdbus::IProxy& p) { vc::remove(p, "shared"); });
               }) == "org.closedpaw.Error.AccessDenied");
}

BOOST_AUTO_TEST_CASE(the_store_on_disk_has_no_plaintext_and_a_damaged_store_is_refused) {
    Started s;
    vault_call([](sdbus::IProxy& p) {
        vc::store(p, "anthropic-api-key", "sk-ant-SECRET-VALUE-42");
        vc::store(p, "second-one", "another-plaintext-value");
    });
    auto file = read_all(s.vault.store_path());
    BOOST_REQUIRE(!file.empty());
    for (const char* needle :
         {"anthropic-api-key", "sk-ant-SECRET-VALUE-42", "second-one", "another-plaintext-value"})
        BOOST_TEST(file.find(needle) == std::string::npos, needle);

    // Flip one byte in the middle and restart: the daemon serves, but refuses with Corrupt.
    s.vault.stop();
    file[file.size() / 2] = static_cast<char>(file[file.size() / 2] ^ 0x20);
    std::ofstream(s.vault.store_path(), std::ios::binary | std::ios::trunc) << file;
    s.vault.start();
    BOOST_TEST(vault_call([](sdbus::IProxy& p) { vc::retrieve(p, "second-one"); }) ==
               "org.closedpaw.Error.Corrupt");
    BOOST_TEST(vault_call([](sdbus::IProxy& p) { vc::store(p, "new", "x"); }) ==
               "org.closedpaw.Error.Corrupt");
    BOOST_TEST(s.vault.log().find("damaged") != std::string::npos, s.vault.log());
    // Its start says why it refuses, not "locked"; a first start says it made an empty store.
    BOOST_TEST(s.vault.log().find("refusing every request") != std::string::npos, s.vault.log());
    BOOST_TEST(s.vault.log().find("(locked)") == std::string::npos, s.vault.log());
    BOOST_TEST(s.vault.log().find("starting an empty vault") != std::string::npos, s.vault.log());
}

// A deleted key file is not silently replaced by a new key while a store exists: the new key
// could not open it, and the next step would be deleting the store. vaultd refuses to start and
// says what to do.
BOOST_AUTO_TEST_CASE(a_missing_key_file_is_not_replaced_while_a_store_exists) {
    Started s;
    BOOST_TEST(vault_call([](sdbus::IProxy& p) { vc::store(p, "kept", "v"); }) == "ok");
    s.vault.stop();
    const std::string key = s.vault.dir() + "/vault.key";
    BOOST_REQUIRE(std::filesystem::remove(key));
    auto r = run({build_root() + "/daemons/vault/closedpaw-vaultd", "--config",
                  s.vault.config_path()});
    BOOST_TEST(r.exit_code != 0);
    BOOST_TEST(r.err.find("is missing, but the store") != std::string::npos, r.err);
    BOOST_TEST(!std::filesystem::exists(key));
}

BOOST_AUTO_TEST_CASE(the_daemon_runs_as_its_own_user_without_capabilities_under_seccomp) {
    Started s;
    pid_t pid = s.vault.pid();
    auto vault_uid = std::to_string(::getpwnam("closedpaw-vault")->pw_uid);
    BOOST_TEST(status_field(pid, "Uid") ==
               vault_uid + "\t" + vault_uid + "\t" + vault_uid + "\t" + vault_uid);
    for (const char* cap : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
        BOOST_TEST(status_field(pid, cap) == "0000000000000000", cap);
    BOOST_TEST(status_field(pid, "NoNewPrivs") == "1");
    BOOST_TEST(status_field(pid, "Seccomp") == "2");  // filter mode
    // The key file was created by root before the drop and is not readable by the daemon's user.
    struct stat st {};
    BOOST_REQUIRE(::stat((s.vault.dir() + "/vault.key").c_str(), &st) == 0);
    BOOST_TEST(st.st_uid == 0u);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
    // And it still works under those restrictions.
    BOOST_TEST(vault_call([](sdbus::IProxy& p) {
                   vc::store(p, "x", "y");
                   vc::rotate(p);
                   vc::lock(p);
                   vc::unlock(p, "");
               }) == "ok");
    BOOST_TEST(vault_call([](sdbus::IProxy& p) { BOOST_TEST(vc::retrieve(p, "x") == "y"); }) ==
               "ok");
}

BOOST_AUTO_TEST_CASE(bad_input_gets_a_clear_error) {
    VaultOptions o;
    o.extra_vault_keys = "max_entries = 3\nmax_value_bytes = 1024\n";
    Started s(o);
    auto err = [](std::function<void(sdbus::IProxy&)> f) { return vault_call(f); };
    BOOST_TEST(err([](sdbus::IProxy& p) { vc::store(p, "big", std::string(1025, 'x')); }) ==
               "org.closedpaw.Error.LimitExceeded");
    BOOST_TEST(err([](sdbus::IProxy& p) { vc::store(p, "ok", std::string(1024, 'x')); }) == "ok");
    for (std::string bad :
         {std::string(""), std::string("../etc/passwd"), std::string("a b"), std::string(200, 'n'),
          std::string("x\n"), std::string(".hidden"), std::string("dir/name"),
          std::string("\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87")})
        BOOST_TEST(err([&](sdbus::IProxy& p) { vc::store(p, bad, "v"); }) ==
                       "org.closedpaw.Error.InvalidArgument",
                   bad);
    BOOST_TEST(err([](sdbus::IProxy& p) { vc::store(p, "lvl", "v", "root"); }) ==
               "org.closedpaw.Error.InvalidArgument");
    BOOST_TEST(err([](sdbus::IProxy& p) { vc::store(p, "empty", ""); }) ==
               "org.closedpaw.Error.InvalidArgument");
    BOOST_TEST(err([](sdbus::IProxy& p) {
                   vc::store(p, "e2", "v");
                   vc::store(p, "e3", "v");
               }) == "ok");
    BOOST_TEST(err([](sdbus::IProxy& p) { vc::store(p, "e4", "v"); }) ==
               "org.closedpaw.Error.LimitExceeded");
    BOOST_TEST(err([](sdbus::IProxy& p) { vc::unlock(p, "a passphrase"); }) ==
               "ok");  // already unlocked: no-op
    BOOST_TEST(err([](sdbus::IProxy& p) { vc::lock(p); }) == "ok");
    BOOST_TEST(err([](sdbus::IProxy& p) { vc::retrieve(p, "ok"); }) ==
               "org.closedpaw.Error.Locked");
    BOOST_TEST(err([](sdbus::IProxy& p) { vc::unlock(p, "not-for-a-key-file"); }) ==
               "org.closedpaw.Error.InvalidArgument");
    BOOST_TEST(err([](sdbus::IProxy& p) { vc::unlock(p, ""); }) == "ok");
    // (D-Bus strings cannot carry NUL bytes: the bus itself refuses them.)
    // Wrong argument types are refused by the bus layer, and the daemon keeps serving.
    BOOST_TEST(
        err([](sdbus::IProxy& p) {
            p.callMethod("Store").onInterface(vc::kIface).withArguments(std::string("x"), 5u);
        }) == "org.freedesktop.DBus.Error.InvalidArgs");
    BOOST_TEST(err([](sdbus::IProxy& p) { BOOST_TEST(vc::retrieve(p, "ok").size() == 1024u); }) ==
               "ok");
}

BOOST_AUTO_TEST_CASE(a_passphrase_vault_starts_locked_and_refuses_a_wrong_passphrase) {
    VaultOptions o;
    o.extra_vault_keys =
        "key_source = \"passphrase\"\nargon2_opslimit = 1\nargon2_memlimit_kib = 8192\n";
    Started s(o);
    auto err = [](std::function<void(sdbus::IProxy&)> f) { return vault_call(f); };
    BOOST_TEST(err([](sdbus::IProxy& p) { vc::list(p); }) == "org.closedpaw.Error.Locked");
    BOOST_TEST(err([](sdbus::IProxy& p) { vc::unlock(p, "short"); }) ==
               "org.closedpaw.Error.BadPassphrase");
    BOOST_TEST(err([](sdbus::IProxy& p) { vc::unlock(p, "correct horse battery staple"); }) ==
               "ok");  // creates the store
    BOOST_TEST(err([](sdbus::IProxy& p) { vc::store(p, "k", "v"); }) == "ok");
    s.vault.stop();
    s.vault.start();
    BOOST_TEST(err([](sdbus::IProxy& p) { vc::retrieve(p, "k"); }) == "org.closedpaw.Error.Locked");
    BOOST_TEST(err([](sdbus::IProxy& p) { vc::unlock(p, "wrong horse battery staple"); }) ==
               "org.closedpaw.Error.BadPassphrase");
    BOOST_TEST(err([](sdbus::IProxy& p) { vc::unlock(p, "correct horse battery staple"); }) ==
               "ok");
    BOOST_TEST(err([](sdbus::IProxy& p) { BOOST_TEST(vc::retrieve(p, "k") == "v"); }) == "ok");
    // No key file was created for a passphrase vault.
    struct stat st {};
    BOOST_TEST(::stat((s.vault.dir() + "/vault.key").c_str(), &st) != 0);
}

BOOST_AUTO_TEST_CASE(closedpawctl_sets_and_gets_with_the_value_on_stdin) {
    Started s;
    auto ctl = build_root() + "/daemons/front/closedpawctl";
    auto set =
        run({ctl, "vault", "set", "cli-key", "--level", "standard"}, {.input = "sk-from-stdin\n"});
    BOOST_TEST(set.exit_code == 0, set.err);
    auto get = run({ctl, "vault", "get", "cli-key"});
    BOOST_TEST(get.exit_code == 0, get.err);
    BOOST_TEST(get.out == "sk-from-stdin");  // not a tty: raw bytes, no newline added
    auto list = run({ctl, "vault", "list", "--json"});
    BOOST_TEST(list.out.find("\"cli-key\"") != std::string::npos, list.out);
    BOOST_TEST(list.out.find("sk-from-stdin") == std::string::npos);
    auto missing = run({ctl, "vault", "get", "nope"});
    BOOST_TEST(missing.exit_code == 4);
    BOOST_TEST(missing.err.find("org.closedpaw.Error.NotFound") != std::string::npos, missing.err);
    auto denied = run({ctl, "vault", "get", "cli-key"}, {.user = std::string("cptest-bob")});
    BOOST_TEST(denied.exit_code == 3, denied.err);
    auto outsider = run({ctl, "vault", "list"}, {.user = std::string("cptest-mallory")});
    BOOST_TEST(outsider.exit_code == 3, outsider.err);
    BOOST_TEST(outsider.err.find("closedpaw-users") != std::string::npos, outsider.err);
    BOOST_TEST(run({ctl, "vault", "rm", "cli-key"}).exit_code == 0);
    s.vault.stop();
    auto down = run({ctl, "vault", "list"});
    BOOST_TEST(down.exit_code == 5, down.err);
}
