#define BOOST_TEST_MODULE audit_log
#include <boost/test/unit_test.hpp>

#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "audit_log.hpp"
#include "process.hpp"

using namespace closedpaw;
using namespace closedpaw::front;
namespace fs = std::filesystem;

namespace {

const bool sodium_ready = sodium_init() >= 0;

struct Dir {
    std::string path = cptest::make_temp_dir("audit");
    ~Dir() { fs::remove_all(path); }
    std::string log() const { return path + "/audit.log"; }
};

std::vector<std::string> lines(const std::string& path) {
    std::ifstream f(path);
    std::vector<std::string> out;
    for (std::string l; std::getline(f, l);) out.push_back(l);
    return out;
}

void write_lines(const std::string& path, const std::vector<std::string>& ls) {
    std::ofstream f(path, std::ios::trunc);
    for (const auto& l : ls) f << l << "\n";
}

void fill(const std::string& dir, int n) {
    auto log = AuditLog::open(dir).value();
    for (int i = 0; i < n; ++i) {
        AuditEvent e;
        e.action_id = "a" + std::to_string(i);
        e.event = "submitted";
        e.uid = 1000 + static_cast<uid_t>(i);
        e.details = {{"path", "file" + std::to_string(i) + ".txt"}};
        BOOST_REQUIRE(log.append(e).ok());
        if (i % 3 == 2) BOOST_REQUIRE(log.commit().ok());  // batches of several entries
    }
    BOOST_REQUIRE(log.commit().ok());
}

AuditVerification verify(const std::string& dir) {
    return AuditLog::open(dir).value().verify();
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_untouched_log_verifies_and_survives_reopening) {
    BOOST_REQUIRE(sodium_ready);
    Dir d;
    fill(d.path, 10);
    auto v = verify(d.path);
    BOOST_TEST(v.ok, v.detail);
    BOOST_TEST(v.entries == 10u);
    auto log = AuditLog::open(d.path).value();
    BOOST_TEST(log.last_seq() == 10u);
    BOOST_TEST(log.append(AuditEvent{}).value() == 11u);
    BOOST_REQUIRE(log.commit().ok());
    BOOST_TEST(log.verify().ok);
    BOOST_TEST(log.read(8, 2).size() == 2u);
    BOOST_TEST(log.read(8, 2)[0]["seq"].get<uint64_t>() == 9u);
}

BOOST_AUTO_TEST_CASE(editing_any_entry_is_detected) {
    Dir d;
    fill(d.path, 6);
    auto original = lines(d.log());
    for (std::size_t i = 0; i < original.size(); ++i) {
        auto edited = original;
        auto pos = edited[i].find("\"uid\":");
        BOOST_REQUIRE(pos != std::string::npos);
        pos += 6;
        auto end = edited[i].find_first_of(",}", pos);
        edited[i].replace(pos, end - pos, "0");  // claim root did it
        write_lines(d.log(), edited);
        auto v = AuditLog::open(d.path).value().verify();
        BOOST_TEST(!v.ok, "edit of entry " << i + 1 << " went unnoticed");
        BOOST_TEST_MESSAGE(v.detail);
    }
    write_lines(d.log(), original);
    BOOST_TEST(verify(d.path).ok);
}

BOOST_AUTO_TEST_CASE(flipping_any_byte_is_detected) {
    Dir d;
    fill(d.path, 3);
    std::ifstream in(d.log(), std::ios::binary);
    std::string orig((std::istreambuf_iterator<char>(in)), {});
    std::size_t undetected = 0;
    for (std::size_t i = 0; i < orig.size(); ++i) {
        if (orig[i] == '\n') continue;
        std::string bad = orig;
        bad[i] = static_cast<char>(bad[i] ^ 0x01);
        std::ofstream(d.log(), std::ios::binary | std::ios::trunc) << bad;
        if (AuditLog::open(d.path).value().verify().ok) ++undetected;
    }
    BOOST_TEST(undetected == 0u);
}

BOOST_AUTO_TEST_CASE(removing_reordering_and_truncating_entries_are_detected) {
    Dir d;
    fill(d.path, 6);
    auto original = lines(d.log());
    auto removed = original;
    removed.erase(removed.begin() + 2);
    write_lines(d.log(), removed);
    auto v = verify(d.path);
    BOOST_TEST(!v.ok);
    BOOST_TEST(v.detail.find("removed or reordered") != std::string::npos, v.detail);

    auto swapped = original;
    std::swap(swapped[1], swapped[2]);
    write_lines(d.log(), swapped);
    BOOST_TEST(!verify(d.path).ok);

    auto truncated = original;
    truncated.pop_back();
    truncated.pop_back();
    write_lines(d.log(), truncated);
    v = verify(d.path);
    BOOST_TEST(!v.ok);
    BOOST_TEST(v.detail.find("truncated") != std::string::npos, v.detail);

    write_lines(d.log(), {});
    BOOST_TEST(!verify(d.path).ok);  // emptied: the head still records 6 entries

    // Recomputing the whole chain after an edit still leaves the head disagreeing.
    write_lines(d.log(), original);
    BOOST_TEST(verify(d.path).ok);
}

BOOST_AUTO_TEST_CASE(a_broken_log_refuses_appends_so_actions_fail_closed) {
    Dir d;
    fill(d.path, 3);
    auto ls = lines(d.log());
    ls.erase(ls.begin());
    write_lines(d.log(), ls);
    auto log = AuditLog::open(d.path).value();
    BOOST_TEST(!log.broken().empty());
    auto r = log.append(AuditEvent{});
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().code == Errc::Corrupt);
    BOOST_TEST(r.error().message.find("Move audit.log") != std::string::npos, r.error().message);
}

// A batch whose write fails (a full disk; here the file-size limit) is cut back off the log: the
// log stays the chain it was, nothing is left broken (one full disk must not refuse every
// action until a restart), and the next batch is written once there is room again.
BOOST_AUTO_TEST_CASE(a_failed_write_is_undone_and_the_log_carries_on) {
    Dir d;
    fill(d.path, 3);
    auto log = AuditLog::open(d.path).value();
    const auto size = fs::file_size(d.log());
    Result<void> failed;
    // Room for part of the first entry only.
    cptest::with_file_size_limit(size + 100, [&] {
        for (int i = 0; i < 5; ++i) {
            AuditEvent e;
            e.action_id = "big" + std::to_string(i);
            e.event = "submitted";
            BOOST_REQUIRE(log.append(e).ok());
        }
        failed = log.commit();
    });
    BOOST_TEST(!failed.ok());
    BOOST_TEST(fs::file_size(d.log()) == size);
    BOOST_TEST(log.broken().empty(), log.broken());
    BOOST_TEST(log.last_seq() == 3u);
    BOOST_REQUIRE(log.append(AuditEvent{}).ok());
    BOOST_REQUIRE(log.commit().ok());
    BOOST_TEST(log.verify().ok, log.verify().detail);
    BOOST_TEST(verify(d.path).entries == 4u);
}

BOOST_AUTO_TEST_CASE(a_torn_unacknowledged_tail_is_dropped_at_open) {
    Dir d;
    fill(d.path, 3);
    std::ofstream(d.log(), std::ios::app) << "{\"seq\":4,\"time\":\"2026-";  // crash mid-write
    auto log = AuditLog::open(d.path).value();
    BOOST_TEST(log.broken().empty(), log.broken());
    BOOST_TEST(log.last_seq() == 3u);
    BOOST_REQUIRE(log.append(AuditEvent{}).ok());
    BOOST_REQUIRE(log.commit().ok());
    BOOST_TEST(log.verify().ok, log.verify().detail);
}

BOOST_AUTO_TEST_CASE(secrets_and_long_outputs_are_redacted) {
    nlohmann::json params = {
        {"path", "a.txt"},
        {"content", std::string(5000, 'x')},
        {"api_key", "sk-123"},
        {"nested", {{"password", "hunter2"}, {"note", std::string(1000, 'n')}}}};
    auto r = AuditLog::redact(params);
    auto text = r.dump();
    BOOST_TEST(text.find("sk-123") == std::string::npos);
    BOOST_TEST(text.find("hunter2") == std::string::npos);
    BOOST_TEST(text.find(std::string(300, 'x')) == std::string::npos);
    BOOST_TEST(text.size() < 1000u);
    BOOST_TEST(r["path"] == "a.txt");
}
