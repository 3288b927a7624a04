#define BOOST_TEST_MODULE skill_manifest
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include "common/skill_manifest.hpp"
#include "process.hpp"

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
    struct Case {
        std::string text;
        std::string expect;
    };
    std::vector<Case> cases = {
        {with(kGood, "level = \"low\"", "level = \"meh\""), "operations.read.level"},
        {with(kGood, "version = \"1.2.3-beta.1+build.5\"", "version = \"1.2\""), "'version'"},
        {with(kGood, "version = \"1.2.3-beta.1+build.5\"", "version = \"01.2.3\""), "'version'"},
        {with(kGood, "sandboxed = true", "sandboxed = true\nshell = \"/bin/sh\""), "'shell'"},
        {with(kGood, "sandboxed = true", "sandboxed = false"), "'sandboxed'"},
        {with(kGood, "id = \"notes\"", "id = \"../etc\""), "'id'"},
        {with(kGood, "executable = \"closedpaw-skill-notes\"", "executable = \"/bin/sh\""),
         "'executable'"},
        {with(kGood, "memory_mb = 64", "memory_mb = 999999"), "'limits.memory_mb'"},
        {with(kGood, "[workspace]\naccess = \"read_write\"", "[workspace]\naccess = \"read\""),
         "writes"},
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
    for (auto v : {"0.0.0", "1.0.0", "10.20.30", "1.0.0-alpha", "1.0.0-0.3.7",
                   "1.0.0+20130313144700", "1.0.0-x.7.z.92"})
        BOOST_TEST(valid_semver(v), v);
    for (auto v : {"", "1", "1.0", "1.0.0.0", "01.0.0", "1.0.0-", "1.0.0-01", "1.0.0+", "a.b.c",
                   "1.0.0-al_pha"})
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

namespace {

// A skill directory named id holding manifest text and, unless told otherwise, an executable.
struct SkillDir {
    std::string root = cptest::make_temp_dir("manifest");
    std::string dir;
    SkillDir(const std::string& id, const std::string& text, bool with_exe = true)
        : dir(root + "/" + id) {
        std::filesystem::create_directories(dir);
        if (!text.empty()) std::ofstream(dir + "/skill.toml") << text;
        if (with_exe) {
            std::ofstream(dir + "/closedpaw-skill-notes") << "\x7f"
                                                             "ELF";
            std::filesystem::permissions(dir + "/closedpaw-skill-notes",
                                         std::filesystem::perms::owner_all);
        }
    }
    ~SkillDir() {
        std::error_code ec;
        std::filesystem::remove_all(root, ec);
    }
};

void expect_refused(const Result<SkillManifest>& m, const std::vector<std::string>& words) {
    BOOST_TEST(!m.ok(), "accepted; expected an error with " << words.front());
    if (m) return;
    for (const auto& w : words)
        BOOST_TEST(m.error().message.find(w) != std::string::npos,
                   "'" << m.error().message << "' lacks '" << w << "'");
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_missing_manifest_is_an_error_naming_the_file) {
    SkillDir d("notes", "");
    auto m = load_skill_manifest(d.dir);
    expect_refused(m, {d.dir + "/skill.toml", "No such file"});
    BOOST_TEST((!m && m.error().code == Errc::NotFound));
}

BOOST_AUTO_TEST_CASE(malformed_toml_is_an_error_naming_file_and_line) {
    for (const auto& [text, line] : std::vector<std::pair<std::string, std::string>>{
             {"id = \"notes\"\nname = \"unterminated\n", "skill.toml:2:"},
             {"id = \"notes\"\nid = \"again\"\n", "skill.toml:2:"},
             {"id = \"notes\"\n\n[operations.read\nlevel = \"low\"\n", "skill.toml:3:"},
         }) {
        SkillDir d("notes", text);
        expect_refused(load_skill_manifest(d.dir), {line});
    }
}

BOOST_AUTO_TEST_CASE(unknown_keys_are_refused_in_every_table) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {with(kGood, "sandboxed = true", "sandboxed = true\nprivileged = true"),
         "key 'privileged': unknown key"},
        {with(kGood, "access = \"read_write\"", "access = \"read_write\"\npath = \"/\""),
         "key 'workspace.path': unknown key"},
        {with(kGood, "timeout_ms = 2000", "timeout_ms = 2000\nswap_mb = 1"),
         "key 'limits.swap_mb': unknown key"},
        {with(kGood, "level = \"low\"", "level = \"low\"\napproval = \"none\""),
         "key 'operations.read.approval': unknown key"},
    };
    for (const auto& [text, words] : cases) {
        auto m = parse_skill_manifest(text, "skill.toml");
        expect_refused(m, {"skill.toml:", words});
    }
}

BOOST_AUTO_TEST_CASE(bad_versions_and_levels_are_refused_with_what_is_allowed) {
    for (auto v : {"1.0", "v1.0.0", "1.0.0-", "1.0.0.0", "latest", "1.0.0-beta..1"}) {
        auto m = parse_skill_manifest(with(kGood, "version = \"1.2.3-beta.1+build.5\"",
                                           std::string("version = \"") + v + "\""),
                                      "skill.toml");
        expect_refused(m, {"skill.toml:4:", "key 'version'", "semantic version"});
    }
    for (auto level : {"\"LOW\"", "\"\"", "\"severe\"", "\"none\"", "2"}) {
        auto m = parse_skill_manifest(
            with(kGood, "level = \"high\"", std::string("level = ") + level), "skill.toml");
        expect_refused(m, {"skill.toml:", "key 'operations.erase.level'"});
    }
    auto m =
        parse_skill_manifest(with(kGood, "level = \"high\"", "level = \"severe\""), "skill.toml");
    expect_refused(m, {"not one of low, medium, high, critical"});
    auto missing = parse_skill_manifest(with(kGood, "level = \"high\"\n", ""), "skill.toml");
    expect_refused(missing, {"operations.erase.level"});
}

BOOST_AUTO_TEST_CASE(the_directory_must_match_the_id_and_hold_a_real_executable) {
    {
        SkillDir d("other", kGood);
        expect_refused(load_skill_manifest(d.dir),
                       {"does not match the skill's directory name 'other'"});
    }
    {
        SkillDir d("notes", kGood, /* with_exe= */ false);
        expect_refused(load_skill_manifest(d.dir), {"key 'executable'", "does not exist"});
    }
    {
        SkillDir d("notes", kGood, /* with_exe= */ false);
        std::filesystem::create_symlink("/bin/sh", d.dir + "/closedpaw-skill-notes");
        expect_refused(load_skill_manifest(d.dir), {"key 'executable'", "not a regular file"});
    }
    {
        SkillDir d("notes", kGood);
        std::filesystem::permissions(d.dir + "/closedpaw-skill-notes",
                                     std::filesystem::perms::owner_read);
        expect_refused(load_skill_manifest(d.dir), {"key 'executable'", "not executable"});
    }
    SkillDir ok("notes", kGood);
    auto m = load_skill_manifest(ok.dir);
    BOOST_REQUIRE_MESSAGE(m.ok(), (m ? std::string() : m.error().message));
    BOOST_TEST(m->directory == ok.dir);
}

BOOST_AUTO_TEST_CASE(the_shipped_skills_load_from_the_staged_directory_with_their_levels) {
    auto scan = load_skill_directory(cptest::build_root() + "/skills/staged");
    for (const auto& e : scan.errors) BOOST_ERROR(e.message);
    BOOST_REQUIRE(scan.skills.size() == 2u);
    const auto& fs = scan.skills[0];
    BOOST_TEST(fs.id == "filesystem");
    BOOST_TEST((fs.workspace == WorkspaceAccess::ReadWrite));
    struct Op {
        const char* name;
        RiskLevel level;
        bool writes;
    };
    for (auto [name, level, writes] :
         {Op{"read", RiskLevel::Low, false}, Op{"list", RiskLevel::Low, false},
          Op{"write", RiskLevel::High, true}, Op{"delete", RiskLevel::High, true},
          Op{"create_dir", RiskLevel::Medium, true}}) {
        const auto* op = fs.find_operation(name);
        BOOST_REQUIRE_MESSAGE(op != nullptr, name);
        BOOST_TEST(op->level == level, name);
        BOOST_TEST(op->writes == writes, name);
    }
    BOOST_TEST(fs.operations.size() == 5u);
    BOOST_TEST(fs.settings["max_read_bytes"] == 1048576);
    BOOST_TEST(fs.limits.output_bytes == 1024u * 1024);  // what the broker takes from a skill
    BOOST_TEST(fs.settings["allowed_extensions"].size() == 11u);
    const auto& ts = scan.skills[1];
    BOOST_TEST(ts.id == "textstats");
    BOOST_TEST((ts.workspace == WorkspaceAccess::None));
    BOOST_TEST(ts.find_operation("stats")->level == RiskLevel::Low);
    BOOST_TEST(ts.operations.size() == 1u);
}

BOOST_AUTO_TEST_CASE(tables_of_the_wrong_type_are_refused_naming_the_key) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {with(kGood, "[operations.read]\nlevel = \"low\"", "[operations]\nread = \"low\""),
         "'operations.read'"},
        {with(kGood, "[settings]", "[settings.x]\n[wrong]"), "'wrong'"},
        {with(kGood, "memory_mb = 64", "memory_mb = 64.5"), "'limits.memory_mb'"},
        {with(kGood, "[workspace]\naccess = \"read_write\"", "workspace = \"rw\""), "'workspace'"},
        {with(kGood, "[workspace]\naccess = \"read_write\"", ""), "writes"},
        {with(kGood, "sandboxed = true", "sandboxed = true\nnetwork = \"host\""), "'network'"},
        {with(kGood, "sandboxed = true", "sandboxed = \"yes\""), "'sandboxed'"},
    };
    for (const auto& [text, words] : cases) {
        expect_refused(parse_skill_manifest(text, "skill.toml"), {"skill.toml", words});
    }
    auto no_ops = parse_skill_manifest(
        "id = \"x\"\nname = \"X\"\nversion = \"1.0.0\"\nexecutable = \"x\"\nsandboxed = true\n",
        "skill.toml");
    expect_refused(no_ops, {"at least one operation"});
}
