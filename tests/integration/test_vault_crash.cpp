#define BOOST_TEST_MODULE vault_crash
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "needs_root.hpp"
#include "vault_calls.hpp"
#include "vault_harness.hpp"

using namespace cptest;
namespace vc = cptest::vault_calls;

BOOST_TEST_GLOBAL_FIXTURE(NeedsRootAndTestUsers);

// kill -9 at random moments while a client streams Store and RotateKey calls. After every
// restart the store must open, and each entry must hold the last acknowledged value or the
// one that was in flight when the daemon died, never anything else.
BOOST_AUTO_TEST_CASE(kill_9_at_random_points_never_tears_the_store) {
    constexpr int kKills = 200;
    constexpr int kEntries = 8;
    VaultHarness vault;
    std::mt19937 rng(12345);
    std::map<std::string, std::string> acked;    // what the vault confirmed
    std::map<std::string, std::string> pending;  // sent, not confirmed when the daemon died
    int op = 0, landed_in_flight = 0, lost_in_flight = 0, rotations = 0;

    for (int kill = 0; kill < kKills; ++kill) {
        vault.start();
        // Check what survived the previous kill.
        std::string check = vault_call([&](sdbus::IProxy& p) {
            for (int e = 0; e < kEntries; ++e) {
                std::string name = "entry" + std::to_string(e);
                std::string got;
                try {
                    got = vc::retrieve(p, name);
                } catch (const sdbus::Error& err) {
                    if (err.getName() != "org.closedpaw.Error.NotFound") throw;
                    got = "<absent>";
                }
                auto a = acked.count(name) ? acked[name] : "<absent>";
                auto pe = pending.find(name);
                bool ok = got == a || (pe != pending.end() && got == pe->second);
                BOOST_TEST(
                    ok, "after kill " << kill << ": " << name << " = " << got << ", acked " << a);
                if (pe != pending.end()) {
                    (got == pe->second ? landed_in_flight : lost_in_flight)++;
                    acked[name] = got;
                }
            }
        });
        BOOST_REQUIRE_MESSAGE(check == "ok", "store did not open after kill " << kill << ": "
                                                                              << check << "\n"
                                                                              << vault.log());
        pending.clear();

        std::atomic<bool> stop{false};
        std::mutex m;
        std::thread client([&] {
            auto conn = sdbus::createSystemBusConnection();
            auto p = sdbus::createProxy(*conn, "org.closedpaw.Vault1", "/org/closedpaw/Vault1");
            while (!stop) {
                int i;
                {
                    std::lock_guard l(m);
                    i = op++;
                }
                try {
                    if (i % 7 == 6) {
                        vc::rotate(*p);
                        ++rotations;
                        continue;
                    }
                    std::string name = "entry" + std::to_string(i % kEntries);
                    std::string value = "value-" + std::to_string(i);
                    {
                        std::lock_guard l(m);
                        pending[name] = value;
                    }
                    vc::store(*p, name, value);
                    std::lock_guard l(m);
                    acked[name] = value;
                    pending.erase(name);
                } catch (const sdbus::Error&) {
                    return;  // the daemon is gone
                }
            }
        });
        std::this_thread::sleep_for(
            std::chrono::microseconds(std::uniform_int_distribution<int>(0, 40000)(rng)));
        vault.kill9();
        stop = true;
        client.join();
    }
    BOOST_TEST_MESSAGE("kills: " << kKills << ", operations: " << op << ", rotations: " << rotations
                                 << ", in-flight writes that landed: " << landed_in_flight
                                 << ", in-flight writes lost (never acknowledged): "
                                 << lost_in_flight);
    std::cout << "vault_crash: kills=" << kKills << " operations=" << op
              << " rotations=" << rotations << " in_flight_landed=" << landed_in_flight
              << " in_flight_lost=" << lost_in_flight << "\n";
    BOOST_TEST(op > kKills);  // the stream really ran between kills
}
