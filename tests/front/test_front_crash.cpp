#define BOOST_TEST_MODULE front_crash
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "front_harness.hpp"

using namespace fronttest;

namespace {
struct Stack {
    Stack() { require_stack(); }
};
BOOST_TEST_GLOBAL_FIXTURE(Stack);

std::vector<std::string> file_lines(const std::string& path) {
    std::ifstream f(path);
    std::vector<std::string> out;
    for (std::string l; std::getline(f, l);) out.push_back(l);
    return out;
}

// The ids of the actions in the journal, and of those the audit log says were submitted.
std::set<std::string> ids_in(const std::string& path, const char* event) {
    std::set<std::string> ids;
    for (const auto& l : file_lines(path)) {
        auto j = nlohmann::json::parse(l, nullptr, false);
        if (j.is_discarded()) continue;
        if (event == nullptr) {
            if (j.contains("id")) ids.insert(j["id"].get<std::string>());
        } else if (j.value("event", "") == event) {
            ids.insert(j["action"].get<std::string>());
        }
    }
    return ids;
}
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
        // Nothing is in the journal that the audit log does not show submitted: the audit entry
        // is made durable first.
        const auto audited = ids_in(h.state() + "/audit.log", "submitted");
        std::size_t unaudited = 0;
        for (const auto& id : ids_in(h.state() + "/actions.journal", nullptr))
            unaudited += audited.count(id) == 0;
        BOOST_REQUIRE_MESSAGE(unaudited == 0, "after kill " << kill << ": " << unaudited
                                                            << " actions in the journal that the "
                                                               "audit log never recorded");
    }
    std::cout << "front_crash: kills=" << kKills << " acknowledged_submissions=" << submitted
              << " lost=0\n";
    BOOST_TEST(submitted > static_cast<std::size_t>(kKills));
}

// The journal edited while closedpawd is stopped: an action whose parameters no longer match the
// digest it was submitted with (the digest the approver is shown and confirms) is failed at
// start, never run as it now reads; a line that no longer reads as an action is reported, and
// the journal as found is kept beside it rather than compacted away.
BOOST_AUTO_TEST_CASE(an_edited_journal_entry_is_refused_and_a_damaged_one_is_kept) {
    FrontHarness h({.start_broker = false});
    std::vector<std::string> ids;
    front_call([&](sdbus::IProxy& p) {
        for (const char* f : {"keep.txt", "edited.txt", "damaged.txt"})
            ids.push_back(submit(p, "file_operation", "",
                                 {{"operation", sdbus::Variant(std::string("delete"))},
                                  {"path", sdbus::Variant(std::string(f))}})
                              .id);
    });
    h.stop_front();
    const std::string journal = h.state() + "/actions.journal";
    auto lines = file_lines(journal);
    for (auto& l : lines) {
        if (auto at = l.find("\"edited.txt\""); at != std::string::npos)
            l.replace(at, 12, "\"important.md\"");
        if (l.find("damaged.txt") != std::string::npos)
            l.replace(l.find("\"pending\""), 9, "\"pendinG\"");
    }
    {
        std::ofstream f(journal, std::ios::trunc);  // same file: same owner and mode
        for (const auto& l : lines) f << l << "\n";
    }
    h.start_front();
    front_call([&](sdbus::IProxy& p) {
        BOOST_TEST(status_of(p, ids[0]) == "pending");
        auto edited = get_action(p, ids[1]);
        BOOST_TEST(edited["status"].get<std::string>() == "failed");
        BOOST_TEST(edited["reason"].get<std::string>().find("digest") != std::string::npos,
                   edited["reason"].get<std::string>());
    });
    BOOST_TEST(front_call([&](sdbus::IProxy& p) { get_action(p, ids[2]); }) != "ok");
    BOOST_TEST(h.front_log().find("do not read as actions") != std::string::npos, h.front_log());
    const auto kept = file_lines(journal + ".damaged");
    BOOST_TEST(std::any_of(kept.begin(), kept.end(),
                           [](const auto& l) { return l.find("pendinG") != std::string::npos; }));
    auto [ok, entries, detail] = verify_audit();
    BOOST_TEST(ok, detail);
}
