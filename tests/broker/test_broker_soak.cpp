// 1,000 runs in a row (two clients at a time) leave no sandbox, bundle, cgroup or fd behind.
#define BOOST_TEST_MODULE broker_soak
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <iostream>
#include <thread>

#include "broker_harness.hpp"

using namespace closedpaw::broker;

namespace {
struct Setup {
    Setup() { brokertest::require_root_and_runsc(); }
};
BOOST_TEST_GLOBAL_FIXTURE(Setup);
constexpr int kRuns = 1000;
constexpr int kClients = 2;
}  // namespace

BOOST_AUTO_TEST_CASE(a_thousand_runs_leak_nothing) {
    brokertest::BrokerHarness h;
    BOOST_REQUIRE(h.run("echo", {{"warm", true}}).ok());
    // The warm-up client's connection closes asynchronously; let the broker see it first.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const std::size_t fds_before = h.open_fds();

    std::atomic<int> next{0}, ok{0};
    std::vector<std::string> failures;
    std::mutex m;
    auto worker = [&] {
        auto c = h.client();  // one connection per client, runs back to back
        for (int i = next++; i < kRuns; i = next++) {
            RunRequest req;
            req.skill = "attacker";
            req.operation = "echo";
            req.params = {{"i", i}};
            req.workspace = "w1";
            auto r = c.run(req);
            if (r && r->ok() && r->reply.is_object() && r->reply["data"]["params"]["i"] == i) {
                ++ok;
            } else {
                std::lock_guard lock(m);
                failures.push_back(r ? r->error + " " + r->message + " " + r->reply_error + " " +
                                           r->stderr_tail
                                     : r.error().message);
            }
        }
    };
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < kClients; ++t) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << kRuns << " runs with " << kClients << " clients in " << secs << " s\n";

    BOOST_TEST(ok.load() == kRuns);
    for (std::size_t i = 0; i < failures.size() && i < 5; ++i) BOOST_TEST_MESSAGE(failures[i]);
    BOOST_TEST(h.leftover_bundles().empty());
    BOOST_TEST(h.leftover_containers().empty());
    BOOST_TEST(cptest::eventually([&] { return h.leftover_cgroups().empty(); }));
    BOOST_TEST(cptest::eventually([&] { return h.open_fds() == fds_before; }),
               h.open_fds() << " fds now, " << fds_before << " before");
    auto status = h.client().status();
    BOOST_REQUIRE(status.ok());
    BOOST_TEST(status->running == 0u);
    BOOST_TEST(status->queued == 0u);
    BOOST_TEST(status->runs_total == static_cast<std::uint64_t>(kRuns + 1));
}
