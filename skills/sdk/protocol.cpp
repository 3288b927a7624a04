#include "protocol.hpp"

#include "common/json_nesting.hpp"

#include <algorithm>

namespace closedpaw::skill {

namespace {

std::size_t nesting_depth(std::string_view text) { return json_text_nesting(text); }

bool valid_operation(std::string_view op) {
    if (op.empty() || op.size() > 64 || op[0] < 'a' || op[0] > 'z') return false;
    return std::all_of(op.begin(), op.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

Error protocol_error(std::string message) {
    return make_error(Errc::Protocol, "bad request: " + std::move(message));
}

}  // namespace

Result<Request> parse_request(std::string_view text) {
    if (text.size() > kMaxRequestBytes)
        return make_error(Errc::LimitExceeded,
                          "request is larger than " + std::to_string(kMaxRequestBytes) + " bytes");
    if (nesting_depth(text) > kMaxRequestDepth)
        return protocol_error("JSON nested deeper than " + std::to_string(kMaxRequestDepth));
    auto doc = nlohmann::json::parse(text, nullptr, /* allow_exceptions= */ false);
    if (doc.is_discarded()) return protocol_error("not valid JSON");
    if (!doc.is_object()) return protocol_error("not a JSON object");
    for (const auto& [key, value] : doc.items()) {
        if (key != "operation" && key != "params" && key != "settings")
            return protocol_error("unknown key '" + key + "'");
    }
    Request req;
    auto op = doc.find("operation");
    if (op == doc.end() || !op->is_string()) return protocol_error("'operation' must be a string");
    req.operation = op->get<std::string>();
    if (!valid_operation(req.operation))
        return protocol_error("'operation' is not an operation name ([a-z][a-z0-9_]{0,63})");
    for (auto [key, target] : {std::pair{"params", &req.params}, {"settings", &req.settings}}) {
        auto it = doc.find(key);
        if (it == doc.end() || it->is_null()) continue;
        if (!it->is_object()) return protocol_error(std::string("'") + key + "' must be an object");
        *target = std::move(*it);
    }
    return req;
}

OperationResult OperationResult::ok(nlohmann::json data, std::optional<std::string> path,
                                    std::uint64_t bytes) {
    OperationResult r;
    r.success = true;
    r.data = std::move(data);
    r.path = path;
    r.audit.path = std::move(path);
    r.audit.bytes = bytes;
    r.audit.outcome = "ok";
    return r;
}

OperationResult OperationResult::refused(const Error& error, std::optional<std::string> path) {
    OperationResult r;
    r.success = false;
    r.error = error.message;
    r.path = path;
    r.audit.path = std::move(path);
    r.audit.outcome = "refused";
    r.audit.error_code = error.code;
    return r;
}

nlohmann::json OperationResult::to_json() const {
    auto audit_json = audit.extra.is_object() ? audit.extra : nlohmann::json::object();
    audit_json["operation"] = audit.operation;
    audit_json["path"] = audit.path ? nlohmann::json(*audit.path) : nlohmann::json(nullptr);
    audit_json["bytes"] = audit.bytes;
    audit_json["outcome"] = audit.outcome;
    if (audit.error_code) audit_json["error_code"] = errc_name(*audit.error_code);
    return nlohmann::json{
        {"success", success},
        {"data", data},
        {"error", error ? nlohmann::json(*error) : nlohmann::json(nullptr)},
        {"path", path ? nlohmann::json(*path) : nlohmann::json(nullptr)},
        {"audit", std::move(audit_json)},
    };
}

std::string OperationResult::serialize() const {
    return to_json().dump(-1, ' ', /* ensure_ascii= */ false,
                          nlohmann::json::error_handler_t::replace);
}

}  // namespace closedpaw::skill
