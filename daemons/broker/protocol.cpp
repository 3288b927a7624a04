#include "protocol.hpp"

#include "common/json_nesting.hpp"

#include <algorithm>
#include <limits>

namespace closedpaw::broker {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxIdLength = 64;

Error malformed(const std::string& what) {
    return make_error(Errc::Protocol, what);
}

// Exactly these keys (beyond "v" and "verb"), no others.
Result<void> only_keys(const json& j, std::initializer_list<std::string_view> allowed) {
    for (const auto& [key, value] : j.items()) {
        if (key == "v" || key == "verb") continue;
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
            return malformed("unknown key '" + key + "'");
    }
    return {};
}

Result<std::string> string_field(const json& j, const char* key, std::size_t max_len,
                                 bool required) {
    auto it = j.find(key);
    if (it == j.end()) {
        if (required) return malformed(std::string("missing '") + key + "'");
        return std::string();
    }
    if (!it->is_string()) return malformed(std::string("'") + key + "' must be a string");
    const auto& s = it->get_ref<const std::string&>();
    if (s.size() > max_len) return malformed(std::string("'") + key + "' is too long");
    return s;
}

template <typename T>
Result<std::optional<T>> limit_field(const json& j, const char* key, std::uint64_t max) {
    auto it = j.find(key);
    if (it == j.end()) return std::optional<T>{};
    if (!it->is_number_unsigned())
        return malformed(std::string("limit '") + key + "' must be a positive integer");
    auto v = it->get<std::uint64_t>();
    if (v == 0 || v > max) return malformed(std::string("limit '") + key + "' is out of range");
    return std::optional<T>{static_cast<T>(v)};
}

Result<LimitsRequest> parse_limits(const json& j) {
    if (!j.is_object()) return malformed("'limits' must be an object");
    CP_TRY(only_keys(j, {"memory_mb", "pids", "cpu_percent", "timeout_ms", "output_kb"}));
    LimitsRequest l;
    auto mem = limit_field<std::uint64_t>(j, "memory_mb", kMaxSkillLimits.memory_bytes >> 20);
    if (!mem) return std::move(mem).error();
    l.memory_mb = *mem;
    auto pids = limit_field<std::uint32_t>(j, "pids", kMaxSkillLimits.pids);
    if (!pids) return std::move(pids).error();
    l.pids = *pids;
    auto cpu = limit_field<std::uint32_t>(j, "cpu_percent", kMaxSkillLimits.cpu_percent);
    if (!cpu) return std::move(cpu).error();
    l.cpu_percent = *cpu;
    auto t = limit_field<std::uint32_t>(j, "timeout_ms", kMaxSkillLimits.timeout_ms);
    if (!t) return std::move(t).error();
    l.timeout_ms = *t;
    auto out = limit_field<std::uint64_t>(j, "output_kb", kMaxSkillLimits.output_bytes >> 10);
    if (!out) return std::move(out).error();
    l.output_kb = *out;
    return l;
}

json limits_to_json(const LimitsRequest& l) {
    json j = json::object();
    if (l.memory_mb) j["memory_mb"] = *l.memory_mb;
    if (l.pids) j["pids"] = *l.pids;
    if (l.cpu_percent) j["cpu_percent"] = *l.cpu_percent;
    if (l.timeout_ms) j["timeout_ms"] = *l.timeout_ms;
    if (l.output_kb) j["output_kb"] = *l.output_kb;
    return j;
}

bool id_chars(std::string_view id, std::size_t max) {
    if (id.empty() || id.size() > max) return false;
    auto lower_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!lower_digit(id[0])) return false;
    return std::all_of(id.begin(), id.end(),
                       [&](char c) { return lower_digit(c) || c == '_' || c == '-'; });
}

// Typed getters for replies (the client trusts the broker, but still refuses surprises).
template <typename T>
Result<T> get(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end()) return malformed(std::string("reply lacks '") + key + "'");
    try {
        return it->get<T>();
    } catch (const json::exception&) {
        return malformed(std::string("reply field '") + key + "' has the wrong type");
    }
}

}  // namespace

std::optional<Verb> parse_verb(std::string_view name) {
    if (name == "hello") return Verb::Hello;
    if (name == "run") return Verb::Run;
    if (name == "cancel") return Verb::Cancel;
    if (name == "list") return Verb::List;
    if (name == "status") return Verb::Status;
    return std::nullopt;
}

std::string_view verb_name(Verb verb) {
    switch (verb) {
        case Verb::Hello:
            return "hello";
        case Verb::Run:
            return "run";
        case Verb::Cancel:
            return "cancel";
        case Verb::List:
            return "list";
        case Verb::Status:
            return "status";
    }
    return "?";
}

SkillLimits LimitsRequest::apply_to(const SkillLimits& manifest) const {
    SkillLimits asked = kMaxSkillLimits;
    if (memory_mb) asked.memory_bytes = *memory_mb << 20;
    if (pids) asked.pids = *pids;
    if (cpu_percent) asked.cpu_percent = *cpu_percent;
    if (timeout_ms) asked.timeout_ms = *timeout_ms;
    if (output_kb) asked.output_bytes = *output_kb << 10;
    return manifest.tightened_by(asked);
}

bool valid_workspace_id(std::string_view id) {
    return id_chars(id, kMaxIdLength);
}
bool valid_run_id(std::string_view id) {
    return id_chars(id, kMaxIdLength);
}

std::size_t json_depth(const json& j) {
    if (!j.is_structured()) return 0;
    std::size_t deepest = 0;
    for (const auto& child : j) deepest = std::max(deepest, json_depth(child));
    return deepest + 1;
}

Result<json> parse_json_bounded(std::string_view text, std::size_t max_depth) {
    // Scan nesting first, so no parser or destructor ever recurses through hostile depth.
    if (json_text_nesting(text, max_depth) > max_depth) return malformed("JSON nested deeper than allowed");
    json j = json::parse(text, nullptr, /* allow_exceptions= */ false);
    if (j.is_discarded()) return malformed("not valid JSON");
    return j;
}

Result<Request> parse_request(std::string_view text) {
    auto parsed = parse_json_bounded(text, kMaxJsonDepth);
    if (!parsed) return std::move(parsed).error();
    const json& j = *parsed;
    if (!j.is_object()) return malformed("a message must be a JSON object");
    auto v = j.find("v");
    if (v == j.end() || !v->is_number_integer() || v->get<long long>() != kProtocolVersion)
        return malformed("unsupported or missing protocol version");
    auto verb_it = j.find("verb");
    if (verb_it == j.end() || !verb_it->is_string()) return malformed("missing 'verb'");
    auto verb = parse_verb(verb_it->get_ref<const std::string&>());
    if (!verb) return malformed("unknown verb");

    Request req;
    req.verb = *verb;
    switch (*verb) {
        case Verb::Hello:
        case Verb::List:
        case Verb::Status:
            CP_TRY(only_keys(j, {}));
            break;
        case Verb::Cancel: {
            CP_TRY(only_keys(j, {"run_id"}));
            auto id = string_field(j, "run_id", kMaxIdLength, true);
            if (!id) return std::move(id).error();
            if (!valid_run_id(*id)) return malformed("'run_id' is not a run id");
            req.run_id = *id;
            break;
        }
        case Verb::Run: {
            CP_TRY(only_keys(j, {"skill", "operation", "params", "workspace", "limits"}));
            auto skill = string_field(j, "skill", kMaxIdLength, true);
            if (!skill) return std::move(skill).error();
            if (!valid_skill_id(*skill)) return malformed("'skill' is not a skill id");
            auto op = string_field(j, "operation", kMaxIdLength, true);
            if (!op) return std::move(op).error();
            if (!valid_operation_name(*op))
                return malformed("'operation' is not an operation name");
            auto ws = string_field(j, "workspace", kMaxIdLength, false);
            if (!ws) return std::move(ws).error();
            if (!ws->empty() && !valid_workspace_id(*ws))
                return malformed("'workspace' is not a workspace id");
            req.run.skill = *skill;
            req.run.operation = *op;
            req.run.workspace = *ws;
            if (auto p = j.find("params"); p != j.end()) {
                if (!p->is_object()) return malformed("'params' must be an object");
                req.run.params = *p;
            }
            if (auto l = j.find("limits"); l != j.end()) {
                auto limits = parse_limits(*l);
                if (!limits) return std::move(limits).error();
                req.run.limits = *limits;
            }
            break;
        }
    }
    return req;
}

std::string encode_request(const Request& request) {
    json j{{"v", kProtocolVersion}, {"verb", std::string(verb_name(request.verb))}};
    if (request.verb == Verb::Cancel) j["run_id"] = request.run_id;
    if (request.verb == Verb::Run) {
        j["skill"] = request.run.skill;
        j["operation"] = request.run.operation;
        // A default-constructed json is null; the protocol's params are always an object.
        j["params"] = request.run.params.is_null() ? json::object() : request.run.params;
        if (!request.run.workspace.empty()) j["workspace"] = request.run.workspace;
        json limits = limits_to_json(request.run.limits);
        if (!limits.empty()) j["limits"] = limits;
    }
    return j.dump();
}

json to_json(const RunResult& r) {
    json j{{"run_id", r.run_id},
           {"runtime", r.runtime},
           {"exit_code", r.exit_code},
           {"signal", r.signal},
           {"timed_out", r.timed_out},
           {"cancelled", r.cancelled},
           {"duration_ms", r.duration_ms},
           {"reply", r.reply},
           {"stdout_truncated", r.stdout_truncated},
           {"stderr_tail", r.stderr_tail}};
    j["error"] = r.error.empty() ? json(nullptr) : json(r.error);
    j["message"] = r.message;
    j["reply_error"] = r.reply_error.empty() ? json(nullptr) : json(r.reply_error);
    if (r.resources) {
        j["resources"] = {{"cpu_user_ms", r.resources->cpu_user_ms},
                          {"cpu_system_ms", r.resources->cpu_system_ms},
                          {"max_rss_kb", r.resources->max_rss_kb}};
    } else {
        j["resources"] = nullptr;
    }
    return j;
}

json to_json(const SandboxInfo& s) {
    return {{"run_id", s.run_id},
            {"skill", s.skill},
            {"operation", s.operation},
            {"state", s.state},
            {"age_ms", s.age_ms}};
}

json to_json(const BrokerStatus& s) {
    return {{"version", s.version},
            {"runtime", s.runtime},
            {"runtime_detail", s.runtime_detail},
            {"running", s.running},
            {"queued", s.queued},
            {"max_concurrent", s.max_concurrent},
            {"max_queued", s.max_queued},
            {"runs_total", s.runs_total}};
}

Result<RunResult> run_result_from_json(const json& j) {
    if (!j.is_object()) return malformed("a result must be an object");
    RunResult r;
    try {
        r.run_id = j.value("run_id", "");
        r.runtime = j.value("runtime", "");
        r.exit_code = j.value("exit_code", -1);
        r.signal = j.value("signal", 0);
        r.timed_out = j.value("timed_out", false);
        r.cancelled = j.value("cancelled", false);
        r.duration_ms = j.value("duration_ms", std::uint64_t{0});
        r.stdout_truncated = j.value("stdout_truncated", false);
        r.stderr_tail = j.value("stderr_tail", "");
        r.message = j.value("message", "");
        if (auto e = j.find("error"); e != j.end() && e->is_string()) r.error = *e;
        if (auto e = j.find("reply_error"); e != j.end() && e->is_string()) r.reply_error = *e;
        if (auto rep = j.find("reply"); rep != j.end()) r.reply = *rep;
        if (auto res = j.find("resources"); res != j.end() && res->is_object()) {
            Resources x;
            x.cpu_user_ms = res->value("cpu_user_ms", std::uint64_t{0});
            x.cpu_system_ms = res->value("cpu_system_ms", std::uint64_t{0});
            x.max_rss_kb = res->value("max_rss_kb", std::uint64_t{0});
            r.resources = x;
        }
    } catch (const json::exception& e) {
        return malformed(std::string("result has a field of the wrong type: ") + e.what());
    }
    return r;
}

Result<SandboxInfo> sandbox_info_from_json(const json& j) {
    SandboxInfo s;
    auto id = get<std::string>(j, "run_id");
    if (!id) return std::move(id).error();
    s.run_id = *id;
    auto skill = get<std::string>(j, "skill");
    if (!skill) return std::move(skill).error();
    s.skill = *skill;
    auto op = get<std::string>(j, "operation");
    if (!op) return std::move(op).error();
    s.operation = *op;
    auto state = get<std::string>(j, "state");
    if (!state) return std::move(state).error();
    s.state = *state;
    auto age = get<std::uint64_t>(j, "age_ms");
    if (!age) return std::move(age).error();
    s.age_ms = *age;
    return s;
}

Result<BrokerStatus> status_from_json(const json& j) {
    BrokerStatus s;
    try {
        s.version = j.at("version").get<std::string>();
        s.runtime = j.at("runtime").get<std::string>();
        s.runtime_detail = j.at("runtime_detail").get<std::string>();
        s.running = j.at("running").get<std::uint32_t>();
        s.queued = j.at("queued").get<std::uint32_t>();
        s.max_concurrent = j.at("max_concurrent").get<std::uint32_t>();
        s.max_queued = j.at("max_queued").get<std::uint32_t>();
        s.runs_total = j.at("runs_total").get<std::uint64_t>();
    } catch (const json::exception& e) {
        return malformed(std::string("status reply is malformed: ") + e.what());
    }
    return s;
}

std::string encode_reply(std::string_view type, json fields) {
    json j = std::move(fields);
    j["v"] = kProtocolVersion;
    j["type"] = std::string(type);
    // Skill replies may carry invalid UTF-8; replace rather than throw.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace closedpaw::broker
