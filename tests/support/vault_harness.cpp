#include "vault_harness.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace cptest {

VaultHarness::VaultHarness(VaultOptions options) {
    dir_ = make_temp_dir("vault");
    std::ofstream(config_path()) << "[vault]\n"
                                 << "state_directory = \"" << dir_ << "/state\"\n"
                                 << "key_file = \"" << dir_ << "/vault.key\"\n"
                                 << "seccomp_profile = \"" << source_root() << "/policy/seccomp/closedpaw-vaultd.toml\"\n"
                                 << options.extra_vault_keys << "\n"
                                 << options.clearances;
}

VaultHarness::~VaultHarness() {
    daemon_.stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

void VaultHarness::start() {
    daemon_ = Process::start({build_root() + "/daemons/vault/closedpaw-vaultd", "--config", config_path()},
                             dir_ + "/vaultd.log");
    if (!wait_for_bus_name("org.closedpaw.Vault1")) throw std::runtime_error("vaultd did not start:\n" + log());
}

void VaultHarness::stop() {
    daemon_.stop();
    eventually([] { return !wait_for_bus_name("org.closedpaw.Vault1", std::chrono::milliseconds(0)); });
}

void VaultHarness::kill9() {
    daemon_.kill9();
    eventually([] { return !wait_for_bus_name("org.closedpaw.Vault1", std::chrono::milliseconds(0)); });
}

std::unique_ptr<sdbus::IProxy> VaultHarness::proxy(sdbus::IConnection& conn) const {
    return sdbus::createProxy(conn, "org.closedpaw.Vault1", "/org/closedpaw/Vault1");
}

std::string as_user(const std::string& user, const std::function<std::string()>& fn) {
    int p[2];
    if (::pipe(p) != 0) throw std::runtime_error("pipe");
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(p[0]);
        passwd* pw = ::getpwnam(user.c_str());
        std::string out;
        if (pw == nullptr || ::initgroups(pw->pw_name, pw->pw_gid) != 0 ||
            ::setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 || ::setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
            out = "cannot-become-" + user;
        } else {
            try {
                out = fn();
            } catch (const std::exception& e) {
                out = std::string("exception: ") + e.what();
            }
        }
        (void)!::write(p[1], out.data(), out.size());
        _exit(0);
    }
    ::close(p[1]);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    ::close(p[0]);
    ::waitpid(pid, nullptr, 0);
    return out;
}

std::string vault_call(const std::function<void(sdbus::IProxy&)>& call) {
    auto conn = sdbus::createSystemBusConnection();
    auto proxy = sdbus::createProxy(*conn, "org.closedpaw.Vault1", "/org/closedpaw/Vault1");
    try {
        call(*proxy);
        return "ok";
    } catch (const sdbus::Error& e) {
        return e.getName();
    }
}

}  // namespace cptest
