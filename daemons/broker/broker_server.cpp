#include "broker_server.hpp"

#include <poll.h>
#include <sys/socket.h>

#include "common/log.hpp"

namespace closedpaw::broker {

using nlohmann::json;

BrokerServer::BrokerServer(const BrokerConfig& config, EventLoop& loop, SandboxManager& manager,
                           UniqueFd listener, uid_t front_uid)
    : config_(config),
      loop_(loop),
      manager_(manager),
      listener_(std::move(listener)),
      front_uid_(front_uid) {
    loop_.watch_fd(listener_.get(), POLLIN, [this](short) { accept_one(); });
}

BrokerServer::~BrokerServer() {
    loop_.unwatch_fd(listener_.get());
    for (auto& [id, c] : conns_) loop_.unwatch_fd(c.fd.get());
}

void BrokerServer::accept_one() {
    UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) return;
    // Authorize by the kernel's record of who connected, never by anything the peer says.
    auto peer = peer_credentials(fd.get());
    if (!peer) return;
    if (peer->uid != front_uid_ && peer->uid != 0) {
        log::warning("refused broker connection from a uid that is not the front daemon's",
                     {{"MESSAGE_ID", std::string(log::kSecurityEventId)},
                      {"PEER_UID", std::to_string(peer->uid)},
                      {"PEER_PID", std::to_string(peer->pid)}});
        return;
    }
    if (conns_.size() >= config_.max_connections) {
        log::warning("refused broker connection: too many connections",
                     {{"PEER_PID", std::to_string(peer->pid)}});
        return;
    }
    // A result (up to kMaxReplyBytes) is one datagram and must fit the send buffer.
    int sndbuf = static_cast<int>(kMaxReplyBytes) + 65536;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf);
    std::uint64_t id = next_id_++;
    int raw = fd.get();
    conns_[id] = Connection{id, std::move(fd), *peer, ConnState::AwaitHello, {}};
    loop_.watch_fd(raw, POLLIN, [this, id](short) { on_readable(id); });
}

void BrokerServer::close_connection(std::uint64_t id, const std::string& why, bool violation) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    Connection& c = it->second;
    if (violation) {
        log::warning("closed broker connection: " + why,
                     {{"MESSAGE_ID", std::string(log::kSecurityEventId)},
                      {"PEER_UID", std::to_string(c.peer.uid)},
                      {"PEER_PID", std::to_string(c.peer.pid)}});
    }
    loop_.unwatch_fd(c.fd.get());
    std::string run_id = c.state == ConnState::Running ? c.run_id : std::string();
    conns_.erase(it);
    // Nobody is left to receive this run's result: stop it rather than let it run on.
    if (!run_id.empty()) manager_.cancel(run_id);
}

bool BrokerServer::reply(Connection& c, const std::string& text) {
    if (auto r = send_message(c.fd.get(), text); !r) {
        close_connection(c.id, "cannot send reply: " + r.error().message, false);
        return false;
    }
    return true;
}

void BrokerServer::on_readable(std::uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    Connection& c = it->second;
    auto msg = recv_message(c.fd.get(), kMaxRequestBytes);
    if (!msg) {
        if (msg.error().sys_errno == EAGAIN) return;
        return close_connection(id, msg.error().message, true);
    }
    if (!*msg) return close_connection(id, "peer closed", false);
    // parse → validate (field checks in parse_request) → authorize (state) → act.
    auto req = parse_request(**msg);
    if (!req) return close_connection(id, "malformed message: " + req.error().message, true);
    const VerbRow* row = find_verb_row(req->verb);
    if (row == nullptr || !verb_allowed(*row, c.state))
        return close_connection(
            id, "verb '" + std::string(verb_name(req->verb)) + "' is not allowed in this state",
            true);
    (this->*(row->handler))(c, *req);
}

void BrokerServer::on_hello(Connection& c, const Request&) {
    c.state = ConnState::Ready;
    reply(c, encode_reply("hello", {{"version", CLOSEDPAW_VERSION},
                                    {"runtime", manager_.runtime_name()},
                                    {"max_request_bytes", kMaxRequestBytes},
                                    {"max_reply_bytes", kMaxReplyBytes}}));
}

void BrokerServer::on_run(Connection& c, const Request& r) {
    c.state = ConnState::Running;
    const std::uint64_t id = c.id;
    auto started = [this, id](const std::string& run_id) {
        auto it = conns_.find(id);
        if (it == conns_.end()) return;
        it->second.run_id = run_id;
        reply(it->second, encode_reply("started", {{"run_id", run_id}}));
    };
    auto done = [this, id, skill = r.run.skill, op = r.run.operation](const RunResult& result) {
        log::info("run " + (result.run_id.empty() ? std::string("(refused)") : result.run_id) +
                      " of " + skill + "." + op + ": " +
                      (result.ok() ? "exit " + std::to_string(result.exit_code) +
                                         (result.timed_out ? " timed out" : "")
                                   : result.error + ": " + result.message),
                  {{"SKILL", skill}, {"OPERATION", op}});
        auto it = conns_.find(id);
        if (it == conns_.end()) return;
        it->second.state = ConnState::Ready;
        it->second.run_id.clear();
        std::string text = encode_reply("result", to_json(result));
        if (text.size() > kMaxReplyBytes) {
            RunResult cut = result;
            cut.reply = nullptr;
            cut.reply_error = "reply too large for the protocol";
            text = encode_reply("result", to_json(cut));
        }
        reply(it->second, text);
    };
    std::string run_id = manager_.submit(r.run, started, done);
    // done may already have run (a refusal, or a sandbox that failed at once).
    auto it = conns_.find(id);
    if (it != conns_.end() && it->second.state == ConnState::Running) it->second.run_id = run_id;
}

void BrokerServer::on_cancel(Connection& c, const Request& r) {
    const std::uint64_t id = c.id;
    bool found = manager_.cancel(r.run_id);  // may reply to (or close) other connections
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    reply(it->second, encode_reply("cancel", {{"run_id", r.run_id}, {"found", found}}));
}

void BrokerServer::on_list(Connection& c, const Request&) {
    json list = json::array();
    for (const auto& s : manager_.list()) list.push_back(to_json(s));
    reply(c, encode_reply("list", {{"sandboxes", list}}));
}

void BrokerServer::on_status(Connection& c, const Request&) {
    reply(c, encode_reply("status", to_json(manager_.status())));
}

}  // namespace closedpaw::broker
