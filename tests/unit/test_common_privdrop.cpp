#define BOOST_TEST_MODULE common_privdrop
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <seccomp.h>

#include "common/privdrop.hpp"
#include "process.hpp"

using namespace closedpaw;

namespace {

struct NeedsRoot {
    NeedsRoot() {
        if (!cptest::is_root()) {
            std::cout << "SKIP: dropping privileges needs root (CI runs as root)\n";
            std::exit(77);
        }
    }
};
BOOST_GLOBAL_FIXTURE(NeedsRoot);

int in_child(const std::function<int()>& fn) {
    pid_t pid = ::fork();
    if (pid == 0) _exit(fn());
    int st = 0;
    ::waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

}  // namespace

BOOST_AUTO_TEST_CASE(dropping_to_a_user_cannot_be_undone) {
    int rc = in_child([] {
        auto nobody = lookup_user("nobody");
        if (!nobody) return 10;
        DropSpec spec{nobody->uid, nobody->gid, {}, {}};
        if (auto r = drop_privileges(spec); !r) {
            std::cerr << r.error().message << "\n";
            return 11;
        }
        if (::getuid() != nobody->uid || ::geteuid() != nobody->uid) return 12;
        if (::setuid(0) == 0 || ::seteuid(0) == 0 || ::setgid(0) == 0) return 13;
        if (::open("/etc/shadow", O_RDONLY) >= 0) return 14;  // root-only file
        if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return 15;
        gid_t groups[8];
        if (::getgroups(8, groups) != 0) return 16;  // supplementary groups (root's) are gone
        return verify_capabilities({}) ? 0 : 17;
    });
    BOOST_TEST(rc == 0, "child failed at step " << rc);
}

BOOST_AUTO_TEST_CASE(staying_root_with_few_capabilities_keeps_only_those) {
    int rc = in_child([] {
        DropSpec spec{0, 0, {}, {CAP_KILL}};
        if (auto r = drop_privileges(spec); !r) {
            std::cerr << r.error().message << "\n";
            return 11;
        }
        if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0) return 12;
        if (prctl(PR_CAPBSET_READ, CAP_KILL, 0, 0, 0) != 1) return 13;
        return verify_capabilities({CAP_KILL}) ? 0 : 14;
    });
    BOOST_TEST(rc == 0, "child failed at step " << rc);
}

// Under systemd, a unit with User= and an empty CapabilityBoundingSet= starts the daemon with no
// capabilities, and SystemCallFilter=~@privileged denies capset(2). Dropping must still work
// (there is nothing left to drop) and must still prove that nothing can be regained.
BOOST_AUTO_TEST_CASE(dropping_when_already_capability_free_needs_no_capset) {
    int rc = in_child([] {
        auto nobody = lookup_user("nobody");
        if (!nobody) return 10;
        DropSpec spec{nobody->uid, nobody->gid, {}, {}};
        if (auto r = drop_privileges(spec); !r) return 11;
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (ctx == nullptr) return 12;
        if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(capset), 0) != 0) return 13;
        if (seccomp_load(ctx) != 0) return 14;
        seccomp_release(ctx);
        DropSpec again{nobody->uid, nobody->gid, {}, {}};
        if (auto r = drop_privileges(again); !r) {
            std::cerr << r.error().message << "\n";
            return 15;
        }
        return verify_capabilities({}) ? 0 : 16;
    });
    BOOST_TEST(rc == 0, "child failed at step " << rc);
}
