// The broker's socket: accepts connections from the front daemon's uid (or root), reads one
// size-capped message at a time and dispatches it through the verb table (verb_table.cpp).
// Anything malformed, unknown or out of order closes that connection; others carry on.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include "broker_config.hpp"
#include "common/event_loop.hpp"
#include "common/fd.hpp"
#include "common/unix_socket.hpp"
#include "protocol.hpp"
#include "sandbox_manager.hpp"

namespace closedpaw::broker {

enum class ConnState : unsigned { AwaitHello = 1, Ready = 2, Running = 4 };

class BrokerServer {
  public:
    BrokerServer(const BrokerConfig& config, EventLoop& loop, SandboxManager& manager,
                 UniqueFd listener, uid_t front_uid);
    ~BrokerServer();

    struct Connection {
        std::uint64_t id = 0;
        UniqueFd fd;
        PeerCred peer;
        ConnState state = ConnState::AwaitHello;
        std::string run_id;  // while Running
    };

    // Verb handlers (one per row of the table).
    void on_hello(Connection& c, const Request& r);
    void on_run(Connection& c, const Request& r);
    void on_cancel(Connection& c, const Request& r);
    void on_list(Connection& c, const Request& r);
    void on_status(Connection& c, const Request& r);

    std::size_t connection_count() const { return conns_.size(); }

  private:
    void accept_one();
    void on_readable(std::uint64_t id);
    void close_connection(std::uint64_t id, const std::string& why, bool violation);
    bool reply(Connection& c, const std::string& text);

    const BrokerConfig& config_;
    EventLoop& loop_;
    SandboxManager& manager_;
    UniqueFd listener_;
    uid_t front_uid_;
    std::map<std::uint64_t, Connection> conns_;
    std::uint64_t next_id_ = 1;
};

// The verb table: for each verb, the states it is allowed in and its handler.
struct VerbRow {
    Verb verb;
    unsigned allowed_states;  // bitmask of ConnState
    void (BrokerServer::*handler)(BrokerServer::Connection&, const Request&);
};
const VerbRow* find_verb_row(Verb verb);
bool verb_allowed(const VerbRow& row, ConnState state);

}  // namespace closedpaw::broker
