// The whole stack for closedpawd's integration tests, started as users start it: a private
// system-like bus with the real policy files, a real closedpaw-brokerd (runsc) serving the
// staged skills, and closedpawd dropping to user closedpaw.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <functional>
#include <map>
#include <string>

#include "private_bus.hpp"
#include "process.hpp"

namespace fronttest {

using VariantMap = std::map<std::string, sdbus::Variant>;

struct FrontOptions {
    std::string policy_override;  // written to policy.d/50-test.toml
    bool start_broker = true;
};

class FrontHarness {
  public:
    explicit FrontHarness(FrontOptions options = {});
    ~FrontHarness();

    void start_broker();
    void stop_broker();
    void start_front();
    void stop_front();
    void kill9_front();
    pid_t front_pid() const { return front_.pid(); }

    std::string workspace() const { return dir_ + "/ws/default"; }
    std::string broker_socket() const { return dir_ + "/broker.sock"; }
    const std::string& dir() const { return dir_; }
    std::string state() const { return dir_ + "/state"; }
    std::string front_log() const { return front_.log(); }
    std::string broker_log() const { return broker_.log(); }
    // A file in the workspace, owned by the sandbox user like everything the skills write.
    void put_file(const std::string& name, const std::string& content) const;

  private:
    cptest::PrivateBus bus_;
    std::string dir_;
    std::string cgroup_parent_;
    cptest::Process broker_;
    cptest::Process front_;
};

// Exits 77 with the reason when root, the test users or runsc are missing.
void require_stack();

struct Submitted {
    std::string id, status, level;
};
Submitted submit(sdbus::IProxy& p, const std::string& type, const std::string& skill,
                 const VariantMap& params);
VariantMap get_action(sdbus::IProxy& p, const std::string& id);
std::string status_of(sdbus::IProxy& p, const std::string& id);
// "ok" or the D-Bus error name, on a fresh connection (use inside cptest::as_user too).
std::string front_call(const std::function<void(sdbus::IProxy&)>& call);
// Polls until the action leaves pending/approved/executing; returns its final status.
std::string wait_done(const std::string& id,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(20000));
void approve(sdbus::IProxy& p, const std::string& id, const std::string& digest);
std::string digest_of(const std::string& id);
std::tuple<bool, uint64_t, std::string> verify_audit();

}  // namespace fronttest
