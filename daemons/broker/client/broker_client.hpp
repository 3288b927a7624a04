// BrokerClient: the one client of the broker's socket protocol (protocol.hpp). The front
// daemon and the tests use exactly this. One connection carries one run at a time; cancel a
// running run from a second connection with the run id passed to on_started.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/fd.hpp"
#include "common/result.hpp"
#include "common/unix_socket.hpp"
#include "daemons/broker/protocol.hpp"

namespace closedpaw::broker {

inline constexpr const char* kDefaultBrokerSocket = "/run/closedpaw/broker.sock";

class BrokerClient {
  public:
    // Connects; call hello() before anything else (the broker closes the connection otherwise).
    static Result<BrokerClient> connect(const std::string& socket_path = kDefaultBrokerSocket);
    // connect() followed by hello().
    static Result<BrokerClient> open(const std::string& socket_path = kDefaultBrokerSocket);

    Result<HelloInfo> hello();
    // Sends the run and waits for its result. A RunResult whose error is set is a broker-side
    // refusal or failure (unknown_skill, busy, no_runtime, ...); the Result itself fails only
    // when the connection or the protocol failed.
    Result<RunResult> run(const RunRequest& request,
                          const std::function<void(const std::string& run_id)>& on_started = {});
    // True when the run was found (queued or running) and is being cancelled.
    Result<bool> cancel(const std::string& run_id);
    Result<BrokerStatus> status();
    Result<std::vector<SandboxInfo>> list();

    int fd() const { return fd_.get(); }
    // How long to wait for any one reply; a run adds its own time limit on top.
    void set_reply_timeout(std::chrono::milliseconds t) { reply_timeout_ = t; }

  private:
    explicit BrokerClient(UniqueFd fd) : fd_(std::move(fd)) {}
    Result<void> send(const Request& request);
    Result<nlohmann::json> receive(std::chrono::milliseconds timeout);
    Result<nlohmann::json> expect(std::string_view type, std::chrono::milliseconds timeout);

    UniqueFd fd_;
    std::chrono::milliseconds reply_timeout_{30000};
};

}  // namespace closedpaw::broker
