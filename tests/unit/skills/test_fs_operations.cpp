// The filesystem skill's operations and limits: sizes (hard caps and settings that lower
// them), the extension allow-list, dotfiles, delete of a directory, atomic writes, encodings,
// listing, and an audit record that never carries content. Every case runs with both
// resolver strategies.
#define BOOST_TEST_MODULE fs_operations
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>

#include "encoding.hpp"
#include "fs_operations.hpp"
#include "fs_test_support.hpp"

using namespace closedpaw;
using namespace closedpaw::fs_skill;
using nlohmann::json;

namespace {

struct Fixture : cptest::TempTree {
    FilesystemSkill open(ResolveStrategy strategy, const json& settings = json::object()) {
        auto fs = FilesystemSkill::open(ws, settings, strategy);
        BOOST_REQUIRE_MESSAGE(fs.ok(), (fs ? std::string() : fs.error().message));
        return std::move(*fs);
    }
};

void expect_refusal(const skill::OperationResult& r, Errc code, const std::string& words) {
    BOOST_TEST(!r.success);
    BOOST_TEST((r.audit.error_code == code), r.error.value_or("(no error)"));
    BOOST_TEST(r.error.value_or("").find(words) != std::string::npos,
               "'" << r.error.value_or("") << "' lacks '" << words << "'");
}

std::size_t temp_files_in(const std::string& dir) {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        n += e.path().filename().string().rfind(".cp-write-", 0) == 0;
    return n;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(reads_are_capped_at_1_mib_and_settings_only_lower_the_cap, Fixture) {
    cptest::plant(ws + "/max.txt", std::string(kHardMaxReadBytes, 'a'));
    cptest::plant(ws + "/over.txt", std::string(kHardMaxReadBytes + 1, 'a'));
    cptest::plant(ws + "/small.txt", std::string(101, 'a'));
    for (auto s : cptest::resolve_strategies()) {
        auto fs = open(s);
        BOOST_TEST(fs.read({{"path", "max.txt"}}).success);
        expect_refusal(fs.read({{"path", "over.txt"}}), Errc::LimitExceeded, "limited to 1048576");
        auto raised = open(s, {{"max_read_bytes", 1ll << 40}});
        expect_refusal(raised.read({{"path", "over.txt"}}), Errc::LimitExceeded, "limited to");
        auto lowered = open(s, {{"max_read_bytes", 100}});
        expect_refusal(lowered.read({{"path", "small.txt"}}), Errc::LimitExceeded,
                       "limited to 100");
    }
}

BOOST_FIXTURE_TEST_CASE(writes_are_capped_at_10_mib_and_settings_only_lower_the_cap, Fixture) {
    for (auto s : cptest::resolve_strategies()) {
        auto fs = open(s);
        auto over =
            fs.write({{"path", "big.txt"}, {"content", std::string(kHardMaxWriteBytes + 1, 'x')}});
        expect_refusal(over, Errc::LimitExceeded, "limited to 10485760");
        BOOST_TEST(!std::filesystem::exists(ws + "/big.txt"));
        auto at_cap =
            fs.write({{"path", "big.txt"}, {"content", std::string(kHardMaxWriteBytes, 'x')}});
        BOOST_TEST(at_cap.success, at_cap.error.value_or(""));
        BOOST_TEST(std::filesystem::file_size(ws + "/big.txt") == kHardMaxWriteBytes);
        auto raised = open(s, {{"max_write_bytes", 1ll << 40}});
        expect_refusal(raised.write({{"path", "b.txt"},
                                     {"content", std::string(kHardMaxWriteBytes + 1, 'x')}}),
                       Errc::LimitExceeded, "limited to 10485760");
        auto lowered = open(s, {{"max_write_bytes", 10}});
        expect_refusal(lowered.write({{"path", "b.txt"}, {"content", "eleven byte"}}),
                       Errc::LimitExceeded, "limited to 10");
        BOOST_TEST(lowered.write({{"path", "b.txt"}, {"content", "ten bytes!"}}).success);
        BOOST_TEST(temp_files_in(ws) == 0u);
        std::filesystem::remove(ws + "/big.txt");
        std::filesystem::remove(ws + "/b.txt");
    }
}

BOOST_FIXTURE_TEST_CASE(only_allowed_extensions_are_touched, Fixture) {
    cptest::plant(ws + "/run.sh", "echo");
    cptest::plant(ws + "/Makefile", "all:");
    cptest::plant(ws + "/.env", "KEY=1");
    cptest::plant(ws + "/.git/config", "[core]");
    cptest::plant(ws + "/README.MD", "# hi");
    for (auto s : cptest::resolve_strategies()) {
        auto fs = open(s);
        expect_refusal(fs.read({{"path", "run.sh"}}), Errc::AccessDenied,
                       "extension '.sh' is not allowed");
        expect_refusal(fs.write({{"path", "tool.exe"}, {"content", "MZ"}}), Errc::AccessDenied,
                       "'.exe'");
        expect_refusal(fs.write({{"path", "a.tar.gz"}, {"content", "x"}}), Errc::AccessDenied,
                       "'.gz'");
        expect_refusal(fs.remove({{"path", "run.sh"}}), Errc::AccessDenied, "'.sh'");
        expect_refusal(fs.read({{"path", "Makefile"}}), Errc::AccessDenied, "without an extension");
        expect_refusal(fs.read({{"path", ".env"}}), Errc::AccessDenied, "dotfiles");
        expect_refusal(fs.read({{"path", ".git/config"}}), Errc::AccessDenied, "dotfiles");
        expect_refusal(fs.write({{"path", ".bashrc"}, {"content", "x"}}), Errc::AccessDenied,
                       "dotfiles");
        BOOST_TEST(fs.read({{"path", "README.MD"}}).success);

        auto loose = open(s, {{"allow_no_extension", true},
                              {"allow_dotfiles", true},
                              {"allowed_extensions", {"sh"}}});
        BOOST_TEST(loose.read({{"path", "run.sh"}}).success);
        BOOST_TEST(loose.read({{"path", "Makefile"}}).success);
        BOOST_TEST(loose.read({{"path", ".env"}}).success);
        expect_refusal(loose.read({{"path", "README.MD"}}), Errc::AccessDenied, "'.md'");
    }
    BOOST_TEST(std::filesystem::exists(ws + "/run.sh"));
}

BOOST_FIXTURE_TEST_CASE(bad_settings_are_refused_naming_the_key, Fixture) {
    for (const auto& [settings, words] : std::vector<std::pair<json, std::string>>{
             {{{"max_read_bytes", 0}}, "settings.max_read_bytes"},
             {{{"max_write_bytes", "big"}}, "settings.max_write_bytes"},
             {{{"allowed_extensions", {".txt"}}}, "settings.allowed_extensions"},
             {{{"allowed_extensions", "txt"}}, "settings.allowed_extensions"},
             {{{"allow_dotfiles", 1}}, "settings.allow_dotfiles"},
             {{{"allow_everything", true}}, "settings.allow_everything: unknown key"},
         }) {
        auto fs = FilesystemSkill::open(ws, settings);
        BOOST_TEST(!fs.ok(), settings.dump());
        if (!fs)
            BOOST_TEST(fs.error().message.find(words) != std::string::npos, fs.error().message);
    }
}

BOOST_FIXTURE_TEST_CASE(delete_removes_files_and_refuses_directories, Fixture) {
    for (auto s : cptest::resolve_strategies()) {
        auto fs = open(s);
        std::filesystem::create_directories(ws + "/sub/inner");
        cptest::plant(ws + "/sub/gone.txt", "bye");
        expect_refusal(fs.remove({{"path", "sub"}}), Errc::InvalidArgument, "is a directory");
        expect_refusal(fs.remove({{"path", "sub/inner"}}), Errc::InvalidArgument, "is a directory");
        BOOST_TEST(std::filesystem::is_directory(ws + "/sub/inner"));
        auto r = fs.remove({{"path", "sub/gone.txt"}});
        BOOST_TEST(r.success, r.error.value_or(""));
        BOOST_TEST(!std::filesystem::exists(ws + "/sub/gone.txt"));
        expect_refusal(fs.remove({{"path", "sub/gone.txt"}}), Errc::NotFound, "No such file");
        std::filesystem::remove_all(ws + "/sub");
    }
}

BOOST_FIXTURE_TEST_CASE(writes_are_atomic_replacements_and_leave_no_temp_files, Fixture) {
    for (auto s : cptest::resolve_strategies()) {
        auto fs = open(s);
        auto first = fs.write({{"path", "doc.md"}, {"content", "old"}});
        BOOST_TEST(first.success);
        BOOST_TEST(first.data["created"] == true);
        // A reader holding the old file keeps the old content: the new one is a new inode
        // renamed into place, never the old file rewritten in place.
        UniqueFd reader(::open((ws + "/doc.md").c_str(), O_RDONLY | O_CLOEXEC));
        auto second = fs.write({{"path", "doc.md"}, {"content", "new content"}});
        BOOST_TEST(second.success);
        BOOST_TEST(second.data["created"] == false);
        char buf[16] = {};
        BOOST_TEST(::pread(reader.get(), buf, sizeof buf, 0) == 3);
        BOOST_TEST(std::string(buf) == "old");
        BOOST_TEST(cptest::slurp(ws + "/doc.md") == "new content");
        struct stat st {};
        ::stat((ws + "/doc.md").c_str(), &st);
        BOOST_TEST((st.st_mode & 0777) == 0644u);
        expect_refusal(fs.write({{"path", "nodir/x.txt"}, {"content", "x"}}), Errc::NotFound,
                       "no such");
        std::filesystem::create_directories(ws + "/adir.txt");
        expect_refusal(fs.write({{"path", "adir.txt"}, {"content", "x"}}), Errc::InvalidArgument,
                       "is a directory");
        BOOST_TEST(temp_files_in(ws) == 0u);
        std::filesystem::remove_all(ws + "/adir.txt");
        std::filesystem::remove(ws + "/doc.md");
    }
}

// A file made read-only, or one that belongs to another user, is neither replaced nor deleted:
// renaming over it and unlinking it need only the directory's permission, which would ignore
// the file's own. An overwritten file keeps its mode, so a private file stays private.
BOOST_FIXTURE_TEST_CASE(read_only_and_foreign_files_are_kept_and_modes_preserved, Fixture) {
    for (auto s : cptest::resolve_strategies()) {
        auto fs = open(s);
        cptest::plant(ws + "/ro.txt", "keep");
        ::chmod((ws + "/ro.txt").c_str(), 0444);
        expect_refusal(fs.write({{"path", "ro.txt"}, {"content", "x"}}), Errc::AccessDenied,
                       "read-only (mode 0444)");
        expect_refusal(fs.remove({{"path", "ro.txt"}}), Errc::AccessDenied, "read-only");
        BOOST_TEST(cptest::slurp(ws + "/ro.txt") == "keep");
        cptest::plant(ws + "/private.txt", "old");
        ::chmod((ws + "/private.txt").c_str(), 0600);
        BOOST_TEST(fs.write({{"path", "private.txt"}, {"content", "new"}}).success);
        struct stat st {};
        ::stat((ws + "/private.txt").c_str(), &st);
        BOOST_TEST((st.st_mode & 0777) == 0600u);
        if (::geteuid() == 0) {  // only root can give a file to someone else
            cptest::plant(ws + "/theirs.txt", "theirs");
            BOOST_REQUIRE(::chown((ws + "/theirs.txt").c_str(), 4242, 4242) == 0);
            expect_refusal(fs.write({{"path", "theirs.txt"}, {"content", "x"}}),
                           Errc::AccessDenied, "belongs to uid 4242");
            expect_refusal(fs.remove({{"path", "theirs.txt"}}), Errc::AccessDenied,
                           "belongs to uid 4242");
            BOOST_TEST(cptest::slurp(ws + "/theirs.txt") == "theirs");
            std::filesystem::remove(ws + "/theirs.txt");
        }
        BOOST_TEST(temp_files_in(ws) == 0u);
        std::filesystem::remove(ws + "/ro.txt");
        std::filesystem::remove(ws + "/private.txt");
    }
}

BOOST_FIXTURE_TEST_CASE(binary_content_round_trips_as_base64, Fixture) {
    std::string bytes("\x00\xff\xfe PNG\r\n\x1a\n\x00", 12);
    for (auto s : cptest::resolve_strategies()) {
        auto fs = open(s);
        auto w = fs.write({{"path", "blob.txt"},
                           {"content", skill::base64_encode(bytes)},
                           {"encoding", "base64"}});
        BOOST_TEST(w.success, w.error.value_or(""));
        BOOST_TEST(cptest::slurp(ws + "/blob.txt") == bytes);
        auto r = fs.read({{"path", "blob.txt"}});
        BOOST_TEST(r.data["encoding"] == "base64");
        BOOST_TEST(*skill::base64_decode(r.data["content"].get<std::string>()) == bytes);
        expect_refusal(
            fs.write({{"path", "b.txt"}, {"content", "not base64!"}, {"encoding", "base64"}}),
            Errc::InvalidArgument, "base64");
        expect_refusal(fs.write({{"path", "b.txt"}, {"content", "x"}, {"encoding", "latin1"}}),
                       Errc::InvalidArgument, "params.encoding");
    }
}

BOOST_FIXTURE_TEST_CASE(bad_params_are_refused_naming_the_field, Fixture) {
    auto fs = open(ResolveStrategy::Walk);
    expect_refusal(fs.read({{"path", 42}}), Errc::InvalidArgument, "params.path");
    expect_refusal(fs.read(json::object()), Errc::InvalidArgument, "params.path: missing");
    expect_refusal(fs.read({{"path", "a.txt"}, {"follow", true}}), Errc::InvalidArgument,
                   "params.follow: unknown key");
    expect_refusal(fs.write({{"path", "a.txt"}}), Errc::InvalidArgument, "params.content");
}

BOOST_FIXTURE_TEST_CASE(list_and_create_dir_report_what_is_there, Fixture) {
    cptest::plant(ws + "/b.txt", "12345");
    cptest::plant(ws + "/.hidden.txt", "x");
    std::filesystem::create_directories(ws + "/a_dir");
    std::filesystem::create_symlink("/etc/passwd", ws + "/c_link.txt");
    for (auto s : cptest::resolve_strategies()) {
        auto fs = open(s);
        auto l = fs.list(json::object());
        BOOST_REQUIRE(l.success);
        const auto& e = l.data["entries"];
        BOOST_REQUIRE(e.size() == 3u);
        BOOST_TEST(e[0]["name"] == "a_dir");
        BOOST_TEST(e[0]["type"] == "directory");
        BOOST_TEST(e[1]["name"] == "b.txt");
        BOOST_TEST(e[1]["size"] == 5);
        BOOST_TEST(e[2]["type"] == "symlink");
        BOOST_TEST(l.data["truncated"] == false);
        auto capped = open(s, {{"max_list_entries", 2}});
        BOOST_TEST(capped.list({{"path", "."}}).data["truncated"] == true);

        auto made = fs.create_dir({{"path", "a_dir/new"}});
        BOOST_TEST(made.success);
        BOOST_TEST(made.data["created"] == true);
        BOOST_TEST(std::filesystem::is_directory(ws + "/a_dir/new"));
        BOOST_TEST(fs.create_dir({{"path", "a_dir/new"}}).data["created"] == false);
        expect_refusal(fs.create_dir({{"path", "b.txt"}}), Errc::AlreadyExists, "not a directory");
        expect_refusal(fs.create_dir({{"path", "x/y"}}), Errc::NotFound, "no such");
        expect_refusal(fs.create_dir({{"path", ".git"}}), Errc::AccessDenied, "dotfiles");
        std::filesystem::remove(ws + "/a_dir/new");
    }
}

BOOST_FIXTURE_TEST_CASE(the_audit_record_never_carries_content, Fixture) {
    const std::string secret = "SECRET-MARKER-4f1c";
    for (auto s : cptest::resolve_strategies()) {
        auto ops = filesystem_operations(s);
        skill::Context ctx{ws};
        skill::Request w{"write", {{"path", "s.txt"}, {"content", secret}}, json::object()};
        auto wr = skill::dispatch(w, ops, ctx);
        BOOST_TEST(wr.success);
        BOOST_TEST(wr.audit.operation == "write");
        BOOST_TEST(wr.audit.bytes == secret.size());
        BOOST_TEST(wr.serialize().find(secret) == std::string::npos);
        skill::Request r{"read", {{"path", "s.txt"}}, json::object()};
        auto rd = skill::dispatch(r, ops, ctx);
        BOOST_TEST(rd.data["content"] == secret);
        auto audit = rd.to_json()["audit"];
        BOOST_TEST(audit.dump().find(secret) == std::string::npos);
        BOOST_TEST(audit["path"] == "s.txt");
        BOOST_TEST(audit["outcome"] == "ok");
        BOOST_TEST(audit["resolver"] == resolve_strategy_name(s));
    }
}

// The largest reads: text stays text, anything else is base64, and no reply grows beyond twice
// the file (a quote escaped). Replies longer than the broker takes (1 MiB) are refused by the
// SDK with their length (test_skill_binaries).
BOOST_FIXTURE_TEST_CASE(the_largest_reads_are_encoded_with_bounded_growth, Fixture) {
    constexpr std::size_t kGrowthCap = 2 * kHardMaxReadBytes + 4096;
    std::string random(kHardMaxReadBytes, '\0');
    std::uint32_t x = 2463534242u;
    for (auto& c : random) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        c = static_cast<char>(x);
    }
    cptest::plant(ws + "/quotes.txt", std::string(kHardMaxReadBytes, '"'));
    cptest::plant(ws + "/nul.txt", std::string(kHardMaxReadBytes, '\0'));
    cptest::plant(ws + "/random.txt", random);
    auto fs = open(ResolveStrategy::Walk);
    for (const auto& [name, encoding] :
         {std::pair{"quotes.txt", "utf-8"}, {"nul.txt", "base64"}, {"random.txt", "base64"}}) {
        auto r = fs.read({{"path", name}});
        BOOST_REQUIRE(r.success);
        BOOST_TEST(r.data["encoding"] == encoding, name);
        auto size = r.serialize().size();
        BOOST_TEST(size < kGrowthCap, name << ": " << size << " bytes");
    }
}
