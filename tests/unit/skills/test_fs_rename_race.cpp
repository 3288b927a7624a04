// The race the original lost: while the skill opens files through a directory d inside the
// workspace, another thread keeps swapping d with a symlink to / (renameat2 RENAME_EXCHANGE).
// A check of the path followed by an open would sometimes follow the symlink; the resolver
// must never. Each strategy gets 100,000 tries of read, and writes race the same swap.
#define BOOST_TEST_MODULE fs_rename_race
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>

#include "fs_operations.hpp"
#include "fs_test_support.hpp"

using namespace closedpaw;
using namespace closedpaw::fs_skill;

namespace {

constexpr std::size_t kReadTries = 100000;
constexpr std::size_t kWriteTries = 400;  // each write fsyncs a file and a directory
const std::string kInside = "inside";
const std::string kOutside = "OUTSIDE: the race was won by the attacker";

// ws/d/<outside dir without its leading '/'>/target.txt exists inside the workspace, and
// /<outside dir>/target.txt outside it: the same relative path reads one or the other
// depending on whether d is the real directory or the symlink to /.
struct RaceTree : cptest::TempTree {
    std::string rel_outside = outside.substr(1);
    std::string target = "d/" + rel_outside + "/target.txt";
    RaceTree() {
        cptest::plant(ws + "/d/" + rel_outside + "/target.txt", kInside);
        cptest::plant(outside + "/target.txt", kOutside);
        std::filesystem::create_directory_symlink("/", ws + "/s");
    }
};

// Swaps ws/d and ws/s until stopped; counts the swaps.
class Swapper {
  public:
    explicit Swapper(const std::string& ws)
        : dir_(::open(ws.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)), thread_([this] { run(); }) {}
    ~Swapper() { stop(); }
    std::size_t stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        return swaps_;
    }
    bool failed() const { return failed_; }
    // Waits for the next swap, so that a try starts in a fresh state with the swapper running.
    void await_swap() const {
        auto seen = swaps_.load();
        while (swaps_.load() == seen && !failed_) std::this_thread::yield();
    }

  private:
    void run() {
        while (!stop_) {
            if (::syscall(SYS_renameat2, dir_.get(), "d", dir_.get(), "s", RENAME_EXCHANGE) != 0) {
                failed_ = true;
                return;
            }
            ++swaps_;
        }
    }
    UniqueFd dir_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> failed_{false};
    std::atomic<std::size_t> swaps_{0};
    std::thread thread_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(swapping_a_directory_for_a_symlink_to_root_never_lets_a_read_escape) {
    for (auto strategy : cptest::resolve_strategies()) {
        RaceTree t;
        auto resolver = Resolver::open_workspace(t.ws, strategy);
        BOOST_REQUIRE(resolver.ok());
        std::size_t inside = 0, refused = 0, escapes = 0;
        auto start = std::chrono::steady_clock::now();
        Swapper swapper(t.ws);
        for (std::size_t i = 0; i < kReadTries; ++i) {
            auto fd = resolver->open(t.target, O_RDONLY);
            if (!fd) {
                ++refused;
                continue;
            }
            char buf[64];
            auto n = ::read(fd->get(), buf, sizeof buf);
            std::string got(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
            if (got == kInside)
                ++inside;
            else
                ++escapes;
        }
        auto swaps = swapper.stop();
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
        BOOST_REQUIRE(!swapper.failed());
        std::cout << "race [" << resolve_strategy_name(resolver->strategy())
                  << "] read: tries = " << kReadTries << ", escapes = " << escapes
                  << " (opened inside " << inside << ", refused " << refused << ", swaps " << swaps
                  << ", " << ms << " ms)\n";
        BOOST_TEST(escapes == 0u);
        // The race was real: both outcomes happened many times.
        BOOST_TEST(inside > 0u);
        BOOST_TEST(refused > 0u);
        BOOST_TEST(swaps > 1000u);
    }
}

BOOST_AUTO_TEST_CASE(swapping_a_directory_for_a_symlink_to_root_never_lets_a_write_escape) {
    for (auto strategy : cptest::resolve_strategies()) {
        RaceTree t;
        auto fs = FilesystemSkill::open(t.ws, nlohmann::json::object(), strategy);
        BOOST_REQUIRE(fs.ok());
        std::string target = "d/" + t.rel_outside + "/written.txt";
        std::size_t written = 0, refused = 0;
        std::map<std::string, std::size_t> reasons;
        Swapper swapper(t.ws);
        for (std::size_t i = 0; i < kWriteTries; ++i) {
            swapper.await_swap();
            auto r = fs->write({{"path", target}, {"content", "w"}});
            ++(r.success ? written : refused);
            if (!r.success) ++reasons[r.error.value_or("")];
            if (std::filesystem::exists(t.outside + "/written.txt")) break;
        }
        auto swaps = swapper.stop();
        bool escaped = std::filesystem::exists(t.outside + "/written.txt");
        std::size_t stray = 0;
        for (const auto& e : std::filesystem::directory_iterator(t.outside))
            stray += e.path().filename() != "target.txt";
        std::cout << "race [" << resolve_strategy_name(fs->resolver().strategy())
                  << "] write: tries = " << written + refused
                  << ", escapes = " << (escaped ? 1 : 0) + stray << " (written inside " << written
                  << ", refused " << refused << ", swaps " << swaps << ")\n";
        for (const auto& [why, n] : reasons) std::cout << "  refused " << n << "x: " << why << "\n";
        BOOST_TEST(!escaped);
        BOOST_TEST(stray == 0u);
        BOOST_TEST(cptest::slurp(t.outside + "/target.txt") == kOutside);
        BOOST_TEST(written > 0u);
        BOOST_TEST(refused > 0u);
    }
}
