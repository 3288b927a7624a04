// A real closedpaw-brokerd for integration tests: its own skill directory (with the attacker
// skill), workspaces, run directory and socket under a temp dir, started from the build tree
// with the source tree's policy files.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "daemons/broker/client/broker_client.hpp"
#include "process.hpp"

namespace brokertest {

// Exits 77 (meson SKIP) with the reason printed when root or runsc are missing.
void require_root_and_runsc();

struct HarnessOptions {
    std::string front_user = "root";
    std::vector<std::string> extra_config;  // more "key = value" lines
    std::vector<std::string> env;
    bool expect_runtime = true;  // skip (77) when the probe found no usable runtime
};

class BrokerHarness {
  public:
    explicit BrokerHarness(HarnessOptions options = {});
    ~BrokerHarness();

    // A client that has said hello.
    closedpaw::broker::BrokerClient client() const;
    closedpaw::broker::RunResult run(const std::string& op,
                                     nlohmann::json params = nlohmann::json::object(),
                                     const std::string& workspace = "w1",
                                     closedpaw::broker::LimitsRequest limits = {}) const;

    // Adds a skill directory made of the attacker binary with the given skill.toml text.
    void add_skill(const std::string& id, const std::string& manifest) const;
    // Starts again on the same directories (after stop() or kill9()).
    void restart();
    void kill9() { proc_.kill9(); }
    int stop() { return proc_.stop(); }

    pid_t pid() const { return proc_.pid(); }
    std::string log() const { return proc_.log(); }
    const std::string& dir() const { return dir_; }
    std::string socket() const { return dir_ + "/broker.sock"; }
    std::string bundles() const { return dir_ + "/run/bundles"; }
    std::string runsc_root() const { return dir_ + "/run/runsc"; }
    std::string workspaces() const { return dir_ + "/ws"; }
    std::string cgroup_parent() const { return cgroup_parent_; }

    // Leftovers: bundle directories, runsc containers in our --root, cgroup directories.
    std::vector<std::string> leftover_bundles() const;
    std::vector<std::string> leftover_containers() const;
    std::vector<std::string> leftover_cgroups() const;
    std::size_t open_fds() const;

  private:
    void start();
    HarnessOptions options_;
    std::string dir_;
    std::string cgroup_parent_;
    mutable cptest::Process proc_;
};

std::string attacker_manifest();
std::string build_path(const std::string& rel);

}  // namespace brokertest
