// The broker's socket under abuse: forged, oversized, truncated and out-of-order messages
// close that connection while the broker keeps serving others; refusals carry stable codes;
// the queue is bounded; cancel stops a running sandbox; a crash leaves nothing behind.
#define BOOST_TEST_MODULE broker_service
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "broker_harness.hpp"
#include "common/unix_socket.hpp"

using namespace closedpaw;
using namespace closedpaw::broker;
using brokertest::BrokerHarness;
using nlohmann::json;

namespace {

struct Setup {
    Setup() { brokertest::require_root_and_runsc(); }
};
BOOST_TEST_GLOBAL_FIXTURE(Setup);

BrokerHarness& the_broker() {
    static BrokerHarness h([] {
        brokertest::HarnessOptions o;
        o.extra_config = {"max_concurrent = 1", "max_queued = 1", "disabled_skills = [\"banned\"]"};
        return o;
    }());
    return h;
}

UniqueFd raw_connection() {
    auto fd = connect_seqpacket(the_broker().socket());
    BOOST_REQUIRE_MESSAGE(fd.ok(), (fd ? "" : fd.error().message));
    int big = 1 << 20;
    ::setsockopt(fd->get(), SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
    return std::move(*fd);
}

// True when the broker closed the connection without answering.
bool closed_without_reply(int fd) {
    auto msg = recv_message(fd, kMaxReplyBytes, std::chrono::milliseconds(5000));
    return msg.ok() && !msg->has_value();
}

void send_raw(int fd, const std::string& text) {
    BOOST_REQUIRE(send_message(fd, text).ok());
}

void hello(int fd) {
    send_raw(fd, R"({"v":1,"verb":"hello"})");
    auto msg = recv_message(fd, kMaxReplyBytes, std::chrono::milliseconds(5000));
    BOOST_REQUIRE(msg.ok() && msg->has_value());
    BOOST_REQUIRE(json::parse(**msg)["type"] == "hello");
}

RunRequest request(const std::string& op, json params = json::object()) {
    RunRequest r;
    r.skill = "attacker";
    r.operation = op;
    r.params = std::move(params);
    r.workspace = "w1";
    return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(bad_messages_close_their_connection_and_others_are_still_served) {
    auto bystander = the_broker().client();  // an established session throughout
    const std::vector<std::pair<std::string, std::string>> attacks = {
        {"run before hello",
         R"({"v":1,"verb":"run","skill":"attacker","operation":"echo","workspace":"w1"})"},
        {"truncated", R"({"v":1,"verb":"hel)"},
        {"not json", "\x01\x02garbage"},
        {"wrong version", R"({"v":2,"verb":"hello"})"},
        {"unknown verb", R"({"v":1,"verb":"exec","cmd":"/bin/sh -c id"})"},
        {"forged extra field", R"({"v":1,"verb":"hello","uid":0})"},
        {"empty", ""},
    };
    for (const auto& [what, text] : attacks) {
        auto fd = raw_connection();
        send_raw(fd.get(), text);
        BOOST_TEST(closed_without_reply(fd.get()), what);
        BOOST_TEST(bystander.status().ok(), "bystander after " << what);
    }
    // Out of order after hello: hello again.
    {
        auto fd = raw_connection();
        hello(fd.get());
        send_raw(fd.get(), R"({"v":1,"verb":"hello"})");
        BOOST_TEST(closed_without_reply(fd.get()));
    }
    // Oversized: one byte past the cap.
    {
        auto fd = raw_connection();
        hello(fd.get());
        std::string big =
            R"({"v":1,"verb":"run","skill":"attacker","operation":"echo","params":{"x":")";
        big += std::string(kMaxRequestBytes, 'a') + "\"}}";
        send_raw(fd.get(), big);
        BOOST_TEST(closed_without_reply(fd.get()));
    }
    // A path where a workspace id belongs.
    {
        auto fd = raw_connection();
        hello(fd.get());
        send_raw(
            fd.get(),
            R"({"v":1,"verb":"run","skill":"attacker","operation":"echo","workspace":"../../etc"})");
        BOOST_TEST(closed_without_reply(fd.get()));
    }
    BOOST_TEST(bystander.status().ok());
    BOOST_TEST(the_broker().run("echo").ok());
    BOOST_TEST(the_broker().log().find("closed broker connection: malformed message") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(refusals_carry_stable_codes) {
    auto c = the_broker().client();
    auto expect = [&](RunRequest r, const std::string& code) {
        auto res = c.run(r);
        BOOST_REQUIRE(res.ok());
        BOOST_TEST(res->error == code, r.skill << "." << r.operation << ": " << res->message);
    };
    RunRequest unknown = request("echo");
    unknown.skill = "nosuchskill";
    expect(unknown, "unknown_skill");
    expect(request("rm_rf"), "undeclared_operation");
    std::string banned_manifest = brokertest::attacker_manifest();
    banned_manifest.replace(banned_manifest.find("id = \"attacker\""),
                            std::string("id = \"attacker\"").size(), "id = \"banned\"");
    the_broker().add_skill("banned", banned_manifest);
    RunRequest banned = request("echo");
    banned.skill = "banned";
    expect(banned, "skill_disabled");
    std::string off = brokertest::attacker_manifest();
    off.replace(off.find("id = \"attacker\""), std::string("id = \"attacker\"").size(),
                "id = \"off\"\nenabled = false");
    the_broker().add_skill("off", off);
    RunRequest disabled = request("echo");
    disabled.skill = "off";
    expect(disabled, "skill_disabled");
    RunRequest no_ws = request("echo");
    no_ws.workspace.clear();
    expect(no_ws, "bad_workspace");
    // A workspace that is a symlink is refused, not followed.
    std::filesystem::create_directory_symlink("/etc", the_broker().workspaces() + "/sneaky");
    RunRequest link = request("echo");
    link.workspace = "sneaky";
    auto res = c.run(link);
    BOOST_REQUIRE(res.ok());
    BOOST_TEST(res->error == "sandbox_failed");
    BOOST_TEST(res->message.find("not a directory") != std::string::npos, res->message);
    BOOST_TEST(the_broker().leftover_bundles().empty());
}

BOOST_AUTO_TEST_CASE(the_queue_is_bounded_and_cancel_stops_running_and_queued_runs) {
    // max_concurrent = 1, max_queued = 1.
    std::string running_id, queued_id;
    RunResult first, second;
    std::thread t1([&] {
        auto c = the_broker().client();
        first = *c.run(request("sleep", {{"ms", 60000}}),
                       [&](const std::string& id) { running_id = id; });
    });
    BOOST_REQUIRE(cptest::eventually([&] { return !running_id.empty(); }));
    std::thread t2([&] {
        auto c = the_broker().client();
        second = *c.run(request("sleep", {{"ms", 60000}}));
    });
    auto watcher = the_broker().client();
    BOOST_REQUIRE(cptest::eventually([&] { return watcher.status()->queued == 1; }));
    auto third = the_broker().client().run(request("echo"));
    BOOST_REQUIRE(third.ok());
    BOOST_TEST(third->error == "busy");

    auto list = watcher.list();
    BOOST_REQUIRE(list.ok());
    BOOST_REQUIRE(list->size() == 2u);
    for (const auto& s : *list)
        if (s.state == "queued") queued_id = s.run_id;
    BOOST_TEST(!queued_id.empty());

    BOOST_TEST(*watcher.cancel(queued_id));
    BOOST_TEST(*watcher.cancel(running_id));
    BOOST_TEST(!*watcher.cancel("r999-nosuchrun"));
    t1.join();
    t2.join();
    BOOST_TEST(first.cancelled);
    BOOST_TEST(first.signal == 9);
    BOOST_TEST(!first.timed_out);
    BOOST_TEST(second.cancelled);
    BOOST_TEST(the_broker().leftover_bundles().empty());
    BOOST_TEST(the_broker().leftover_containers().empty());
    BOOST_TEST(cptest::eventually([] { return the_broker().leftover_cgroups().empty(); }));
    BOOST_TEST(the_broker().run("echo").ok());  // the slot is free again
}

BOOST_AUTO_TEST_CASE(a_client_that_hangs_up_takes_its_sandbox_with_it) {
    std::string id;
    {
        auto fd = raw_connection();
        hello(fd.get());
        send_raw(
            fd.get(),
            R"({"v":1,"verb":"run","skill":"attacker","operation":"sleep","params":{"ms":60000},"workspace":"w1"})");
        auto started = recv_message(fd.get(), kMaxReplyBytes, std::chrono::milliseconds(10000));
        BOOST_REQUIRE(started.ok() && started->has_value());
        BOOST_REQUIRE(json::parse(**started)["type"] == "started");
    }  // closed here, mid-run
    auto watcher = the_broker().client();
    BOOST_TEST(cptest::eventually([&] { return watcher.status()->running == 0; }));
    BOOST_TEST(cptest::eventually([&] { return the_broker().leftover_containers().empty(); }));
    BOOST_TEST(the_broker().leftover_bundles().empty());
}

BOOST_AUTO_TEST_CASE(after_a_crash_stale_sandboxes_and_bundles_are_removed_at_start) {
    brokertest::BrokerHarness h;
    std::string id;
    std::thread t([&] {
        auto c = h.client();
        (void)c.run(request("sleep", {{"ms", 60000}}), [&](const std::string& rid) { id = rid; });
    });
    BOOST_REQUIRE(cptest::eventually([&] { return !id.empty(); }));
    BOOST_REQUIRE(cptest::eventually([&] { return !h.leftover_containers().empty(); }));
    std::filesystem::create_directory(h.bundles() + "/cp-stale-from-before");
    std::ofstream(h.bundles() + "/cp-stale-from-before/config.json") << "{}";
    h.kill9();  // no clean-up code runs
    t.join();
    BOOST_TEST(h.leftover_bundles().size() == 2u);
    BOOST_TEST(h.leftover_containers() == std::vector<std::string>({"cp-" + id}));
    h.restart();
    BOOST_TEST(h.leftover_bundles().empty());
    BOOST_TEST(h.leftover_containers().empty());
    BOOST_TEST(cptest::eventually([&] { return h.leftover_cgroups().empty(); }));
    BOOST_TEST(h.log().find("deleted stale runsc container cp-" + id) != std::string::npos,
               h.log());
    BOOST_TEST(h.log().find("removed stale bundle cp-stale-from-before") != std::string::npos);
    BOOST_TEST(h.run("echo").ok());
}

BOOST_AUTO_TEST_CASE(with_no_usable_runtime_the_broker_serves_and_refuses_runs_clearly) {
    brokertest::HarnessOptions o;
    o.extra_config = {"runtime = \"kata-runtime\"", "kata_path = \"/nonexistent/kata-runtime\""};
    o.expect_runtime = false;
    BrokerHarness h(o);
    auto status = h.client().status();
    BOOST_REQUIRE(status.ok());
    BOOST_TEST(status->runtime == "none");
    BOOST_TEST(status->runtime_detail.find("not installed") != std::string::npos,
               status->runtime_detail);
    auto r = h.run("echo");
    BOOST_TEST(r.error == "no_runtime");
    BOOST_TEST(r.message.find("kata-runtime") != std::string::npos, r.message);
}

BOOST_AUTO_TEST_CASE(without_a_reachable_bus_the_broker_serves_and_says_so) {
    brokertest::HarnessOptions o;
    o.extra_config = {"dbus = true"};
    o.env = {"DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/bus_socket"};
    BrokerHarness h(o);
    BOOST_TEST(h.run("echo").ok());
    BOOST_TEST(h.log().find("D-Bus status is unavailable, serving without it") != std::string::npos,
               h.log());
}
