// A hostile skill attacks the sandbox from inside (tests/skills/attacker); every attempt must
// fail, and the tests assert the reason the skill saw, not just that it failed.
#define BOOST_TEST_MODULE broker_attacks
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <fstream>

#include "broker_harness.hpp"

using namespace closedpaw::broker;
using brokertest::BrokerHarness;
using nlohmann::json;

namespace {

struct Setup {
    Setup() { brokertest::require_root_and_runsc(); }
};
BOOST_TEST_GLOBAL_FIXTURE(Setup);

BrokerHarness& the_broker() {
    static BrokerHarness h;
    return h;
}

// The attacker's data for op, after checking the run itself went through.
json attack(const std::string& op, json params = json::object(), LimitsRequest limits = {}) {
    auto r = the_broker().run(op, std::move(params), "w1", limits);
    BOOST_REQUIRE_MESSAGE(r.ok(), op << ": " << r.error << " " << r.message);
    BOOST_REQUIRE_MESSAGE(r.reply.is_object(),
                          op << ": no reply: " << r.reply_error << " / " << r.stderr_tail);
    BOOST_REQUIRE(r.reply["success"] == true);
    return r.reply["data"];
}

std::string result_for(const json& list, const std::string& path) {
    for (const auto& e : list)
        if (e["path"] == path) return e["result"];
    return "(missing)";
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_canary_outside_the_workspace_cannot_be_read) {
    std::string canary = the_broker().dir() + "/canary.txt";
    std::ofstream(canary) << "CANARY-7f3a";
    std::ofstream(the_broker().workspaces() + "/sibling-canary.txt") << "CANARY-7f3a";
    auto data =
        attack("read_files", {{"paths",
                               {canary, "/workspace/../sibling-canary.txt", "/proc/1/root" + canary,
                                "/etc/shadow", "/proc/self/cwd/../../" + canary}}});
    BOOST_TEST(data.dump().find("CANARY-7f3a") == std::string::npos, data.dump());
    for (const auto& e : data) BOOST_TEST(e["result"] != "read", e.dump());
}

BOOST_AUTO_TEST_CASE(the_root_filesystem_and_a_read_only_workspace_cannot_be_written) {
    auto data = attack("write_root");
    for (const char* p : {"/pwned", "/attacker", "/skill.toml", "mkdir /newdir", "unlink /attacker",
                          "/workspace/not-allowed"})
        BOOST_TEST((result_for(data, p) == "EROFS" || result_for(data, p) == "EACCES"),
                   p << ": " << data.dump());
    BOOST_TEST(result_for(data, "/tmp/scratch") == "written");  // the control: tmpfs works
    BOOST_TEST(!std::filesystem::exists(the_broker().workspaces() + "/w1/not-allowed"));
}

BOOST_AUTO_TEST_CASE(proc_1_exe_and_the_runtime_binary_cannot_be_written) {
    auto data = attack("write_exe");
    for (const auto& e : data) BOOST_TEST(e["result"] != "written", e.dump());
    BOOST_TEST(result_for(data, "/usr/bin/runsc") == "ENOENT");  // not even visible
}

BOOST_AUTO_TEST_CASE(host_processes_are_invisible) {
    auto data = attack("processes");
    BOOST_TEST(data["pids"].size() == 1u, data.dump());
    BOOST_TEST(data["pids"][0]["pid"] == 1);
    BOOST_TEST(data["pids"][0]["comm"] == "attacker\n");
}

BOOST_AUTO_TEST_CASE(no_descriptor_but_stdio_reaches_the_skill) {
    auto data = attack("fds");
    std::vector<int> fds;
    for (const auto& e : data["fds"]) fds.push_back(e["fd"]);
    BOOST_TEST(fds == std::vector<int>({0, 1, 2}), data.dump());
    BOOST_TEST(data["fcntl_open"].empty(), data.dump());
}

BOOST_AUTO_TEST_CASE(a_fork_bomb_stops_at_the_pids_limit) {
    LimitsRequest l;
    l.pids = 16;
    auto data = attack("forkbomb", {{"n", 1000}}, l);
    BOOST_TEST(data["error"] == "EAGAIN", data.dump());
    BOOST_TEST(data["forked"].get<int>() < 16, data.dump());
}

BOOST_AUTO_TEST_CASE(memory_past_the_limit_cannot_be_allocated) {
    LimitsRequest l;
    l.memory_mb = 48;
    auto data = attack("memory", {{"mb", 512}}, l);
    BOOST_TEST(data["error"] == "ENOMEM", data.dump());
    BOOST_TEST(data["allocated_mb"].get<int>() < 48, data.dump());
}

BOOST_AUTO_TEST_CASE(syscalls_the_profile_denies_return_its_errno) {
    auto data = attack("syscalls");
    // Without the profile gVisor answers personality(0xffffffff) with success and
    // PTRACE_TRACEME with 0: EPERM here is the seccomp profile's answer.
    BOOST_TEST(data["personality"] == "EPERM", data.dump());
    BOOST_TEST(data["ptrace_traceme"] == "EPERM", data.dump());
    BOOST_TEST(data["execve"] == "EPERM", data.dump());
    BOOST_TEST(data["setuid0"] != "ok", data.dump());
    BOOST_TEST(data["uid"] == 65534);
}

BOOST_AUTO_TEST_CASE(a_network_socket_is_refused_by_the_profile) {
    auto data = attack("connect", {{"host", "127.0.0.1"}, {"port", 9}});
    BOOST_TEST(data["socket"] == "EPERM", data.dump());
}

BOOST_AUTO_TEST_CASE(running_past_the_time_limit_is_killed_and_leaves_nothing) {
    LimitsRequest l;
    l.timeout_ms = 1500;
    auto start = std::chrono::steady_clock::now();
    auto r = the_broker().run("sleep", {{"ms", 60000}}, "w1", l);
    auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST(r.ok(), r.message);
    BOOST_TEST(r.timed_out);
    BOOST_TEST(r.signal == 9);
    BOOST_TEST(r.reply.is_null());
    BOOST_TEST(took < std::chrono::seconds(10));
    BOOST_TEST(the_broker().leftover_bundles().empty());
    BOOST_TEST(the_broker().leftover_containers().empty());
    BOOST_TEST(cptest::eventually([] { return the_broker().leftover_cgroups().empty(); }));
}

BOOST_AUTO_TEST_CASE(a_busy_loop_is_killed_at_the_time_limit_too) {
    LimitsRequest l;
    l.timeout_ms = 1000;
    auto r = the_broker().run("spin", {}, "w1", l);
    BOOST_TEST(r.timed_out);
    BOOST_TEST(the_broker().leftover_containers().empty());
}

BOOST_AUTO_TEST_CASE(output_is_capped_and_bad_replies_are_reported_not_trusted) {
    auto flood = the_broker().run("flood", {{"chunks", 40}});
    BOOST_TEST(flood.stdout_truncated);
    BOOST_TEST(flood.reply.is_null());
    auto garbage = the_broker().run("garbage");
    BOOST_TEST(garbage.reply.is_null());
    BOOST_TEST(garbage.reply_error.find("not usable JSON") != std::string::npos);
    auto deep = the_broker().run("deep");
    BOOST_TEST(deep.reply.is_null());
    BOOST_TEST(deep.reply_error.find("deeper") != std::string::npos, deep.reply_error);
    auto code = the_broker().run("exit_code", {{"code", 7}});
    BOOST_TEST(code.exit_code == 7);
    BOOST_TEST(code.stderr_tail.find("exiting as asked") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_large_valid_reply_reaches_the_client_whole) {
    auto r = the_broker().run("big_reply", {{"bytes", 1000000}});
    BOOST_REQUIRE_MESSAGE(r.reply.is_object(), r.reply_error);
    BOOST_TEST(r.reply["data"].get<std::string>().size() == 1000000u);
    BOOST_TEST(!r.stdout_truncated);
}

BOOST_AUTO_TEST_CASE(the_skill_gets_its_request_settings_and_a_writable_workspace_when_declared) {
    auto echo = attack("echo", {{"x", 1}});
    BOOST_TEST(echo["params"]["x"] == 1);
    BOOST_TEST(echo["settings"]["marker"] == "from-the-manifest");
    auto w = attack("write_workspace", {{"name", "out.txt"}, {"content", "hello"}});
    BOOST_TEST(w["result"] == "written");
    std::ifstream in(the_broker().workspaces() + "/w1/out.txt");
    std::string got;
    std::getline(in, got);
    BOOST_TEST(got == "hello");
}

// The network namespace, not just seccomp: with a profile that allows AF_INET sockets, a
// connection to a listener on the host's loopback still cannot be made.
BOOST_AUTO_TEST_CASE(the_host_loopback_is_unreachable_even_when_sockets_are_allowed) {
    std::string profile = the_broker().dir() + "/permissive-seccomp.json";
    {
        std::ifstream in(cptest::source_root() + "/policy/sandbox/seccomp.json");
        json p = json::parse(in);
        p["syscalls"].push_back({{"names", {"socket"}}, {"action", "SCMP_ACT_ALLOW"}});
        std::ofstream(profile) << p.dump();
    }
    brokertest::HarnessOptions o;
    o.extra_config = {"sandbox_seccomp = \"" + profile + "\""};
    BrokerHarness permissive(o);

    int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    BOOST_REQUIRE(::listen(lfd, 4) == 0);
    socklen_t len = sizeof a;
    ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
    int port = ntohs(a.sin_port);

    auto r = permissive.run("connect", {{"host", "127.0.0.1"}, {"port", port}});
    BOOST_REQUIRE(r.reply.is_object());
    auto data = r.reply["data"];
    BOOST_TEST(data["socket"] == "ok", data.dump());  // the profile allowed it this time
    BOOST_TEST(data["connect"] != "ok", data.dump());
    pollfd p{lfd, POLLIN, 0};
    BOOST_TEST(::poll(&p, 1, 200) == 0);  // nothing ever knocked on the host listener
    ::close(lfd);
}

// The in-sandbox rlimits bite per process (RLIMIT_AS) and per sandbox user (RLIMIT_NPROC);
// the host cgroup is the backstop for what they cannot see. With the runtime's headroom cut
// to the minimum, attacks that stay under every rlimit still cannot exceed the cgroup: the
// sandbox is killed whole, and the host carries on.
BOOST_AUTO_TEST_CASE(the_memory_cgroup_kills_a_sandbox_that_spreads_memory_over_processes) {
    brokertest::HarnessOptions o;
    o.extra_config = {"sandbox_memory_overhead_mb = 64"};  // cgroup: 64 + 64 MiB
    BrokerHarness h(o);
    auto small = h.run("memory_children", {{"children", 1}, {"mb", 40}, {"hold_s", 1}});
    BOOST_TEST(small.reply.is_object(), "control run: " << small.reply_error);
    auto big = h.run("memory_children", {{"children", 8}, {"mb", 40}});
    BOOST_TEST(big.signal == 9, "exit " << big.exit_code << " signal " << big.signal);
    BOOST_TEST(big.reply.is_null());
    BOOST_TEST(!big.timed_out);
    BOOST_TEST(h.leftover_bundles().empty());
    BOOST_TEST(h.leftover_containers().empty());
    BOOST_TEST(h.run("echo").reply.is_object());
}

BOOST_AUTO_TEST_CASE(the_pids_cgroup_stops_a_fork_bomb_at_the_host) {
    brokertest::HarnessOptions o;
    o.extra_config = {"sandbox_pids_overhead = 32"};  // cgroup: 32 + 32 host tasks
    BrokerHarness h(o);
    auto bomb = h.run("forkbomb", {{"n", 1000}});
    // gVisor's own threads hit the cgroup before the skill hits RLIMIT_NPROC: the sentry
    // cannot grow and the sandbox dies.
    BOOST_TEST((bomb.exit_code != 0 || bomb.signal != 0),
               "exit " << bomb.exit_code << " signal " << bomb.signal);
    BOOST_TEST(h.leftover_bundles().empty());
    BOOST_TEST(h.leftover_containers().empty());
    BOOST_TEST(cptest::eventually([&] { return h.leftover_cgroups().empty(); }));
    BOOST_TEST(h.client().status()->running == 0u);  // the broker is unharmed
}
