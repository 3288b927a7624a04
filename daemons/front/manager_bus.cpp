#include "manager_bus.hpp"

namespace closedpaw::front {

namespace {

using VariantMap = std::map<std::string, sdbus::Variant>;

struct Budget {
    std::size_t bytes_left;
    std::size_t max_string;
    int max_depth;
};

Result<nlohmann::json> to_json(const sdbus::Variant& v, Budget& b, int depth);

Result<void> spend(Budget& b, std::size_t n) {
    if (n > b.bytes_left)
        return make_error(Errc::LimitExceeded, "the parameters are larger than the policy allows");
    b.bytes_left -= n;
    return {};
}

Result<nlohmann::json> map_to_json(const VariantMap& m, Budget& b, int depth) {
    if (depth > b.max_depth)
        return make_error(Errc::LimitExceeded, "the parameters are nested too deeply");
    auto obj = nlohmann::json::object();
    for (const auto& [k, v] : m) {
        if (k.empty() || k.size() > 128)
            return make_error(Errc::InvalidArgument, "parameter names are 1 to 128 characters");
        CP_TRY(spend(b, k.size()));
        auto j = to_json(v, b, depth + 1);
        if (!j) return j;
        obj[k] = std::move(*j);
    }
    return obj;
}

Result<nlohmann::json> to_json(const sdbus::Variant& v, Budget& b, int depth) {
    const std::string sig = v.peekValueType();
    try {
        if (sig == "s") {
            auto s = v.get<std::string>();
            if (s.size() > b.max_string)
                return make_error(Errc::LimitExceeded,
                                  "a parameter string is longer than the policy allows");
            CP_TRY(spend(b, s.size()));
            // JSON needs valid UTF-8; the bus guarantees it for strings.
            return nlohmann::json(std::move(s));
        }
        CP_TRY(spend(b, 8));
        if (sig == "b") return nlohmann::json(v.get<bool>());
        if (sig == "y") return nlohmann::json(v.get<uint8_t>());
        if (sig == "n") return nlohmann::json(v.get<int16_t>());
        if (sig == "q") return nlohmann::json(v.get<uint16_t>());
        if (sig == "i") return nlohmann::json(v.get<int32_t>());
        if (sig == "u") return nlohmann::json(v.get<uint32_t>());
        if (sig == "x") return nlohmann::json(v.get<int64_t>());
        if (sig == "t") return nlohmann::json(v.get<uint64_t>());
        if (sig == "d") return nlohmann::json(v.get<double>());
        if (sig == "as") {
            auto arr = nlohmann::json::array();
            for (auto& s : v.get<std::vector<std::string>>()) {
                if (s.size() > b.max_string)
                    return make_error(Errc::LimitExceeded, "a parameter string is too long");
                CP_TRY(spend(b, s.size()));
                arr.push_back(std::move(s));
            }
            return arr;
        }
        if (sig == "a{sv}") return map_to_json(v.get<VariantMap>(), b, depth);
        if (sig == "av") {
            if (depth > b.max_depth)
                return make_error(Errc::LimitExceeded, "the parameters are nested too deeply");
            auto arr = nlohmann::json::array();
            for (const auto& e : v.get<std::vector<sdbus::Variant>>()) {
                auto j = to_json(e, b, depth + 1);
                if (!j) return j;
                arr.push_back(std::move(*j));
            }
            return arr;
        }
    } catch (const sdbus::Error& e) {
        return make_error(Errc::InvalidArgument,
                          "a parameter could not be read: " + e.getMessage());
    }
    return make_error(Errc::InvalidArgument,
                      "parameters of D-Bus type '" + sig +
                          "' are not accepted (use s, b, integers, d, as, av or a{sv})");
}

}  // namespace

Result<nlohmann::json> parameters_to_json(const VariantMap& params, const Policy& policy) {
    Budget b{policy.max_parameter_bytes, policy.max_string_bytes, policy.max_parameter_depth};
    return map_to_json(params, b, 1);
}

std::map<std::string, sdbus::Variant> action_to_bus(const Action& a) {
    auto dump = [](const nlohmann::json& j) {
        return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    };
    VariantMap m = {
        {"id", sdbus::Variant(a.id)},
        {"type", sdbus::Variant(a.type_name)},
        {"skill", sdbus::Variant(a.skill)},
        {"operation", sdbus::Variant(a.operation)},
        {"params", sdbus::Variant(dump(a.params))},
        {"digest", sdbus::Variant(a.digest)},
        {"level", sdbus::Variant(std::string(risk_level_name(a.level)))},
        {"level_reason", sdbus::Variant(a.level_reason)},
        {"status", sdbus::Variant(std::string(status_name(a.status)))},
        {"submitter_uid", sdbus::Variant(static_cast<uint32_t>(a.submitter_uid))},
        {"channel_user", sdbus::Variant(a.channel_user)},
        {"created_usec", sdbus::Variant(a.created_usec)},
        {"updated_usec", sdbus::Variant(a.updated_usec)},
        {"expires_usec", sdbus::Variant(a.expires_usec)},
        {"reason", sdbus::Variant(a.reason)},
        {"result", sdbus::Variant(a.result.is_null() ? std::string() : dump(a.result))}};
    if (a.decided_by) m["decided_by"] = sdbus::Variant(static_cast<uint32_t>(*a.decided_by));
    return m;
}

ManagerBus::ManagerBus(sdbus::IConnection& bus, ActionManager& manager)
    : AdaptorInterfaces(bus, kObjectPath), manager_(manager), callers_(bus) {
    manager_.on_action_changed([this](const Action& a) {
        emitActionChanged(a.id, std::string(status_name(a.status)),
                          std::string(risk_level_name(a.level)));
        auto pending = manager_.pending_count();
        if (pending != last_pending_) {
            last_pending_ = pending;
            emitPropertiesChangedSignal(org::closedpaw::ClosedPaw1::Manager_adaptor::INTERFACE_NAME,
                                        {"PendingCount"});
        }
    });
    manager_.on_notice([this](const Action& a, const std::string& summary) {
        emitActionNotice(a.id, std::string(risk_level_name(a.level)), summary);
    });
    last_pending_ = manager_.pending_count();
    registerAdaptor();
}

ManagerBus::~ManagerBus() {
    manager_.on_action_changed(nullptr);
    manager_.on_notice(nullptr);
    unregisterAdaptor();
}

void ManagerBus::set_runtime(std::string runtime) {
    runtime_ = std::move(runtime);
}

Result<BusCaller> ManagerBus::caller() {
    const auto* msg = getObject().getCurrentlyProcessedMessage();
    if (msg == nullptr) return make_error(Errc::AccessDenied, "no caller");
    return callers_.resolve(*msg);
}

void ManagerBus::SubmitAction(sdbus::Result<std::string, std::string, std::string>&& result,
                              std::string action_type, std::string skill_id,
                              VariantMap parameters) {
    auto c = caller();
    if (!c) return result.returnError(to_bus_error(c.error()));
    auto params = parameters_to_json(parameters, manager_.policy());
    if (!params) return result.returnError(to_bus_error(params.error()));
    auto reply =
        std::make_shared<sdbus::Result<std::string, std::string, std::string>>(std::move(result));
    manager_.submit(*c, action_type, skill_id, std::move(*params), [reply](Result<Action> r) {
        if (!r) return reply->returnError(to_bus_error(r.error()));
        reply->returnResults(r->id, std::string(status_name(r->status)),
                             std::string(risk_level_name(r->level)));
    });
}

void ManagerBus::ApproveAction(sdbus::Result<>&& result, std::string id, std::string digest) {
    auto c = caller();
    if (!c) return result.returnError(to_bus_error(c.error()));
    auto reply = std::make_shared<sdbus::Result<>>(std::move(result));
    manager_.approve(*c, id, digest, [reply](Result<void> r) {
        if (!r) return reply->returnError(to_bus_error(r.error()));
        reply->returnResults();
    });
}

void ManagerBus::RejectAction(sdbus::Result<>&& result, std::string id, std::string reason) {
    auto c = caller();
    if (!c) return result.returnError(to_bus_error(c.error()));
    auto reply = std::make_shared<sdbus::Result<>>(std::move(result));
    manager_.reject(*c, id, reason, [reply](Result<void> r) {
        if (!r) return reply->returnError(to_bus_error(r.error()));
        reply->returnResults();
    });
}

VariantMap ManagerBus::GetAction(const std::string& id) {
    auto c = caller();
    if (!c) throw to_bus_error(c.error());
    auto a = manager_.get(*c, id);
    if (!a) throw to_bus_error(a.error());
    return action_to_bus(*a);
}

std::vector<VariantMap> ManagerBus::ListActions(const std::string& status_filter) {
    auto c = caller();
    if (!c) throw to_bus_error(c.error());
    auto list = manager_.list(*c, status_filter);
    if (!list) throw to_bus_error(list.error());
    std::vector<VariantMap> out;
    for (const auto& a : *list) out.push_back(action_to_bus(a));
    return out;
}

std::vector<VariantMap> ManagerBus::ListSkills() {
    auto c = caller();
    if (!c) throw to_bus_error(c.error());
    std::vector<VariantMap> out;
    for (const auto& s : manager_.skills().skills()) {
        VariantMap ops;
        for (const auto& [name, op] : s.operations)
            ops[name] = sdbus::Variant(std::string(risk_level_name(op.level)) +
                                       (op.writes ? ",writes" : ""));
        out.push_back(
            {{"id", sdbus::Variant(s.id)},
             {"name", sdbus::Variant(s.name)},
             {"version", sdbus::Variant(s.version)},
             {"description", sdbus::Variant(s.description)},
             {"enabled", sdbus::Variant(manager_.skills().enabled(s))},
             {"workspace", sdbus::Variant(std::string(workspace_access_name(s.workspace)))},
             {"operations", sdbus::Variant(ops)}});
    }
    return out;
}

void ManagerBus::SetSkillEnabled(sdbus::Result<>&& result, std::string id, bool enabled) {
    auto c = caller();
    if (!c) return result.returnError(to_bus_error(c.error()));
    auto reply = std::make_shared<sdbus::Result<>>(std::move(result));
    manager_.set_skill_enabled(*c, id, enabled, [reply](Result<void> r) {
        if (!r) return reply->returnError(to_bus_error(r.error()));
        reply->returnResults();
    });
}

std::vector<VariantMap> ManagerBus::GetAuditLog(const uint64_t& after_seq, const uint32_t& limit) {
    auto c = caller();
    if (!c) throw to_bus_error(c.error());
    auto entries = manager_.audit_entries(*c, after_seq, limit);
    if (!entries) throw to_bus_error(entries.error());
    std::vector<VariantMap> out;
    for (const auto& e : *entries) {
        VariantMap m;
        for (auto it = e.begin(); it != e.end(); ++it) {
            if (it->is_string())
                m[it.key()] = sdbus::Variant(it->get<std::string>());
            else if (it->is_number_unsigned())
                m[it.key()] = sdbus::Variant(it->get<uint64_t>());
            else
                m[it.key()] = sdbus::Variant(
                    it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        }
        out.push_back(std::move(m));
    }
    return out;
}

std::tuple<bool, uint64_t, std::string> ManagerBus::VerifyAuditLog() {
    auto c = caller();
    if (!c) throw to_bus_error(c.error());
    auto v = manager_.verify_audit(*c);
    if (!v) throw to_bus_error(v.error());
    return {v->ok, v->entries, v->detail};
}

std::string ManagerBus::Version() {
    return CLOSEDPAW_VERSION;
}
std::string ManagerBus::SandboxRuntime() {
    return runtime_;
}
uint32_t ManagerBus::PendingCount() {
    return manager_.pending_count();
}

}  // namespace closedpaw::front
