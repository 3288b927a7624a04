#define BOOST_TEST_MODULE front_policy
#include <boost/test/unit_test.hpp>

#include <sodium.h>

#include <filesystem>
#include <fstream>

#include "action.hpp"
#include "policy.hpp"
#include "process.hpp"
#include "rate_limiter.hpp"

using namespace closedpaw;
using namespace closedpaw::front;

namespace {

const bool sodium_ready = sodium_init() >= 0;
std::string shipped() {
    return cptest::source_root() + "/policy/front/policy.toml";
}

Policy policy_with(const std::string& override_text, std::string* error = nullptr) {
    auto dir = cptest::make_temp_dir("policy");
    if (!override_text.empty()) std::ofstream(dir + "/10-site.toml") << override_text;
    auto p = load_policy(shipped(), dir);
    std::filesystem::remove_all(dir);
    if (!p) {
        if (error) *error = p.error().message;
        return Policy{};
    }
    return *p;
}

SkillManifest manifest(RiskLevel read, RiskLevel write) {
    SkillManifest m;
    m.id = "filesystem";
    m.operations["read"] = {"read", read, false, ""};
    m.operations["write"] = {"write", write, true, ""};
    return m;
}

BusCaller caller(uid_t uid, std::vector<gid_t> gids = {}) {
    BusCaller c;
    c.uid = uid;
    c.gids = std::move(gids);
    return c;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_shipped_policy_loads) {
    std::string err;
    auto p = policy_with("", &err);
    BOOST_TEST(err.empty(), err);
    BOOST_TEST(p.sources.size() == 1u);
    BOOST_TEST(p.pending_ttl_seconds == 900u);
}

BOOST_AUTO_TEST_CASE(classification_follows_the_design_defaults) {
    auto p = policy_with("");
    auto m = manifest(RiskLevel::Low, RiskLevel::High);
    BOOST_TEST(classify(p, ActionType::Chat, "", nullptr).level == RiskLevel::Low);
    BOOST_TEST(classify(p, ActionType::ConfigChange, "", nullptr).level == RiskLevel::Critical);
    BOOST_TEST(classify(p, ActionType::Unknown, "", nullptr).level == RiskLevel::Critical);
    BOOST_TEST(classify(p, ActionType::FileOperation, "read", &m).level == RiskLevel::Medium);
    for (const char* op : {"write", "delete", "create_dir", "modify", "anything_else"})
        BOOST_TEST(classify(p, ActionType::FileOperation, op, &m).level == RiskLevel::High, op);
    auto other = manifest(RiskLevel::Low, RiskLevel::High);
    other.id = "textstats";
    BOOST_TEST(classify(p, ActionType::SkillExecution, "read", &other).level ==
               RiskLevel::Low);  // the manifest's level
    // The filesystem skill keeps the file_operation levels as a floor however it is asked for.
    BOOST_TEST(classify(p, ActionType::SkillExecution, "read", &m).level == RiskLevel::Medium);
    BOOST_TEST(classify(p, ActionType::SkillExecution, "undeclared", &m).level ==
               RiskLevel::Critical);
    BOOST_TEST(classify(p, ActionType::SkillExecution, "read", nullptr).level ==
               RiskLevel::Critical);
    // A manifest can raise a file operation's level, never lower it.
    auto strict = manifest(RiskLevel::Critical, RiskLevel::Low);
    BOOST_TEST(classify(p, ActionType::FileOperation, "read", &strict).level ==
               RiskLevel::Critical);
    BOOST_TEST(classify(p, ActionType::FileOperation, "write", &strict).level == RiskLevel::High);
}

// An admin who raises the file_operation levels raises them for skill_execution of the
// filesystem skill too: it is another door to the same operations.
BOOST_AUTO_TEST_CASE(file_operation_levels_hold_through_skill_execution) {
    auto p = policy_with(
        "[levels]\nfile_operation_read = \"high\"\nfile_operation_write = \"critical\"\n");
    auto m = manifest(RiskLevel::Low, RiskLevel::High);
    for (ActionType t : {ActionType::FileOperation, ActionType::SkillExecution}) {
        BOOST_TEST(classify(p, t, "read", &m).level == RiskLevel::High);
        BOOST_TEST(classify(p, t, "write", &m).level == RiskLevel::Critical);
    }
    BOOST_TEST(classify(p, ActionType::SkillExecution, "write", &m).reason ==
               "policy: file_operation that changes files");
    // A manifest above the floor keeps its own level.
    auto strict = manifest(RiskLevel::Critical, RiskLevel::Critical);
    BOOST_TEST(classify(p, ActionType::SkillExecution, "read", &strict).level ==
               RiskLevel::Critical);
    auto other = manifest(RiskLevel::Low, RiskLevel::High);
    other.id = "textstats";
    BOOST_TEST(classify(p, ActionType::SkillExecution, "write", &other).level == RiskLevel::High);
}

BOOST_AUTO_TEST_CASE(overrides_apply_and_bad_files_name_file_line_and_key) {
    auto p = policy_with("[levels]\nchat = \"medium\"\n");
    BOOST_TEST(p.chat == RiskLevel::Medium);
    std::string err;
    policy_with("[levels]\nchat = \"none\"\n", &err);
    BOOST_TEST(err.find("10-site.toml:2:") != std::string::npos, err);
    BOOST_TEST(err.find("'levels.chat'") != std::string::npos, err);
    err.clear();
    policy_with("[levels]\nunknown = \"low\"\n", &err);  // unknown types stay critical
    BOOST_TEST(err.find("'levels.unknown'") != std::string::npos, err);
    err.clear();
    policy_with("[approval]\nadmin_users = [\"no-such-user-here\"]\n", &err);
    BOOST_TEST(err.find("no-such-user-here") != std::string::npos, err);
}

BOOST_AUTO_TEST_CASE(approval_rules) {
    auto p = policy_with("");
    p.approver_gids = {500};
    p.admin_gids = {600};
    Action high;
    high.level = RiskLevel::High;
    high.submitter_uid = 1001;
    Action critical = high;
    critical.level = RiskLevel::Critical;
    BOOST_TEST(may_decide(p, caller(1002, {500}), high, true).ok());
    BOOST_TEST(
        !may_decide(p, caller(1001, {500, 600}), high, true).ok());  // own action, even as admin
    BOOST_TEST(!may_decide(p, caller(1003), high, true).ok());       // nobody
    BOOST_TEST(!may_decide(p, caller(1002, {500}), critical, true).ok());  // approver, not admin
    BOOST_TEST(may_decide(p, caller(1004, {600}), critical, true).ok());
    BOOST_TEST(may_decide(p, caller(1001), high, false).ok());  // withdrawing your own
    BOOST_TEST(may_view(p, caller(1001), high));
    BOOST_TEST(!may_view(p, caller(1003), high));
}

BOOST_AUTO_TEST_CASE(the_digest_binds_every_field) {
    BOOST_REQUIRE(sodium_ready);
    nlohmann::json params = {{"path", "a.txt"}, {"content", "x"}};
    auto d = action_digest("file_operation", "filesystem", "write", params);
    BOOST_TEST(d.size() == 64u);
    BOOST_TEST(d == action_digest("file_operation", "filesystem", "write",
                                  nlohmann::json{{"content", "x"}, {"path", "a.txt"}}));
    BOOST_TEST(d != action_digest("file_operation", "filesystem", "delete", params));
    BOOST_TEST(d != action_digest("skill_execution", "filesystem", "write", params));
    BOOST_TEST(d != action_digest("file_operation", "filesystem", "write",
                                  nlohmann::json{{"path", "b.txt"}, {"content", "x"}}));
}

BOOST_AUTO_TEST_CASE(rate_limits_are_per_uid_with_a_global_cap) {
    RateLimiter r(/* per_uid_per_minute= */ 0.001, /* per_uid_burst= */ 3,
                  /* global_per_minute= */ 0.001, /* global_burst= */ 5);
    for (int i = 0; i < 3; ++i) BOOST_TEST((r.check(1) == RateLimiter::Verdict::Allowed));
    BOOST_TEST((r.check(1) == RateLimiter::Verdict::UidLimited));
    BOOST_TEST((r.check(2) == RateLimiter::Verdict::Allowed));
    BOOST_TEST((r.check(2) == RateLimiter::Verdict::Allowed));
    BOOST_TEST((r.check(3) == RateLimiter::Verdict::GlobalLimited));
}
