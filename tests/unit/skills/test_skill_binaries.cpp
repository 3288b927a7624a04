// The built skills as the broker runs them: static executables in the staged skill
// directory, one JSON request on stdin, one JSON result on stdout, exit 0 for any result.
#define BOOST_TEST_MODULE skill_binaries
#include <elf.h>
#include <pwd.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "daemons/broker/protocol.hpp"
#include "process.hpp"
#include "protocol.hpp"

using nlohmann::json;

namespace {

std::string staged() {
    const char* d = std::getenv("CLOSEDPAW_STAGED_SKILLS");
    return d != nullptr ? d : cptest::build_root() + "/skills/staged";
}
std::string fs_bin() {
    return staged() + "/filesystem/closedpaw-skill-filesystem";
}
std::string ts_bin() {
    return staged() + "/textstats/closedpaw-skill-textstats";
}

struct Reply {
    cptest::RunResult run;
    json result;
};

Reply call(const std::vector<std::string>& argv, const std::string& input,
           std::optional<std::string> user = std::nullopt) {
    cptest::RunOptions o;
    o.input = input;
    o.user = std::move(user);
    Reply r{cptest::run(argv, o), json()};
    r.result = json::parse(r.run.out, nullptr, false);
    return r;
}

// True when the ELF file has no program interpreter and no dynamic section.
bool is_fully_static(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    Elf64_Ehdr eh{};
    if (!f.read(reinterpret_cast<char*>(&eh), sizeof eh)) return false;
    if (std::string_view(reinterpret_cast<char*>(eh.e_ident), 4) != ELFMAG) return false;
    for (int i = 0; i < eh.e_phnum; ++i) {
        Elf64_Phdr ph{};
        f.seekg(
            static_cast<std::streamoff>(eh.e_phoff + static_cast<Elf64_Off>(i) * eh.e_phentsize));
        if (!f.read(reinterpret_cast<char*>(&ph), sizeof ph)) return false;
        if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC) return false;
    }
    return true;
}

struct Workspace {
    std::string dir = cptest::make_temp_dir("skill-bin");
    ~Workspace() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(staged_skills_are_laid_out_as_installed_and_fully_static) {
    for (const auto& [id, exe] : {std::pair{"filesystem", fs_bin()}, {"textstats", ts_bin()}}) {
        BOOST_TEST(std::filesystem::is_regular_file(staged() + "/" + id + "/skill.toml"), id);
        BOOST_TEST(std::filesystem::is_regular_file(exe), exe);
        BOOST_TEST(is_fully_static(exe), exe << " needs a dynamic loader");
    }
    // A dynamic binary is told apart, so the check above can fail.
    BOOST_TEST(!is_fully_static("/bin/sh"));
}

BOOST_AUTO_TEST_CASE(the_filesystem_skill_writes_then_reads_through_stdin_and_stdout) {
    Workspace ws;
    auto w = call({fs_bin(), ws.dir},
                  R"({"operation":"write","params":{"path":"hello.txt","content":"hi there"},)"
                  R"("settings":{"max_write_bytes":100}})");
    BOOST_TEST(w.run.exit_code == 0, w.run.err);
    BOOST_TEST(w.result["success"] == true, w.run.out);
    BOOST_TEST(w.result["audit"]["operation"] == "write");
    BOOST_TEST(w.result["audit"]["bytes"] == 8);
    auto r = call({fs_bin(), ws.dir}, R"({"operation":"read","params":{"path":"hello.txt"}})");
    BOOST_TEST(r.result["data"]["content"] == "hi there", r.run.out);
    auto out = call({fs_bin(), ws.dir}, R"({"operation":"read","params":{"path":"/etc/passwd"}})");
    BOOST_TEST(out.run.exit_code == 0);
    BOOST_TEST(out.result["success"] == false);
    BOOST_TEST(out.result["error"].get<std::string>().find("absolute") != std::string::npos);
    auto lim = call({fs_bin(), ws.dir},
                    R"({"operation":"write","params":{"path":"x.txt","content":"0123456789A"},)"
                    R"("settings":{"max_write_bytes":10}})");
    BOOST_TEST(lim.result["audit"]["error_code"] == "LimitExceeded", lim.run.out);
}

// A file within the read cap whose reply would not fit what the broker takes from a skill (a
// megabyte of quotes doubles when JSON escapes them) is refused with a message that says so; a
// plain file under the cap is read.
BOOST_AUTO_TEST_CASE(a_reply_too_long_for_the_broker_is_a_refusal_that_says_so) {
    static_assert(closedpaw::skill::kMaxReplyBytes == closedpaw::broker::kMaxStdoutBytes,
                  "the SDK refuses exactly what the broker would cut off");
    Workspace ws;
    std::ofstream(ws.dir + "/quotes.txt") << std::string(600000, '"');
    std::ofstream(ws.dir + "/plain.txt") << std::string(900000, 'a');
    auto quotes = call({fs_bin(), ws.dir}, R"({"operation":"read","params":{"path":"quotes.txt"}})");
    BOOST_TEST(quotes.run.exit_code == 0);
    BOOST_TEST(quotes.run.out.size() < closedpaw::skill::kMaxReplyBytes);
    BOOST_TEST(quotes.result["success"] == false, quotes.run.out.substr(0, 300));
    BOOST_TEST(quotes.result["audit"]["error_code"] == "LimitExceeded");
    BOOST_TEST(quotes.result["audit"]["operation"] == "read");
    BOOST_TEST(quotes.result["error"].get<std::string>().find("the reply would be") !=
               std::string::npos);
    auto plain = call({fs_bin(), ws.dir}, R"({"operation":"read","params":{"path":"plain.txt"}})");
    BOOST_TEST(plain.result["success"] == true, plain.run.out.substr(0, 300));
    BOOST_TEST(plain.run.out.size() < closedpaw::skill::kMaxReplyBytes);
}

BOOST_AUTO_TEST_CASE(bad_requests_get_a_refusal_and_exit_0_internal_failures_do_not) {
    Workspace ws;
    for (const std::string input : {"", "not json", R"({"operation":"format_disk"})",
                                    R"({"operation":"read","params":{"path":"a.txt"},"x":1})"}) {
        auto r = call({fs_bin(), ws.dir}, input);
        BOOST_TEST(r.run.exit_code == 0, input);
        BOOST_TEST(r.result["success"] == false, input << " -> " << r.run.out);
        BOOST_TEST(r.result["error"].is_string());
    }
    auto big = call({fs_bin(), ws.dir}, std::string(closedpaw::skill::kMaxRequestBytes + 1, ' '));
    BOOST_TEST(big.run.exit_code == 0);
    BOOST_TEST(big.result["audit"]["error_code"] == "LimitExceeded", big.run.out);
    auto missing = call({fs_bin(), ws.dir + "/does-not-exist"}, R"({"operation":"list"})");
    BOOST_TEST(missing.run.exit_code == 0);
    BOOST_TEST(missing.result["success"] == false);
    auto usage = call({fs_bin()}, R"({"operation":"list"})");
    BOOST_TEST(usage.run.exit_code == 64);
    BOOST_TEST(usage.run.err.find("usage") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_filesystem_skill_runs_as_nobody_on_a_workspace_nobody_owns) {
    if (!cptest::is_root() || ::getpwnam("nobody") == nullptr) {
        BOOST_TEST_MESSAGE("needs root and the user nobody: not run");
        return;
    }
    Workspace ws;
    auto* pw = ::getpwnam("nobody");
    BOOST_REQUIRE(::chown(ws.dir.c_str(), pw->pw_uid, pw->pw_gid) == 0);
    auto w = call({fs_bin(), ws.dir},
                  R"({"operation":"write","params":{"path":"n.txt","content":"x"}})", "nobody");
    BOOST_TEST(w.result["success"] == true, w.run.out << w.run.err);
    BOOST_TEST(std::filesystem::exists(ws.dir + "/n.txt"));
    auto denied = call({fs_bin(), "/root"}, R"({"operation":"list"})", "nobody");
    BOOST_TEST(denied.result["success"] == false, denied.run.out);
}

BOOST_AUTO_TEST_CASE(the_textstats_skill_needs_no_workspace) {
    auto r =
        call({ts_bin()}, R"({"operation":"stats","params":{"text":"to be or not to be","top":2}})");
    BOOST_TEST(r.run.exit_code == 0, r.run.err);
    BOOST_TEST(r.result["success"] == true, r.run.out);
    BOOST_TEST(r.result["data"]["words"] == 6);
    BOOST_TEST(r.result["data"]["top_words"][0] == (json{{"word", "be"}, {"count", 2}}));
    BOOST_TEST(r.result["data"]["top_words"][1] == (json{{"word", "to"}, {"count", 2}}));
    auto bad = call({ts_bin(), "/workspace"}, R"({"operation":"stats","params":{}})");
    BOOST_TEST(bad.run.exit_code == 0);
    BOOST_TEST(bad.result["error"] == "params.text: missing (a string is required)");
}
