// closedpawd benchmark: prints figures, asserts nothing.
//  - SubmitAction round trip for an action that stops at pending (policy gate + durable audit
//    and action store, fdatasync each), p50/p99, beside a trivial D-Bus round trip
//    (org.freedesktop.DBus.Peer.Ping answered by closedpawd itself) and the disk's own
//    fdatasync latency, all measured in this run.
//  - Sustained durable submissions per second with 1 and 4 clients (group commit).
//  - closedpawd RSS when idle.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "front_harness.hpp"

using Clock = std::chrono::steady_clock;
using namespace fronttest;

namespace {

double pct(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

long rss_kib(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(f, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

VariantMap pending_params(int i) {
    return {{"operation", sdbus::Variant(std::string("delete"))},
            {"path", sdbus::Variant("f" + std::to_string(i) + ".txt")}};
}

double fdatasync_us(const std::string& dir, int n) {
    std::string path = dir + "/fsync-probe";
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    std::vector<double> t;
    std::string line(300, 'x');
    for (int i = 0; i < n; ++i) {
        (void)!::write(fd, line.data(), line.size());
        auto t0 = Clock::now();
        ::fdatasync(fd);
        t.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    ::close(fd);
    ::unlink(path.c_str());
    return pct(t, 0.5);
}

}  // namespace

int main(int argc, char** argv) {
    int rounds = argc > 1 ? std::stoi(argv[1]) : 1000;
    FrontHarness h(
        {.policy_override =
             "[rate_limit]\nper_uid_per_minute = 10000000\nper_uid_burst = 1000000\n"
             "global_per_minute = 10000000\nglobal_burst = 1000000\nmax_pending_per_uid = 100000\n",
         .start_broker = false});
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    long idle_rss = rss_kib(h.front_pid());
    auto conn = sdbus::createSystemBusConnection();
    auto p = sdbus::createProxy(*conn, "org.closedpaw.ClosedPaw1", "/org/closedpaw/ClosedPaw1");
    for (int i = 0; i < 100; ++i) p->callMethod("Ping").onInterface("org.freedesktop.DBus.Peer");
    std::vector<double> ping, submit_t;
    for (int i = 0; i < rounds; ++i) {
        auto t0 = Clock::now();
        p->callMethod("Ping").onInterface("org.freedesktop.DBus.Peer");
        ping.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        t0 = Clock::now();
        submit(*p, "file_operation", "", pending_params(i));
        submit_t.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    double sync50 = fdatasync_us(h.state(), 200);

    auto throughput = [&](int clients, double seconds) {
        std::atomic<long> done{0};
        std::atomic<bool> stop{false};
        std::vector<std::thread> ts;
        for (int c = 0; c < clients; ++c)
            ts.emplace_back([&, c] {
                auto cn = sdbus::createSystemBusConnection();
                auto px = sdbus::createProxy(*cn, "org.closedpaw.ClosedPaw1",
                                             "/org/closedpaw/ClosedPaw1");
                for (int i = 0; !stop; ++i) {
                    submit(*px, "file_operation", "", pending_params(c * 1000000 + i));
                    ++done;
                }
            });
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
        stop = true;
        for (auto& t : ts) t.join();
        return static_cast<double>(done) / seconds;
    };
    double t1 = throughput(1, 3.0), t4 = throughput(4, 3.0), t16 = throughput(16, 3.0);

    double p50 = pct(ping, 0.5), s50 = pct(submit_t, 0.5);
    std::printf("closedpawd benchmark (%d interleaved rounds)\n", rounds);
    std::printf("  floor: Peer.Ping on closedpawd           p50 %8.1f us  p99 %8.1f us\n", p50,
                pct(ping, 0.99));
    std::printf("  disk: one fdatasync of an appended line  p50 %8.1f us\n", sync50);
    std::printf(
        "  SubmitAction -> pending (durable)        p50 %8.1f us  p99 %8.1f us  = %.1fx the bus "
        "floor, %.2fx (floor + 2 fdatasync)\n",
        s50, pct(submit_t, 0.99), s50 / p50, s50 / (p50 + 2 * sync50));
    std::printf(
        "  sustained durable submissions/s: 1 client %.0f, 4 clients %.0f, 16 clients %.0f\n", t1,
        t4, t16);
    std::printf("  closedpawd RSS idle: %.1f MB\n", static_cast<double>(idle_rss) / 1024.0);
    return 0;
}
