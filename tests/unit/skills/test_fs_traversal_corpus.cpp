// The resolver and the filesystem skill's read and list, attacked with every payload of the
// public traversal lists in shared/datasets/traversal: raw, URL-decoded once and twice, with
// {FILE} filled with a canary's name. Canaries are planted in every directory above the
// workspace; none may be read. Benign paths inside the workspace must all open.
#define BOOST_TEST_MODULE fs_traversal_corpus
#include <sys/stat.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <iostream>
#include <set>
#include <utility>

#include "fs_operations.hpp"
#include "fs_test_support.hpp"

using namespace closedpaw;
using namespace closedpaw::fs_skill;

namespace {

const std::string kCanaryName = "closedpaw-canary.txt";
const std::string kCanaryContent = "CANARY-OUTSIDE-THE-WORKSPACE";

std::string dataset_dir() {
    const char* d = std::getenv("CLOSEDPAW_TRAVERSAL_DIR");
    return d != nullptr ? d : "";
}

// Exits 77 (meson: skipped) when the shared datasets are not next to the project.
struct NeedDatasets {
    NeedDatasets() {
        auto d = dataset_dir();
        if (d.empty() || !std::filesystem::is_directory(d)) {
            std::cout << "SKIP: traversal datasets not found at '" << d
                      << "' (expected ../shared/datasets/traversal beside the project)\n";
            std::exit(77);
        }
    }
};
BOOST_TEST_GLOBAL_FIXTURE(NeedDatasets);

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// %XX decoding only, as a web server would do once; anything else is left as it is.
std::string url_decode(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
            hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string fill_placeholder(std::string s) {
    for (auto pos = s.find("{FILE}"); pos != std::string::npos; pos = s.find("{FILE}"))
        s.replace(pos, 6, kCanaryName);
    return s;
}

struct Corpus {
    std::size_t files = 0;
    std::size_t lines = 0;
    std::size_t attempts = 0;         // lines x 3 variants
    std::vector<std::string> unique;  // distinct attempt strings
};

Corpus load_corpus() {
    Corpus c;
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dataset_dir()))
        if (e.path().extension() == ".txt") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::set<std::string> seen;
    for (const auto& f : files) {
        ++c.files;
        std::istringstream in(cptest::slurp(f));
        for (std::string line; std::getline(in, line);) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            ++c.lines;
            auto raw = fill_placeholder(line);
            auto once = url_decode(raw);
            auto twice = url_decode(once);
            for (auto* v : {&raw, &once, &twice}) {
                ++c.attempts;
                if (seen.insert(*v).second) c.unique.push_back(*v);
            }
        }
    }
    return c;
}

using InodeSet = std::set<std::pair<dev_t, ino_t>>;

InodeSet inodes_under(const std::string& dir) {
    InodeSet set;
    struct stat st {};
    ::lstat(dir.c_str(), &st);
    set.insert({st.st_dev, st.st_ino});
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
        ::lstat(e.path().c_str(), &st);
        set.insert({st.st_dev, st.st_ino});
    }
    return set;
}

// base/l1/l2/l3/l4/ws: a canary (and etc/passwd, windows/win.ini look-alikes holding the
// canary text) in every directory above the workspace, so a traversal of any depth up to the
// temp root finds one.
struct CorpusTree {
    cptest::TempTree tree;
    std::string ws = tree.base + "/l1/l2/l3/l4/ws";
    InodeSet canaries;
    std::vector<std::string> benign = {
        "notes.txt",
        "docs/readme.md",
        "docs/guide/intro.md",
        "data/2024/report.csv",
        "with space.txt",
        "unicodé-名前.md",
        "dir.with.dots/file.json",
        "CAPS.TXT",
        "%2e%2e%2fetc%2fpasswd.txt",
        "x..%2f..%2fwin.ini.txt",
        "back\\slash\\..\\name.txt",
        "a/b/c/d/e/f/g/h/deep.txt",
        "trailing.dots...txt",
        "-dash.txt",
        "four....dots.md",
        std::string(251, 'n') + ".txt",
    };

    CorpusTree() {
        std::filesystem::create_directories(ws);
        std::string dir = tree.base;
        for (const char* level : {"", "/l1", "/l2", "/l3", "/l4"}) {
            dir += level;
            for (const auto& rel :
                 {kCanaryName, std::string("etc/passwd"), std::string("windows/win.ini")}) {
                cptest::plant(dir + "/" + rel, kCanaryContent);
                struct stat st {};
                ::stat((dir + "/" + rel).c_str(), &st);
                canaries.insert({st.st_dev, st.st_ino});
            }
        }
        for (const auto& b : benign) cptest::plant(ws + "/" + b, "benign " + b);
    }
};

bool is_canary(int fd, const InodeSet& canaries) {
    struct stat st {};
    return ::fstat(fd, &st) == 0 && canaries.count({st.st_dev, st.st_ino}) > 0;
}

const nlohmann::json kPermissiveSettings = {
    {"allow_dotfiles", true},
    {"allow_no_extension", true},
    {"allowed_extensions",
     {"txt", "ini", "md", "csv", "json", "xml", "html", "php", "conf", "cfg", "log", "asp", "aspx",
      "jsp", "inc", "bak", "config", "sh"}},
};

}  // namespace

BOOST_AUTO_TEST_CASE(no_traversal_payload_reaches_a_canary_outside_the_workspace) {
    auto corpus = load_corpus();
    BOOST_REQUIRE_GT(corpus.files, 0u);
    CorpusTree t;
    auto ws_inodes = inodes_under(t.ws);

    // Control: joining the path onto the workspace, as the original did, reaches a canary
    // for many payloads. The canaries are placed where the corpus looks.
    std::size_t naive_hits = 0;
    for (const auto& p : corpus.unique) {
        if (p.find('\0') != std::string::npos) continue;
        UniqueFd fd(::open((t.ws + "/" + p).c_str(), O_PATH | O_CLOEXEC));
        if (fd && is_canary(fd.get(), t.canaries)) ++naive_hits;
    }
    std::cout << "traversal corpus: " << corpus.files << " files, " << corpus.lines
              << " payload lines, " << corpus.attempts << " attempts (raw, decoded once, decoded"
              << " twice), " << corpus.unique.size() << " distinct\n";
    std::cout << "control: a naive open(workspace + \"/\" + path) reaches a canary for "
              << naive_hits << " distinct payloads\n";
    BOOST_TEST(naive_hits > 0u);

    for (auto strategy : cptest::resolve_strategies()) {
        auto resolver = Resolver::open_workspace(t.ws, strategy);
        BOOST_REQUIRE(resolver.ok());
        auto skill = FilesystemSkill::open(t.ws, kPermissiveSettings, strategy);
        BOOST_REQUIRE(skill.ok());
        std::size_t refused = 0, not_found = 0, inside = 0, outside = 0, canary_reads = 0;
        std::size_t skill_canary_reads = 0, list_escapes = 0;
        for (const auto& p : corpus.unique) {
            auto fd = resolver->open(p, O_RDONLY | O_NONBLOCK | O_NOCTTY);
            if (fd) {
                struct stat st {};
                BOOST_REQUIRE(::fstat(fd->get(), &st) == 0);
                if (ws_inodes.count({st.st_dev, st.st_ino})) {
                    ++inside;
                } else {
                    ++outside;
                    BOOST_ERROR("opened outside the workspace: '" << p << "'");
                    if (is_canary(fd->get(), t.canaries)) ++canary_reads;
                }
            } else {
                ++(fd.error().code == Errc::NotFound ? not_found : refused);
            }
            auto r = skill->read({{"path", p}});
            if (r.success && r.data["content"] == kCanaryContent) {
                ++skill_canary_reads;
                BOOST_ERROR("skill read a canary through '" << p << "'");
            }
            auto l = skill->list({{"path", p}});
            if (l.success) {
                for (const auto& e : l.data["entries"])
                    if (e["name"] == kCanaryName) ++list_escapes;
            }
        }
        std::cout << "resolver " << resolve_strategy_name(resolver->strategy()) << ": refused "
                  << refused << ", not found " << not_found << ", opened inside " << inside
                  << ", opened outside " << outside << "\n";
        std::cout << "canary reads outside the workspace = " << canary_reads + skill_canary_reads
                  << " (resolver " << canary_reads << ", skill read " << skill_canary_reads
                  << ", skill list " << list_escapes << ") [" << resolve_strategy_name(strategy)
                  << "]\n";
        BOOST_TEST(outside == 0u);
        BOOST_TEST(canary_reads == 0u);
        BOOST_TEST(skill_canary_reads == 0u);
        BOOST_TEST(list_escapes == 0u);
        BOOST_TEST(refused + not_found + inside == corpus.unique.size());
    }
}

BOOST_AUTO_TEST_CASE(benign_paths_inside_the_workspace_all_open) {
    CorpusTree t;
    for (auto strategy : cptest::resolve_strategies()) {
        auto resolver = Resolver::open_workspace(t.ws, strategy);
        BOOST_REQUIRE(resolver.ok());
        auto skill = FilesystemSkill::open(t.ws, nlohmann::json::object(), strategy);
        BOOST_REQUIRE(skill.ok());
        std::size_t refused = 0;
        for (const auto& b : t.benign) {
            auto fd = resolver->open(b, O_RDONLY);
            auto r = skill->read({{"path", b}});
            bool ok = fd.ok() && r.success && r.data["content"] == "benign " + b;
            if (!ok) {
                ++refused;
                BOOST_ERROR("benign path refused: '"
                            << b << "': " << (fd ? r.error.value_or("?") : fd.error().message));
            }
        }
        std::cout << "benign in-workspace paths: " << t.benign.size() << ", refused = " << refused
                  << " [" << resolve_strategy_name(resolver->strategy()) << "]\n";
        BOOST_TEST(refused == 0u);
    }
}
