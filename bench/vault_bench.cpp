// Vault benchmark: prints figures, asserts nothing (machines are noisy; compare the ratio).
//  - Retrieve round trip over D-Bus, p50/p99, beside the floor: org.freedesktop.DBus.Peer.Ping
//    answered by closedpaw-vaultd itself on the same bus, interleaved in the same run.
//  - Store with durability (fsync of file and directory) p50/p99.
//  - RSS of closedpaw-vaultd holding 1,000 secrets.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "vault_harness.hpp"

using Clock = std::chrono::steady_clock;

namespace {

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

long rss_kib(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

template <typename F>
double time_us(F&& f) {
    auto t0 = Clock::now();
    f();
    return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    int rounds = argc > 1 ? std::stoi(argv[1]) : 5000;
    cptest::VaultHarness vault;
    vault.start();
    auto conn = sdbus::createSystemBusConnection();
    auto p = vault.proxy(*conn);
    const char* iface = "org.closedpaw.Vault1";
    std::vector<uint8_t> secret(64, 'k');
    p->callMethod("Store").onInterface(iface).withArguments(std::string("bench-key"), secret,
                                                            std::string("standard"));

    std::vector<double> ping, retrieve;
    for (int i = 0; i < 200; ++i)
        p->callMethod("Ping").onInterface("org.freedesktop.DBus.Peer");  // warm up
    for (int i = 0; i < rounds; ++i) {
        ping.push_back(
            time_us([&] { p->callMethod("Ping").onInterface("org.freedesktop.DBus.Peer"); }));
        retrieve.push_back(time_us([&] {
            std::vector<uint8_t> v;
            p->callMethod("Retrieve")
                .onInterface(iface)
                .withArguments(std::string("bench-key"))
                .storeResultsTo(v);
        }));
    }
    std::vector<double> store;
    for (int i = 0; i < 1000; ++i) {
        std::string name = "secret-" + std::to_string(i);
        store.push_back(time_us([&] {
            p->callMethod("Store").onInterface(iface).withArguments(name, secret,
                                                                    std::string("standard"));
        }));
    }
    long rss = rss_kib(vault.pid());

    double ping50 = percentile(ping, 0.5), ping99 = percentile(ping, 0.99);
    double r50 = percentile(retrieve, 0.5), r99 = percentile(retrieve, 0.99);
    std::printf("vault benchmark (%d interleaved rounds)\n", rounds);
    std::printf("  floor: Peer.Ping on vaultd      p50 %7.1f us   p99 %7.1f us\n", ping50, ping99);
    std::printf(
        "  Retrieve (64-byte secret)       p50 %7.1f us   p99 %7.1f us   p50 ratio %.2fx floor\n",
        r50, r99, r50 / ping50);
    std::printf("  Store, durable (fsync), 1000x   p50 %7.1f us   p99 %7.1f us\n",
                percentile(store, 0.5), percentile(store, 0.99));
    std::printf("  closedpaw-vaultd RSS holding 1001 secrets: %.1f MB\n",
                static_cast<double>(rss) / 1024.0);
    return 0;
}
