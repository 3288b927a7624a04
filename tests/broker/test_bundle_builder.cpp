// The OCI bundle: what the sandbox gets, and that nothing more is granted.
#define BOOST_TEST_MODULE bundle_builder
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "daemons/broker/bundle_builder.hpp"
#include "process.hpp"

using namespace closedpaw;
using namespace closedpaw::broker;
using nlohmann::json;

namespace {
SkillManifest manifest() {
    SkillManifest m;
    m.id = "attacker";
    m.executable = "attacker";
    m.directory = "/usr/lib/closedpaw/skills/attacker";
    m.workspace = WorkspaceAccess::ReadWrite;
    return m;
}
json spec_for(const std::string& ws, bool writable, const json* seccomp = nullptr) {
    static SkillManifest m = manifest();
    BundleSpec s;
    s.container_id = "cp-r1-abc";
    s.manifest = &m;
    s.limits.memory_bytes = 64ull << 20;
    s.limits.pids = 32;
    s.limits.cpu_percent = 50;
    s.workspace_host = ws;
    s.workspace_writable = writable;
    s.cgroup_parent = "closedpaw-sandboxes";
    s.memory_overhead_bytes = 256ull << 20;
    s.pids_overhead = 192;
    s.seccomp = seccomp;
    return make_oci_spec(s);
}
const json* find_mount(const json& spec, const std::string& dest) {
    for (const auto& m : spec["mounts"])
        if (m["destination"] == dest) return &m;
    return nullptr;
}
}  // namespace

BOOST_AUTO_TEST_CASE(the_root_is_the_skill_directory_read_only_and_the_process_has_nothing) {
    auto s = spec_for("", false);
    BOOST_TEST(s["root"]["path"] == "/usr/lib/closedpaw/skills/attacker");
    BOOST_TEST(s["root"]["readonly"] == true);
    BOOST_TEST(s["process"]["user"]["uid"] == 65534);
    BOOST_TEST(s["process"]["user"]["gid"] == 65534);
    BOOST_TEST(s["process"]["noNewPrivileges"] == true);
    for (const auto& set : s["process"]["capabilities"]) BOOST_TEST(set.empty());
    BOOST_TEST(s["process"]["args"] == json({"/attacker", "/workspace"}));
    BOOST_TEST(find_mount(s, "/workspace") == nullptr);
    BOOST_TEST(find_mount(s, "/tmp")->at("options").dump().find("noexec") != std::string::npos);
    bool has_netns = false;
    for (const auto& ns : s["linux"]["namespaces"]) has_netns |= ns["type"] == "network";
    BOOST_TEST(has_netns);
    BOOST_TEST(!s["linux"]["maskedPaths"].empty());
}

BOOST_AUTO_TEST_CASE(the_workspace_is_read_only_unless_the_run_may_write) {
    auto ro = spec_for("/srv/ws/a", false);
    auto rw = spec_for("/srv/ws/a", true);
    auto opts = [](const json& s) { return find_mount(s, "/workspace")->at("options").dump(); };
    BOOST_TEST(opts(ro).find("\"ro\"") != std::string::npos);
    BOOST_TEST(opts(ro).find("\"rw\"") == std::string::npos);
    BOOST_TEST(opts(rw).find("\"rw\"") != std::string::npos);
    BOOST_TEST(find_mount(rw, "/workspace")->at("source") == "/srv/ws/a");
}

BOOST_AUTO_TEST_CASE(limits_reach_both_the_rlimits_and_the_cgroup) {
    auto s = spec_for("", false);
    auto rl = s["process"]["rlimits"].dump();
    BOOST_TEST(rl.find(R"({"hard":67108864,"soft":67108864,"type":"RLIMIT_AS"})") !=
               std::string::npos);
    BOOST_TEST(rl.find(R"({"hard":32,"soft":32,"type":"RLIMIT_NPROC"})") != std::string::npos);
    BOOST_TEST(s["linux"]["resources"]["memory"]["limit"] == (64ll + 256) << 20);
    BOOST_TEST(s["linux"]["resources"]["pids"]["limit"] == 32 + 192);
    BOOST_TEST(s["linux"]["resources"]["cpu"]["quota"] == 50000);
    BOOST_TEST(s["linux"]["cgroupsPath"] == "/closedpaw-sandboxes/cp-r1-abc");
}

BOOST_AUTO_TEST_CASE(the_shipped_sandbox_profile_loads_and_denies_by_default) {
    auto p = load_sandbox_seccomp(cptest::source_root() + "/policy/sandbox/seccomp.json");
    BOOST_REQUIRE_MESSAGE(p.ok(), (p ? "" : p.error().message));
    BOOST_TEST((*p)["defaultAction"] == "SCMP_ACT_ERRNO");
    auto names = (*p)["syscalls"][0]["names"].dump();
    for (const char* denied : {"\"execve\"", "\"ptrace\"", "\"mount\"", "\"personality\"",
                               "\"unshare\"", "\"bpf\"", "\"setuid\""})
        BOOST_TEST(names.find(denied) == std::string::npos, denied);
    auto s = spec_for("", false, &*p);
    BOOST_TEST(s["linux"]["seccomp"] == *p);
}

BOOST_AUTO_TEST_CASE(a_profile_that_allows_by_default_is_refused) {
    auto dir = cptest::make_temp_dir("seccomp");
    std::string path = dir + "/p.json";
    FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(
        R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]})",
        f);
    std::fclose(f);
    BOOST_TEST(!load_sandbox_seccomp(path).ok());
}

BOOST_AUTO_TEST_CASE(bundles_are_fresh_private_directories_and_are_removed) {
    auto root = cptest::make_temp_dir("bundles");
    SkillManifest m = manifest();
    BundleSpec s;
    s.container_id = "cp-r2-def";
    s.manifest = &m;
    auto dir = write_bundle(root, s);
    BOOST_REQUIRE(dir.ok());
    struct stat st {};
    BOOST_REQUIRE(::stat(dir->c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 07777) == 0700u);
    BOOST_TEST(std::filesystem::exists(*dir + "/config.json"));
    BOOST_TEST(!write_bundle(root, s).ok());  // never reuses an existing directory
    BOOST_TEST(remove_bundle(root, "cp-r2-def").ok());
    BOOST_TEST(!std::filesystem::exists(*dir));
    BOOST_TEST(!remove_bundle(root, "../etc").ok());
    s.container_id = "../../etc";
    BOOST_TEST(!write_bundle(root, s).ok());
}
