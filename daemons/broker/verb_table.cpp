// The whole attack surface of the broker's socket, one row per verb.
#include "broker_server.hpp"

namespace closedpaw::broker {

namespace {

constexpr unsigned operator|(ConnState a, ConnState b) {
    return static_cast<unsigned>(a) | static_cast<unsigned>(b);
}
constexpr unsigned only(ConnState a) {
    return static_cast<unsigned>(a);
}

// hello opens a session; run is one at a time per connection; cancel, list and status
// may be asked while this connection's run is in progress (cancel is how another
// connection stops a run, using the run id from "started").
constexpr VerbRow kVerbTable[] = {
    {Verb::Hello, only(ConnState::AwaitHello), &BrokerServer::on_hello},
    {Verb::Run, only(ConnState::Ready), &BrokerServer::on_run},
    {Verb::Cancel, ConnState::Ready | ConnState::Running, &BrokerServer::on_cancel},
    {Verb::List, ConnState::Ready | ConnState::Running, &BrokerServer::on_list},
    {Verb::Status, ConnState::Ready | ConnState::Running, &BrokerServer::on_status},
};

}  // namespace

const VerbRow* find_verb_row(Verb verb) {
    for (const auto& row : kVerbTable)
        if (row.verb == verb) return &row;
    return nullptr;
}

bool verb_allowed(const VerbRow& row, ConnState state) {
    return (row.allowed_states & static_cast<unsigned>(state)) != 0;
}

}  // namespace closedpaw::broker
