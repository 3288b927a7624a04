// End-to-end latency of a trivial skill operation through the broker's socket (attacker
// "echo": connect-free, one run per request on an open connection), beside the runtime's own
// floor, `runsc do /bin/true`, timed in the same process and interleaved with it so both see
// the same machine load. Then throughput with 2 and 4 concurrent clients. Prints figures; it
// is not a test and asserts nothing but that every run succeeded.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>
#include <vector>

#include "broker_harness.hpp"

using namespace closedpaw::broker;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kLatencySamples = 40;
constexpr int kThroughputRuns = 40;

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(idx, v.size() - 1)];
}

double runsc_do_true(const std::string& root) {
    auto t = Clock::now();
    auto r = cptest::run({"/usr/bin/runsc", "--root=" + root, "--platform=ptrace", "--network=none",
                          "do", "/bin/true"});
    double ms = ms_since(t);
    if (r.exit_code != 0) {
        std::cerr << "runsc do /bin/true failed: " << r.err << "\n";
        std::exit(1);
    }
    return ms;
}

RunRequest echo(int i) {
    RunRequest req;
    req.skill = "attacker";
    req.operation = "echo";
    req.params = {{"i", i}};
    req.workspace = "bench";
    return req;
}

void check(const closedpaw::Result<RunResult>& r) {
    if (!r || !r->ok() || !r->reply.is_object()) {
        std::cerr << "run failed: " << (r ? r->error + " " + r->message : r.error().message)
                  << "\n";
        std::exit(1);
    }
}

double throughput(brokertest::BrokerHarness& h, int clients) {
    std::atomic<int> next{0};
    auto t = Clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&] {
            auto client = h.client();
            for (int i = next++; i < kThroughputRuns; i = next++) check(client.run(echo(i)));
        });
    }
    for (auto& th : threads) th.join();
    return kThroughputRuns / (ms_since(t) / 1000.0);
}

}  // namespace

int main() {
    if (!cptest::is_root() || ::access("/usr/bin/runsc", X_OK) != 0) {
        std::cout << "bench_broker: needs root and /usr/bin/runsc; not run\n";
        return 77;
    }
    brokertest::HarnessOptions o;
    o.extra_config = {"max_concurrent = 4"};
    brokertest::BrokerHarness h(o);
    std::string do_root = h.dir() + "/runsc-do";
    std::filesystem::create_directories(do_root);

    auto client = h.client();
    check(client.run(echo(-1)));  // warm caches
    (void)runsc_do_true(do_root);
    std::vector<double> floor, e2e;
    for (int i = 0; i < kLatencySamples; ++i) {
        floor.push_back(runsc_do_true(do_root));
        auto t = Clock::now();
        check(client.run(echo(i)));
        e2e.push_back(ms_since(t));
    }
    const double f50 = percentile(floor, 0.5), f95 = percentile(floor, 0.95);
    const double e50 = percentile(e2e, 0.5), e95 = percentile(e2e, 0.95);
    std::printf("broker bench (%d samples each, interleaved, runsc --platform=ptrace)\n",
                kLatencySamples);
    std::printf("  floor  runsc do /bin/true      p50 %7.1f ms   p95 %7.1f ms\n", f50, f95);
    std::printf("  broker run attacker.echo       p50 %7.1f ms   p95 %7.1f ms\n", e50, e95);
    std::printf("  overhead over the floor        p50 %+7.1f ms  (target: within +30 ms: %s)\n",
                e50 - f50, e50 <= f50 + 30.0 ? "met" : "NOT met");
    for (int clients : {1, 2, 4}) {
        double rps = throughput(h, clients);
        std::printf("  throughput, %d client%s          %6.2f runs/s  (%d runs)\n", clients,
                    clients == 1 ? " " : "s", rps, kThroughputRuns);
    }
    return 0;
}
