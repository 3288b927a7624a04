#define BOOST_TEST_MODULE front_crash
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "front_harness.hpp"

using namespace fronttest;

namespace {
struct Stack {
    Stack() { require_stack(); }
};
BOOST_TEST_GLOBAL_FIXTURE(Stack);
}  // namespace

// kill -9 while four clients stream submissions: after each restart the audit chain verifies
// and every action whose submission was acknowledged is still there.
BOOST_AUTO_TEST_CASE(kill_9_during_a_stream_of_submissions_loses_no_acknowledged_action) {
    constexpr int kKills = 40;
    constexpr int kClients = 4;
    FrontHarness h(
        {.policy_override =
             "[rate_limit]\nper_uid_per_minute = 10000000\nper_uid_burst = 100000\n"
             "global_per_minute = 10000000\nglobal_burst = 100000\nmax_pending_per_uid = 100000\n",
         .start_broker = false});
    std::mt19937 rng(4242);
    std::set<std::string> acked;
    std::mutex m;
    std::size_t submitted = 0;

    for (int kill = 0; kill < kKills; ++kill) {
        std::atomic<bool> stop{false};
        std::vector<std::thread> clients;
        for (int c = 0; c < kClients; ++c) {
            clients.emplace_back([&, c] {
                auto conn = sdbus::createSystemBusConnection();
                auto p = sdbus::createProxy(*conn, "org.closedpaw.ClosedPaw1",
                                            "/org/closedpaw/ClosedPaw1");
                for (int i = 0; !stop; ++i) {
                    try {
                        auto s = submit(*p, "file_operation", "",
                                        {{"operation", sdbus::Variant(std::string("delete"))},
                                         {"path", sdbus::Variant("k" + std::to_string(kill) + "c" +
                                                                 std::to_string(c) + "i" +
                                                                 std::to_string(i) + ".txt")}});
                        std::lock_guard l(m);
                        acked.insert(s.id);
                        ++submitted;
                    } catch (const sdbus::Error&) {
                        return;  // the daemon died under us
                    }
                }
            });
        }
        std::this_thread::sleep_for(
            std::chrono::microseconds(std::uniform_int_distribution<int>(5000, 60000)(rng)));
        h.kill9_front();
        stop = true;
        for (auto& t : clients) t.join();
        h.start_front();

        auto [ok, entries, detail] = verify_audit();
        BOOST_REQUIRE_MESSAGE(ok, "after kill " << kill << ": " << detail << "\n" << h.front_log());
        std::size_t missing = 0;
        front_call([&](sdbus::IProxy& p) {
            std::vector<VariantMap> all;
            p.callMethod("ListActions")
                .onInterface("org.closedpaw.ClosedPaw1.Manager")
                .withArguments(std::string("all"))
                .storeResultsTo(all);
            std::set<std::string> present;
            for (auto& a : all) present.insert(a["id"].get<std::string>());
            for (const auto& id : acked) missing += present.count(id) == 0;
        });
        BOOST_REQUIRE_MESSAGE(
            missing == 0, "after kill " << kill << ": " << missing << " acknowledged actions lost");
    }
    std::cout << "front_crash: kills=" << kKills << " acknowledged_submissions=" << submitted
              << " lost=0\n";
    BOOST_TEST(submitted > static_cast<std::size_t>(kKills));
}
