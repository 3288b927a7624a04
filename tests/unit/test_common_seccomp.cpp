#define BOOST_TEST_MODULE common_seccomp
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "common/seccomp.hpp"
#include "process.hpp"

using namespace closedpaw;

namespace {

// Runs fn in a forked child (seccomp cannot be undone) and returns its exit status.
int in_child(const std::function<int()>& fn) {
    pid_t pid = ::fork();
    if (pid == 0) _exit(fn());
    int st = 0;
    ::waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

std::string policy(const std::string& name) {
    return cptest::source_root() + "/policy/seccomp/" + name;
}

std::string write_temp(const std::string& text) {
    std::string dir = cptest::make_temp_dir("seccomp");
    std::ofstream(dir + "/p.toml") << text;
    return dir + "/p.toml";
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_vault_profile_loads) {
    auto p = load_seccomp_policy(policy("closedpaw-vaultd.toml"));
    BOOST_REQUIRE_MESSAGE(p.ok(), (p ? "" : p.error().message));
    BOOST_TEST(p->deny_errno == EPERM);
}

BOOST_AUTO_TEST_CASE(under_the_vault_profile_forbidden_syscalls_fail_with_eperm) {
    auto p = load_seccomp_policy(policy("closedpaw-vaultd.toml")).value();
    int rc = in_child([&] {
        if (!apply_seccomp(p)) return 10;
        errno = 0;
        if (::socket(AF_INET, SOCK_STREAM, 0) != -1 || errno != EPERM) return 11;  // no network
        int unix_fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);  // journald stays possible
        if (unix_fd < 0) return 12;
        char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
        errno = 0;
        ::execve("/bin/true", argv, nullptr);
        if (errno != EPERM) return 13;  // no exec
        errno = 0;
        if (::syscall(SYS_ptrace, 0, 0, 0, 0) != -1 || errno != EPERM) return 14;
        errno = 0;
        if (::syscall(SYS_setuid, 0) != -1 || errno != EPERM) return 15;
        if (::getpid() <= 0) return 16;  // allowed calls still work
        return 0;
    });
    BOOST_TEST(rc == 0, "child failed at step " << rc);
}

BOOST_AUTO_TEST_CASE(unknown_syscalls_and_the_probe_are_refused_with_file_and_line) {
    auto bad = load_seccomp_policy(
        write_temp("default_action = \"errno\"\nallow = [\"read\", \"not_a_syscall\"]\n"));
    BOOST_REQUIRE(!bad.ok());
    BOOST_TEST(bad.error().message.find("p.toml:2:") != std::string::npos, bad.error().message);
    BOOST_TEST(bad.error().message.find("not_a_syscall") != std::string::npos, bad.error().message);

    auto probe = load_seccomp_policy(write_temp("allow = [\"read\", \"process_vm_readv\"]\n"));
    BOOST_REQUIRE(!probe.ok());
    auto extra = load_seccomp_policy(write_temp("allow = [\"read\"]\nshell = true\n"));
    BOOST_REQUIRE(!extra.ok());
    BOOST_TEST(extra.error().message.find("'shell'") != std::string::npos, extra.error().message);
    auto empty = load_seccomp_policy(write_temp("allow = []\n"));
    BOOST_REQUIRE(!empty.ok());
}

BOOST_AUTO_TEST_CASE(kill_mode_kills_on_a_forbidden_syscall) {
    auto p = load_seccomp_policy(write_temp(
        "default_action = \"kill\"\nallow = [\"write\", \"exit\", \"exit_group\", \"getpid\"]\n"));
    BOOST_REQUIRE(p.ok());
    int rc = in_child([&] {
        if (!apply_seccomp(*p)) return 10;
        ::syscall(SYS_getppid);  // not allowed: SIGSYS
        return 0;
    });
    BOOST_TEST(rc == 128 + SIGSYS);
}

BOOST_AUTO_TEST_CASE(under_the_closedpawd_profile_exec_and_network_fail) {
    auto p = load_seccomp_policy(policy("closedpawd.toml"));
    BOOST_REQUIRE_MESSAGE(p.ok(), (p ? "" : p.error().message));
    int rc = in_child([&] {
        if (!apply_seccomp(*p)) return 10;
        errno = 0;
        if (::socket(AF_INET6, SOCK_DGRAM, 0) != -1 || errno != EPERM) return 11;
        char* argv[] = {const_cast<char*>("/bin/sh"), nullptr};
        errno = 0;
        ::execve("/bin/sh", argv, nullptr);
        if (errno != EPERM) return 12;
        if (::socket(AF_UNIX, SOCK_SEQPACKET, 0) < 0)
            return 13;  // the broker's socket stays reachable
        return 0;
    });
    BOOST_TEST(rc == 0, "child failed at step " << rc);
}
