// The broker's own confinement, read from the kernel: seccomp in force, capabilities cut to
// CHOWN+NET_ADMIN (bounding set too), no_new_privs; the launcher keeps only runsc's set and
// nothing of the broker's descriptors reaches it or the runtime it starts.
#define BOOST_TEST_MODULE broker_confinement
#include <linux/capability.h>
#include <signal.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "broker_harness.hpp"

using namespace closedpaw::broker;
namespace fs = std::filesystem;

namespace {
struct Setup {
    Setup() { brokertest::require_root_and_runsc(); }
};
BOOST_TEST_GLOBAL_FIXTURE(Setup);

std::string status_field(pid_t pid, const std::string& key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind(key + ":", 0) == 0) return line.substr(key.size() + 2);
    return "";
}
std::uint64_t caps(pid_t pid, const std::string& set) {
    return std::stoull(status_field(pid, set), nullptr, 16);
}
std::uint64_t bit(int cap) {
    return 1ull << cap;
}

std::vector<pid_t> children(pid_t pid) {
    std::vector<pid_t> out;
    std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
    for (pid_t c; in >> c;) out.push_back(c);
    return out;
}
// Targets of the descriptors above stdio (stdio is the journal or the log file).
std::set<std::string> fd_targets(pid_t pid) {
    std::set<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec))
        if (std::stoi(e.path().filename().string()) > 2)
            out.insert(fs::read_symlink(e.path(), ec).string());
    return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(the_broker_runs_under_seccomp_with_two_capabilities) {
    brokertest::BrokerHarness h;
    pid_t pid = h.pid();
    BOOST_TEST(status_field(pid, "Seccomp") == "2");
    BOOST_TEST(status_field(pid, "NoNewPrivs") == "1");
    const std::uint64_t expected = bit(CAP_CHOWN) | bit(CAP_NET_ADMIN);
    BOOST_TEST(caps(pid, "CapEff") == expected);
    BOOST_TEST(caps(pid, "CapPrm") == expected);
    BOOST_TEST(caps(pid, "CapBnd") == expected);
    BOOST_TEST(caps(pid, "CapInh") == 0u);

    auto kids = children(pid);
    BOOST_REQUIRE_EQUAL(kids.size(), 1u);  // the launcher
    pid_t launcher = kids[0];
    BOOST_TEST(status_field(launcher, "Seccomp") == "0");  // runsc needs the full syscall set
    BOOST_TEST(status_field(launcher, "NoNewPrivs") == "1");
    const std::uint64_t bnd = caps(launcher, "CapBnd");
    for (int c : {CAP_SYS_MODULE, CAP_SYS_RAWIO, CAP_SYS_BOOT, CAP_MKNOD, CAP_SYS_TIME, CAP_BPF,
                  CAP_SYS_RESOURCE, CAP_AUDIT_CONTROL, CAP_MAC_ADMIN, CAP_SETFCAP})
        BOOST_TEST((bnd & bit(c)) == 0u, "launcher keeps capability " << c);
    BOOST_TEST((bnd & bit(CAP_SYS_ADMIN)) != 0u);  // and what runsc needs, it has
}

BOOST_AUTO_TEST_CASE(no_broker_descriptor_reaches_the_launcher_or_the_runtime) {
    brokertest::BrokerHarness h;
    std::string id;
    std::thread t([&] {
        RunRequest req;
        req.skill = "attacker";
        req.operation = "sleep";
        req.params = {{"ms", 3000}};
        req.workspace = "w1";
        (void)h.client().run(req, [&](const std::string& rid) { id = rid; });
    });
    BOOST_REQUIRE(cptest::eventually([&] { return !id.empty(); }));
    pid_t launcher = children(h.pid()).at(0);
    BOOST_REQUIRE(cptest::eventually([&] { return !children(launcher).empty(); }));
    pid_t runtime = children(launcher).at(0);

    // Every socket the broker holds (listener, clients, launcher channel) by inode.
    auto broker_fds = fd_targets(h.pid());
    std::set<std::string> broker_sockets;
    for (const auto& target : broker_fds)
        if (target.rfind("socket:", 0) == 0) broker_sockets.insert(target);
    auto launcher_fds = fd_targets(launcher);
    auto runtime_fds = fd_targets(runtime);
    t.join();

    int launcher_sockets = 0;
    for (const auto& target : launcher_fds) {
        if (target.rfind("socket:", 0) == 0) ++launcher_sockets;
        BOOST_TEST(target.find(h.dir()) == std::string::npos, "launcher holds " << target);
    }
    BOOST_TEST(launcher_sockets == 1);  // only its end of the broker's channel
    for (const auto& target : runtime_fds) {
        BOOST_TEST(!broker_sockets.count(target), "runtime holds broker socket " << target);
        BOOST_TEST(target.find("broker.sock") == std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(if_the_launcher_dies_runs_fail_closed_and_the_broker_keeps_serving) {
    brokertest::BrokerHarness h;
    pid_t launcher = children(h.pid()).at(0);
    BOOST_REQUIRE(::kill(launcher, SIGKILL) == 0);
    BOOST_TEST(cptest::eventually([&] { return h.client().status()->runtime == "none"; }));
    auto r = h.run("echo");
    BOOST_TEST(r.error == "no_runtime");
    BOOST_TEST(r.message.find("launcher died") != std::string::npos, r.message);
}
