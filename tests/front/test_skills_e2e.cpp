#define BOOST_TEST_MODULE skills_e2e
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemons/broker/client/broker_client.hpp"
#include "front_harness.hpp"

using namespace fronttest;
using closedpaw::broker::BrokerClient;
using closedpaw::broker::RunRequest;
using closedpaw::broker::RunResult;

namespace {
struct Stack {
    Stack() { require_stack(); }
};
BOOST_TEST_GLOBAL_FIXTURE(Stack);

RunResult run(const FrontHarness& h, const std::string& skill, const std::string& op,
              nlohmann::json params, const std::string& workspace = "default") {
    auto c = BrokerClient::open(h.broker_socket());
    BOOST_REQUIRE_MESSAGE(c.ok(), (c ? "" : c.error().message));
    RunRequest r;
    r.skill = skill;
    r.operation = op;
    r.params = std::move(params);
    r.workspace = workspace;
    auto res = c->run(r);
    BOOST_REQUIRE_MESSAGE(res.ok(), (res ? "" : res.error().message));
    return *res;
}

bool succeeded(const RunResult& r) {
    return r.ok() && r.reply.is_object() && r.reply.value("success", false);
}
}  // namespace

// The filesystem skill, statically linked, in runsc, through the broker: the operations work,
// writes land in the workspace, and nothing outside it can be read through any trick.
BOOST_AUTO_TEST_CASE(filesystem_skill_through_the_broker_in_runsc) {
    FrontHarness h;
    // A canary beside the workspace and one at the top of the broker's directories.
    std::ofstream(h.dir() + "/ws/canary.txt") << "CANARY-OUTSIDE";
    std::ofstream(h.dir() + "/canary.txt") << "CANARY-TOP";

    auto w = run(h, "filesystem", "write", {{"path", "docs/../x.txt"}, {"content", "nope"}});
    BOOST_TEST(!succeeded(w));  // ".." refused even when it would stay inside
    BOOST_TEST(succeeded(run(h, "filesystem", "create_dir", {{"path", "docs"}})));
    auto write =
        run(h, "filesystem", "write", {{"path", "docs/todo.md"}, {"content", "- ship it\n"}});
    BOOST_TEST(succeeded(write), write.reply.dump() << write.stderr_tail);
    BOOST_TEST(write.runtime == "runsc");
    std::ifstream in(h.workspace() + "/docs/todo.md");
    std::stringstream got;
    got << in.rdbuf();
    BOOST_TEST(got.str() == "- ship it\n");  // visible on the host afterwards
    struct stat st {};
    BOOST_REQUIRE(::stat((h.workspace() + "/docs/todo.md").c_str(), &st) == 0);
    BOOST_TEST(st.st_uid == 65534u);  // written as the sandbox user

    auto read = run(h, "filesystem", "read", {{"path", "docs/todo.md"}});
    BOOST_TEST(succeeded(read));
    BOOST_TEST(read.reply["data"]["content"].get<std::string>() == "- ship it\n");
    auto list = run(h, "filesystem", "list", {{"path", "docs"}});
    BOOST_TEST(list.reply["data"]["entries"].size() == 1u);

    // Reads of files outside the workspace fail, whatever the path says.
    ::symlink((h.dir() + "/ws/canary.txt").c_str(), (h.workspace() + "/link.txt").c_str());
    ::lchown((h.workspace() + "/link.txt").c_str(), 65534, 65534);
    ::link((h.dir() + "/canary.txt").c_str(), (h.workspace() + "/hard.txt").c_str());
    for (std::string path :
         {"../canary.txt", "../../canary.txt", "/etc/passwd", "link.txt", "hard.txt",
          "docs/../../canary.txt", "%2e%2e/canary.txt", "....//canary.txt",
          "docs/./../../canary.txt", "/proc/self/root/etc/passwd"}) {
        auto r = run(h, "filesystem", "read", {{"path", path}});
        BOOST_TEST(!succeeded(r), path);
        BOOST_TEST(r.reply.dump().find("CANARY") == std::string::npos, path);
        BOOST_TEST(r.reply.dump().find("root:x:0:0") == std::string::npos, path);
    }
    // Limits and refusals come back as clean results, not crashes.
    auto dir_delete = run(h, "filesystem", "delete", {{"path", "docs"}});
    BOOST_TEST(!succeeded(dir_delete));
    BOOST_TEST(dir_delete.exit_code == 0);
    auto bad_ext = run(h, "filesystem", "write", {{"path", "run.sh"}, {"content", "x"}});
    BOOST_TEST(!succeeded(bad_ext));
    BOOST_TEST(succeeded(run(h, "filesystem", "delete", {{"path", "docs/todo.md"}})));
    BOOST_TEST(!std::filesystem::exists(h.workspace() + "/docs/todo.md"));
    // The example skill, which takes no workspace.
    auto stats = run(h, "textstats", "stats", {{"text", "to be or not to be"}, {"top", 1}}, "");
    BOOST_TEST(succeeded(stats), stats.reply.dump() << stats.message);
}
