#define BOOST_TEST_MODULE skill_manifest
#include <boost/test/unit_test.hpp>

#include "common/skill_manifest.hpp"

using namespace closedpaw;

namespace {
const char* kGood = R"(
id = "notes"
name = "Notes"
version = "1.2.3-beta.1+build.5"
description = "Keeps notes"
executable = "closedpaw-skill-notes"
sandboxed = true
[workspace]
access = "read_write"
[limits]
memory_mb = 64
timeout_ms = 2000
[operations.read]
level = "low"
[operations.erase]
level = "high"
writes = true
[settings]
allowed_extensions = ["txt", "md"]
max_bytes = 1024
)";

std::string with(std::string text, const std::string& from, const std::string& to) {
    auto pos = text.find(from);
    BOOST_REQUIRE(pos != std::string::npos);
    return text.replace(pos, from.size(), to);
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_valid_manifest_loads_with_levels_limits_and_settings) {
    auto m = parse_skill_manifest(kGood, "skill.toml");
    BOOST_REQUIRE_MESSAGE(m.ok(), (m ? std::string() : m.error().message));
    BOOST_TEST(m->id == "notes");
    BOOST_TEST(m->operations.size() == 2u);
    BOOST_TEST(m->find_operation("erase")->level == RiskLevel::High);
    BOOST_TEST(m->find_operation("erase")->writes);
    BOOST_TEST(m->find_operation("read")->level == RiskLevel::Low);
    BOOST_TEST(m->find_operation("missing") == nullptr);
    BOOST_TEST(m->limits.memory_bytes == 64ull << 20);
    BOOST_TEST(m->limits.timeout_ms == 2000u);
    BOOST_TEST(m->limits.pids == 64u);  // default kept
    BOOST_TEST(m->settings["allowed_extensions"][1] == "md");
    BOOST_TEST(m->settings["max_bytes"] == 1024);
}

BOOST_AUTO_TEST_CASE(each_malformed_manifest_is_refused_naming_the_key) {
    struct Case { std::string text; std::string expect; };
    std::vector<Case> cases = {
        {with(kGood, "level = \"low\"", "level = \"meh\""), "operations.read.level"},
        {with(kGood, "version = \"1.2.3-beta.1+build.5\"", "version = \"1.2\""), "'version'"},
        {with(kGood, "version = \"1.2.3-beta.1+build.5\"", "version = \"01.2.3\""), "'version'"},
        {with(kGood, "sandboxed = true", "sandboxed = true\nshell = \"/bin/sh\""), "'shell'"},
        {with(kGood, "sandboxed = true", "sandboxed = false"), "'sandboxed'"},
        {with(kGood, "id = \"notes\"", "id = \"../etc\""), "'id'"},
        {with(kGood, "executable = \"closedpaw-skill-notes\"", "executable = \"/bin/sh\""), "'executable'"},
        {with(kGood, "memory_mb = 64", "memory_mb = 999999"), "'limits.memory_mb'"},
        {with(kGood, "[workspace]\naccess = \"read_write\"", "[workspace]\naccess = \"read\""), "writes"},
        {with(kGood, "name = \"Notes\"\n", ""), "'name'"},
        {with(kGood, "[operations.read]", "[operations.Read]"), "Read"},
        {"id = \"x\"\nname = = 1\n", "skill.toml:2:"},
    };
    for (const auto& c : cases) {
        auto m = parse_skill_manifest(c.text, "skill.toml");
        BOOST_TEST(!m.ok(), "accepted a bad manifest expecting " << c.expect);
        if (!m) {
            BOOST_TEST(m.error().message.find(c.expect) != std::string::npos, m.error().message);
            BOOST_TEST(m.error().message.find("skill.toml") == 0, m.error().message);
        }
    }
}

BOOST_AUTO_TEST_CASE(semver_follows_the_spec) {
    for (auto v : {"0.0.0", "1.0.0", "10.20.30", "1.0.0-alpha", "1.0.0-0.3.7", "1.0.0+20130313144700", "1.0.0-x.7.z.92"})
        BOOST_TEST(valid_semver(v), v);
    for (auto v : {"", "1", "1.0", "1.0.0.0", "01.0.0", "1.0.0-", "1.0.0-01", "1.0.0+", "a.b.c", "1.0.0-al_pha"})
        BOOST_TEST(!valid_semver(v), v);
}

BOOST_AUTO_TEST_CASE(limits_only_tighten) {
    SkillLimits manifest;
    SkillLimits request{1ull << 40, 8, 1000, 100, 1};
    auto t = manifest.tightened_by(request);
    BOOST_TEST(t.memory_bytes == manifest.memory_bytes);
    BOOST_TEST(t.pids == 8u);
    BOOST_TEST(t.cpu_percent == manifest.cpu_percent);
    BOOST_TEST(t.timeout_ms == 100u);
    BOOST_TEST(t.output_bytes == 1u);
}
