#include "broker_client.hpp"

#include <sys/socket.h>

namespace closedpaw::broker {

using nlohmann::json;

Result<BrokerClient> BrokerClient::connect(const std::string& socket_path) {
    auto fd = connect_seqpacket(socket_path);
    if (!fd) return std::move(fd).error();
    // Requests may be up to kMaxRequestBytes; a datagram must fit the send buffer.
    int sndbuf = static_cast<int>(kMaxRequestBytes) + 4096;
    ::setsockopt(fd->get(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    return BrokerClient(std::move(*fd));
}

Result<BrokerClient> BrokerClient::open(const std::string& socket_path) {
    auto client = connect(socket_path);
    if (!client) return std::move(client).error();
    auto h = client->hello();
    if (!h) return std::move(h).error();
    return client;
}

Result<void> BrokerClient::send(const Request& request) {
    std::string text = encode_request(request);
    if (text.size() > kMaxRequestBytes)
        return make_error(Errc::LimitExceeded, "request of " + std::to_string(text.size()) +
                                                   " bytes exceeds the broker's cap");
    return send_message(fd_.get(), text);
}

Result<json> BrokerClient::receive(std::chrono::milliseconds timeout) {
    auto msg = recv_message(fd_.get(), kMaxReplyBytes, timeout);
    if (!msg) return std::move(msg).error().prefix("broker");
    if (!*msg) return make_error(Errc::Protocol, "the broker closed the connection");
    auto j = parse_json_bounded(**msg, kMaxJsonDepth + 8);
    if (!j) return std::move(j).error().prefix("broker reply");
    if (!j->is_object() || j->value("v", 0) != kProtocolVersion || !j->contains("type"))
        return make_error(Errc::Protocol, "broker reply has no version or type");
    return j;
}

Result<json> BrokerClient::expect(std::string_view type, std::chrono::milliseconds timeout) {
    auto j = receive(timeout);
    if (!j) return j;
    const std::string got = j->value("type", "");
    if (got == "error") {
        return make_error(Errc::Protocol, "broker refused: " + j->value("error", std::string()) +
                                              ": " + j->value("message", std::string()));
    }
    if (got != type)
        return make_error(Errc::Protocol,
                          "expected a '" + std::string(type) + "' reply, got '" + got + "'");
    return j;
}

Result<HelloInfo> BrokerClient::hello() {
    CP_TRY(send(Request{Verb::Hello, {}, {}}));
    auto j = expect("hello", reply_timeout_);
    if (!j) return std::move(j).error();
    HelloInfo info;
    info.version = j->value("v", 0);
    info.broker_version = j->value("version", "");
    info.runtime = j->value("runtime", "");
    return info;
}

Result<RunResult> BrokerClient::run(const RunRequest& request,
                                    const std::function<void(const std::string&)>& on_started) {
    Request req{Verb::Run, request, {}};
    CP_TRY(send(req));
    // The time limit bounds the run; queueing may add to it, so wait generously.
    auto limit =
        std::chrono::milliseconds(request.limits.timeout_ms.value_or(kMaxSkillLimits.timeout_ms)) +
        reply_timeout_;
    for (;;) {
        auto j = receive(limit);
        if (!j) return std::move(j).error();
        const std::string type = j->value("type", "");
        if (type == "started") {
            if (on_started) on_started(j->value("run_id", ""));
            continue;
        }
        if (type == "result") return run_result_from_json(*j);
        if (type == "error")
            return make_error(Errc::Protocol,
                              "broker refused: " + j->value("message", std::string()));
        return make_error(Errc::Protocol, "unexpected '" + type + "' reply to run");
    }
}

Result<bool> BrokerClient::cancel(const std::string& run_id) {
    Request req{Verb::Cancel, {}, run_id};
    CP_TRY(send(req));
    auto j = expect("cancel", reply_timeout_);
    if (!j) return std::move(j).error();
    return j->value("found", false);
}

Result<BrokerStatus> BrokerClient::status() {
    CP_TRY(send(Request{Verb::Status, {}, {}}));
    auto j = expect("status", reply_timeout_);
    if (!j) return std::move(j).error();
    return status_from_json(*j);
}

Result<std::vector<SandboxInfo>> BrokerClient::list() {
    CP_TRY(send(Request{Verb::List, {}, {}}));
    auto j = expect("list", reply_timeout_);
    if (!j) return std::move(j).error();
    std::vector<SandboxInfo> out;
    auto it = j->find("sandboxes");
    if (it == j->end() || !it->is_array())
        return make_error(Errc::Protocol, "list reply has no 'sandboxes'");
    for (const auto& s : *it) {
        auto info = sandbox_info_from_json(s);
        if (!info) return std::move(info).error();
        out.push_back(std::move(*info));
    }
    return out;
}

}  // namespace closedpaw::broker
