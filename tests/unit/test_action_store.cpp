#define BOOST_TEST_MODULE action_store
#include <boost/test/unit_test.hpp>

#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "action_store.hpp"
#include "process.hpp"

using namespace closedpaw;
using namespace closedpaw::front;
namespace fs = std::filesystem;

namespace {

const bool sodium_ready = sodium_init() >= 0;

struct Dir {
    std::string path = cptest::make_temp_dir("store");
    ~Dir() { fs::remove_all(path); }
    std::string journal() const { return path + "/actions.journal"; }
};

Action action(const std::string& id, ActionStatus status = ActionStatus::Pending) {
    Action a;
    a.id = id;
    a.type_name = "file_operation";
    a.type = ActionType::FileOperation;
    a.skill = "filesystem";
    a.operation = "delete";
    a.params = {{"path", id + ".txt"}};
    a.digest = action_digest(a.type_name, a.skill, a.operation, a.params);
    a.level = RiskLevel::High;
    a.status = status;
    return a;
}

std::string read_all(const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

}  // namespace

BOOST_AUTO_TEST_CASE(committed_actions_survive_reopening) {
    BOOST_REQUIRE(sodium_ready);
    Dir d;
    {
        auto s = ActionStore::open(d.path).value();
        s.put(action("a"));
        s.put(action("b"));
        BOOST_REQUIRE(s.commit().ok());
        s.put(action("a", ActionStatus::Rejected));
        BOOST_REQUIRE(s.commit().ok());
    }
    auto s = ActionStore::open(d.path).value();
    BOOST_TEST(s.actions().size() == 2u);
    BOOST_TEST((s.find("a")->status == ActionStatus::Rejected));
    BOOST_TEST(s.skipped_lines() == 0u);
    BOOST_TEST(s.damaged_lines() == 0u);
}

// A batch that cannot be written (a full disk) is cut back off the journal and discarded from
// memory: the store says what the disk says, and the next batch is not appended to a torn line.
BOOST_AUTO_TEST_CASE(a_failed_commit_is_undone_on_disk_and_in_memory) {
    Dir d;
    auto s = ActionStore::open(d.path).value();
    s.put(action("kept"));
    BOOST_REQUIRE(s.commit().ok());
    const auto size = fs::file_size(d.journal());
    s.put(action("kept", ActionStatus::Approved));
    s.put(action("refused"));
    cptest::with_file_size_limit(size + 40, [&] { BOOST_TEST(!s.commit().ok()); });
    BOOST_TEST(fs::file_size(d.journal()) == size);
    BOOST_TEST(s.find("refused") == nullptr);
    BOOST_TEST((s.find("kept")->status == ActionStatus::Pending));
    s.put(action("later"));
    BOOST_REQUIRE(s.commit().ok());
    auto reopened = ActionStore::open(d.path).value();
    BOOST_TEST(reopened.actions().size() == 2u);
    BOOST_TEST(reopened.find("refused") == nullptr);
    BOOST_TEST(reopened.skipped_lines() + reopened.damaged_lines() == 0u);
}

// A torn last line is a crash's (never acknowledged); a whole line that does not read is damage:
// it is reported, and the journal as found is kept beside the compacted one.
BOOST_AUTO_TEST_CASE(a_damaged_line_is_reported_and_the_journal_kept) {
    Dir d;
    {
        auto s = ActionStore::open(d.path).value();
        for (const char* id : {"a", "b", "c"}) s.put(action(id));
        BOOST_REQUIRE(s.commit().ok());
    }
    std::string text = read_all(d.journal());
    const auto b = text.find("\"id\":\"b\"");
    BOOST_REQUIRE(b != std::string::npos);
    text.replace(text.find("\"pending\"", b), 9, "\"pendinG\"");
    std::ofstream(d.journal(), std::ios::trunc) << text << "{\"id\":\"d\",\"ty";
    auto s = ActionStore::open(d.path).value();
    BOOST_TEST(s.skipped_lines() == 1u);
    BOOST_TEST(s.damaged_lines() == 1u);
    BOOST_TEST(s.find("b") == nullptr);
    BOOST_TEST(s.actions().size() == 2u);
    BOOST_TEST(s.damaged_copy() == d.journal() + ".damaged");
    BOOST_TEST(read_all(s.damaged_copy()).find("pendinG") != std::string::npos);
    BOOST_TEST(read_all(d.journal()).find("pendinG") == std::string::npos);
    // Damaged again: the first copy is kept, the second goes beside it.
    std::ofstream(d.journal(), std::ios::app) << "not an action\n";
    auto again = ActionStore::open(d.path).value();
    BOOST_TEST(again.damaged_lines() == 1u);
    BOOST_TEST(again.damaged_copy() == d.journal() + ".damaged.1");
    BOOST_TEST(read_all(d.journal() + ".damaged").find("pendinG") != std::string::npos);
    BOOST_TEST(read_all(again.damaged_copy()).find("not an action") != std::string::npos);
}
