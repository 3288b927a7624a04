// Who may talk to the broker: the front daemon's uid (and root) on the socket, checked with
// SO_PEERCRED; root only on D-Bus, by the shipped bus policy on a real dbus-daemon.
#define BOOST_TEST_MODULE broker_access
#include <pwd.h>
#include <sys/stat.h>

#include <sdbus-c++/sdbus-c++.h>
#include <boost/test/unit_test.hpp>
#include <iostream>

#include "broker_harness.hpp"
#include "private_bus.hpp"

using namespace closedpaw::broker;
using brokertest::BrokerHarness;

namespace {
struct Setup {
    Setup() {
        brokertest::require_root_and_runsc();
        if (auto why = cptest::missing_test_users()) {
            std::cout << "SKIP: " << *why << "\n";
            std::exit(77);
        }
    }
};
BOOST_TEST_GLOBAL_FIXTURE(Setup);

cptest::RunResult hello_as(const std::string& user, const std::string& socket) {
    cptest::RunOptions o;
    o.user = user;
    return cptest::run({brokertest::build_path("tests/broker/broker_hello_client"), socket}, o);
}
}  // namespace

BOOST_AUTO_TEST_CASE(only_the_front_daemons_uid_is_served) {
    brokertest::HarnessOptions o;
    o.front_user = "cptest-alice";
    BrokerHarness h(o);
    ::chmod(h.dir().c_str(), 0755);

    auto alice = hello_as("cptest-alice", h.socket());
    BOOST_TEST(alice.exit_code == 0, alice.out << alice.err);
    BOOST_TEST(alice.out == "hello ok\n");

    // The socket's mode keeps others out at connect() ...
    auto bob = hello_as("cptest-bob", h.socket());
    BOOST_TEST(bob.exit_code == 1);
    BOOST_TEST(bob.out.find("connect failed") != std::string::npos, bob.out);

    // ... and with the mode opened up, SO_PEERCRED still refuses bob, and says so in the log.
    BOOST_REQUIRE(::chmod(h.socket().c_str(), 0666) == 0);
    auto bob_again = hello_as("cptest-bob", h.socket());
    BOOST_TEST(bob_again.exit_code == 1);
    BOOST_TEST(bob_again.out.find("hello failed") != std::string::npos, bob_again.out);
    BOOST_TEST(h.log().find("refused broker connection from a uid that is not the front "
                            "daemon's PEER_UID=" +
                            std::to_string(::getpwnam("cptest-bob")->pw_uid)) != std::string::npos,
               h.log());
    // Root is served (admin and tests), and alice still is after bob's attempts.
    BOOST_TEST(h.client().status().ok());
    BOOST_TEST(hello_as("cptest-alice", h.socket()).exit_code == 0);
}

BOOST_AUTO_TEST_CASE(status_on_dbus_is_read_only_and_root_only) {
    cptest::PrivateBus bus;
    brokertest::HarnessOptions o;
    o.extra_config = {"dbus = true"};
    BrokerHarness h(o);
    BOOST_REQUIRE(cptest::wait_for_bus_name("org.closedpaw.Broker1"));

    auto conn = sdbus::createSystemBusConnection();
    auto proxy = sdbus::createProxy(*conn, "org.closedpaw.Broker1", "/org/closedpaw/Broker1");
    std::string runtime = proxy->getProperty("Runtime").onInterface("org.closedpaw.Broker1");
    BOOST_TEST(runtime == "runsc");
    std::string version = proxy->getProperty("Version").onInterface("org.closedpaw.Broker1");
    BOOST_TEST(version == CLOSEDPAW_VERSION);
    BOOST_TEST(h.run("echo").ok());
    uint64_t total = proxy->getProperty("RunsTotal").onInterface("org.closedpaw.Broker1");
    BOOST_TEST(total == 1u);
    std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, uint32_t>> list;
    proxy->callMethod("ListSandboxes").onInterface("org.closedpaw.Broker1").storeResultsTo(list);
    BOOST_TEST(list.empty());

    cptest::RunOptions as_bob;
    as_bob.user = "cptest-bob";
    as_bob.env = {bus.env()};
    auto denied = cptest::run({"busctl", "--system", "get-property", "org.closedpaw.Broker1",
                               "/org/closedpaw/Broker1", "org.closedpaw.Broker1", "Runtime"},
                              as_bob);
    BOOST_TEST(denied.exit_code != 0);
    BOOST_TEST(denied.err.find("ccess denied") != std::string::npos, denied.err);
}
