// closedpawctl commands for closedpawd: status, submit, run, pending, approve, reject, show,
// skills, skill enable|disable, audit [verify].
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "ctl.hpp"
#include "front_proxy.h"

namespace closedpaw::ctl {

namespace {

using VariantMap = std::map<std::string, sdbus::Variant>;

class Front final : public sdbus::ProxyInterfaces<org::closedpaw::ClosedPaw1::Manager_proxy> {
  public:
    explicit Front(sdbus::IConnection& bus)
        : ProxyInterfaces(bus, "org.closedpaw.ClosedPaw1", "/org/closedpaw/ClosedPaw1") {
        registerProxy();
    }
    ~Front() { unregisterProxy(); }

  private:
    void onActionChanged(const std::string&, const std::string&, const std::string&) override {}
    void onActionNotice(const std::string&, const std::string&, const std::string&) override {}
};

std::string str(const VariantMap& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? "" : it->second.get<std::string>();
}

template <typename T>
T num(const VariantMap& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? T{} : it->second.get<T>();
}

std::string user_name(std::uint32_t uid) {
    if (passwd* pw = ::getpwuid(uid)) return pw->pw_name;
    return std::to_string(uid);
}

nlohmann::json action_json(const VariantMap& a) {
    nlohmann::json j;
    for (const char* k : {"id", "type", "skill", "operation", "digest", "level", "level_reason",
                          "status", "channel_user", "reason"})
        j[k] = str(a, k);
    j["params"] = nlohmann::json::parse(str(a, "params"), nullptr, false);
    auto r = str(a, "result");
    j["result"] = r.empty() ? nlohmann::json() : nlohmann::json::parse(r, nullptr, false);
    j["submitter_uid"] = num<uint32_t>(a, "submitter_uid");
    j["created_usec"] = num<uint64_t>(a, "created_usec");
    j["updated_usec"] = num<uint64_t>(a, "updated_usec");
    j["expires_usec"] = num<uint64_t>(a, "expires_usec");
    if (a.count("decided_by")) j["decided_by"] = num<uint32_t>(a, "decided_by");
    return j;
}

// Every field is shown(): an approver must not be shown a path a bidi override turned round.
void print_action(const VariantMap& a, bool full) {
    std::cout << shown(str(a, "id")) << "  " << std::left << std::setw(10)
              << shown(str(a, "status")) << std::setw(9) << shown(str(a, "level"))
              << shown(str(a, "type"))
              << (str(a, "skill").empty() ? "" : " " + shown(str(a, "skill")))
              << (str(a, "operation").empty() ? "" : "." + shown(str(a, "operation"))) << "  by "
              << user_name(num<uint32_t>(a, "submitter_uid")) << "\n";
    std::cout << "    params: " << shown(str(a, "params")) << "\n";
    // Letters from other scripts can pass for Latin ones ("раth"): spelled out as well.
    if (auto p = nlohmann::json::parse(str(a, "params"), nullptr, false);
        !p.is_discarded() && p.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace) !=
                                 p.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
        std::cout << "    params, non-ASCII spelled out: "
                  << p.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace) << "\n";
    std::cout << "    digest: " << shown(str(a, "digest")) << "\n";
    if (!full) return;
    std::cout << "    why " << shown(str(a, "level")) << ": " << shown(str(a, "level_reason"))
              << "\n";
    std::cout << "    created: " << format_time_usec(num<uint64_t>(a, "created_usec"));
    if (str(a, "status") == "pending")
        std::cout << ", expires: " << format_time_usec(num<uint64_t>(a, "expires_usec"));
    std::cout << "\n";
    if (a.count("decided_by"))
        std::cout << "    decided by: " << user_name(num<uint32_t>(a, "decided_by")) << "\n";
    if (!str(a, "reason").empty()) std::cout << "    reason: " << shown(str(a, "reason")) << "\n";
    if (!str(a, "result").empty()) {
        auto r = nlohmann::json::parse(str(a, "result"), nullptr, false);
        if (r.is_object() && r.contains("reply"))
            std::cout << "    reply: "
                      << shown(r["reply"].dump(-1, ' ', false,
                                               nlohmann::json::error_handler_t::replace))
                      << "\n";
        else
            std::cout << "    result: " << shown(str(a, "result")) << "\n";
    }
}

// k=v gives a string; k:=JSON gives a typed value (k:=3, k:=true, k:='["a","b"]').
std::optional<VariantMap> parse_params(const std::vector<std::string>& kv, std::string& err) {
    VariantMap m;
    for (const auto& item : kv) {
        auto typed = item.find(":=");
        auto eq = item.find('=');
        if (eq == std::string::npos || eq == 0) {
            err = "parameters are key=value or key:=JSON, not '" + item + "'";
            return std::nullopt;
        }
        if (typed != std::string::npos && typed < eq) {
            std::string key = item.substr(0, typed);
            auto j = nlohmann::json::parse(item.substr(typed + 2), nullptr, false);
            if (j.is_boolean())
                m[key] = sdbus::Variant(j.get<bool>());
            else if (j.is_number_integer())
                m[key] = sdbus::Variant(j.get<int64_t>());
            else if (j.is_number())
                m[key] = sdbus::Variant(j.get<double>());
            else if (j.is_array() &&
                     std::all_of(j.begin(), j.end(), [](auto& e) { return e.is_string(); }))
                m[key] = sdbus::Variant(j.get<std::vector<std::string>>());
            else if (j.is_string())
                m[key] = sdbus::Variant(j.get<std::string>());
            else {
                err = "'" + item +
                      "': key:= takes a number, true/false, a string or an array of strings";
                return std::nullopt;
            }
        } else {
            m[item.substr(0, eq)] = sdbus::Variant(item.substr(eq + 1));
        }
    }
    return m;
}

int wait_for(Front& f, const std::string& id, bool json, int timeout_s) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    bool told = false;
    for (;;) {
        auto a = f.GetAction(id);
        auto st = str(a, "status");
        if (st == "pending" && !told) {
            std::cerr << "closedpawctl: action " << id << " (" << str(a, "level")
                      << ") waits for approval:\n"
                      << "closedpawctl:   closedpawctl approve " << id << " --digest "
                      << str(a, "digest") << "\n";
            told = true;
        }
        if (st == "completed" || st == "failed" || st == "rejected" || st == "expired") {
            if (json)
                std::cout << action_json(a).dump(2) << "\n";
            else {
                auto r = nlohmann::json::parse(str(a, "result"), nullptr, false);
                if (st == "completed" && r.is_object() && r.contains("reply"))
                    std::cout << shown(r["reply"]
                                           .value("data", nlohmann::json())
                                           .dump(2, ' ', false,
                                                 nlohmann::json::error_handler_t::replace))
                              << "\n";
                else
                    print_action(a, true);
            }
            return st == "completed" ? kOk : kFailed;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            std::cerr << "closedpawctl: action " << id << " is still " << st << " after "
                      << timeout_s << " s\n";
            return st == "pending" ? kPending : kFailed;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

int approve(Front& f, const Args& a) {
    if (a.positional.size() != 2)
        return usage_error("usage: closedpawctl approve ID [--digest DIGEST]");
    const std::string& id = a.positional[1];
    auto action = f.GetAction(id);
    print_action(action, true);
    std::string digest;
    if (auto d = a.get("digest")) {
        digest = *d;
    } else if (::isatty(STDIN_FILENO) == 1) {
        std::cerr
            << "Approve exactly this? Type the first 12 characters of the digest to confirm: ";
        std::string typed;
        std::getline(std::cin, typed);
        if (typed.size() < 12 || str(action, "digest").compare(0, typed.size(), typed) != 0) {
            std::cerr << "closedpawctl: the digest does not match; nothing was approved\n";
            return kDenied;
        }
        digest = str(action, "digest");
    } else {
        return usage_error("pass --digest DIGEST (shown by 'closedpawctl show " + id +
                           "') when not at a terminal");
    }
    f.ApproveAction(id, digest);
    std::cout << "approved " << id << "\n";
    return kOk;
}

int audit(Front& f, const Args& a) {
    if (a.positional.size() == 2 && a.positional[1] == "verify") {
        auto [ok, entries, detail] = f.VerifyAuditLog();
        if (a.json)
            std::cout << nlohmann::json{{"ok", ok}, {"entries", entries}, {"detail", detail}}.dump(
                             2)
                      << "\n";
        else
            std::cout << (ok ? "ok: " : "FAILED: ") << detail << "\n";
        return ok ? kOk : kCorrupt;
    }
    std::uint64_t after = 0;
    std::uint32_t limit = 50;
    try {
        if (auto v = a.get("after")) after = std::stoull(*v);
        if (auto v = a.get("limit")) limit = static_cast<std::uint32_t>(std::stoul(*v));
    } catch (const std::exception&) {
        return usage_error("--after and --limit take numbers");
    }
    auto entries = f.GetAuditLog(after, limit);
    auto arr = nlohmann::json::array();
    for (auto& e : entries) {
        nlohmann::json j;
        for (auto& [k, v] : e) {
            if (v.peekValueType() == "t")
                j[k] = v.get<uint64_t>();
            else {
                auto s = v.get<std::string>();
                auto parsed = (k == "principal" || k == "details")
                                  ? nlohmann::json::parse(s, nullptr, false)
                                  : nlohmann::json(s);
                j[k] = parsed.is_discarded() ? nlohmann::json(s) : parsed;
            }
        }
        arr.push_back(std::move(j));
    }
    if (a.json) {
        std::cout << arr.dump(2) << "\n";
        return kOk;
    }
    for (auto& j : arr) {
        std::cout << "#" << j["seq"] << " " << shown(j["time"].get<std::string>()) << " "
                  << std::left << std::setw(16) << shown(j["event"].get<std::string>()) << " "
                  << shown(j["action"].get<std::string>()) << " "
                  << shown(j["type"].get<std::string>()) << " "
                  << shown(j["skill"].get<std::string>()) << " uid "
                  << j["principal"].value("uid", 0u) << ": "
                  << shown(j["outcome"].get<std::string>()) << "\n";
    }
    return kOk;
}

}  // namespace

int action_command(const std::string& cmd, const std::vector<std::string>& argv) {
    std::string err;
    auto a = parse_args(argv, {"no-wait"}, err);
    if (!a) return usage_error(err);
    a->positional.insert(a->positional.begin(), cmd);
    const auto& pos = a->positional;
    try {
        auto bus = sdbus::createSystemBusConnection();
        Front f(*bus);
        if (cmd == "status") {
            nlohmann::json j = {{"version", f.Version()},
                                {"sandbox_runtime", f.SandboxRuntime()},
                                {"pending", f.PendingCount()}};
            if (a->json)
                std::cout << j.dump(2) << "\n";
            else
                std::cout << "closedpawd " << j["version"].get<std::string>()
                          << "\n  sandbox runtime: " << j["sandbox_runtime"].get<std::string>()
                          << "\n  pending actions: " << j["pending"] << "\n";
            return kOk;
        }
        if (cmd == "submit" || cmd == "run") {
            std::string type, skill;
            std::vector<std::string> kv;
            if (cmd == "submit") {
                if (pos.size() < 2)
                    return usage_error(
                        "usage: closedpawctl submit TYPE [--skill ID] [key=value]...");
                type = pos[1];
                skill = a->get("skill").value_or("");
                kv.assign(pos.begin() + 2, pos.end());
            } else {
                if (pos.size() < 3)
                    return usage_error("usage: closedpawctl run SKILL OPERATION [key=value]...");
                type = "skill_execution";
                skill = pos[1];
                kv.assign(pos.begin() + 3, pos.end());
                kv.push_back("operation=" + pos[2]);
            }
            auto params = parse_params(kv, err);
            if (!params) return usage_error(err);
            auto [id, status, level] = f.SubmitAction(type, skill, *params);
            if (cmd == "submit" || a->has("no-wait")) {
                if (a->json)
                    std::cout
                        << nlohmann::json{{"id", id}, {"status", status}, {"level", level}}.dump(2)
                        << "\n";
                else
                    std::cout << id << " " << status << " " << level << "\n";
                return status == "pending" ? kPending : kOk;
            }
            int timeout = 900;
            if (auto t = a->get("timeout")) timeout = std::stoi(*t);
            return wait_for(f, id, a->json, timeout);
        }
        if (cmd == "pending" || cmd == "list") {
            auto list =
                f.ListActions(cmd == "pending" ? "pending" : a->get("status").value_or("all"));
            if (a->json) {
                auto arr = nlohmann::json::array();
                for (auto& x : list) arr.push_back(action_json(x));
                std::cout << arr.dump(2) << "\n";
            } else if (list.empty()) {
                std::cout << (cmd == "pending" ? "Nothing is waiting for approval.\n"
                                               : "No actions.\n");
            } else {
                for (auto& x : list) print_action(x, false);
            }
            return kOk;
        }
        if (cmd == "show") {
            if (pos.size() != 2) return usage_error("usage: closedpawctl show ID");
            auto x = f.GetAction(pos[1]);
            if (a->json)
                std::cout << action_json(x).dump(2) << "\n";
            else
                print_action(x, true);
            return kOk;
        }
        if (cmd == "approve") return approve(f, *a);
        if (cmd == "reject") {
            if (pos.size() != 2)
                return usage_error("usage: closedpawctl reject ID [--reason TEXT]");
            f.RejectAction(pos[1], a->get("reason").value_or(""));
            std::cout << "rejected " << pos[1] << "\n";
            return kOk;
        }
        if (cmd == "skills") {
            auto skills = f.ListSkills();
            auto arr = nlohmann::json::array();
            for (auto& s : skills) {
                nlohmann::json ops = nlohmann::json::object();
                for (auto& [op, lvl] : s["operations"].get<VariantMap>())
                    ops[op] = lvl.get<std::string>();
                arr.push_back({{"id", str(s, "id")},
                               {"name", str(s, "name")},
                               {"version", str(s, "version")},
                               {"enabled", s["enabled"].get<bool>()},
                               {"workspace", str(s, "workspace")},
                               {"description", str(s, "description")},
                               {"operations", ops}});
            }
            if (a->json) {
                std::cout << arr.dump(2) << "\n";
                return kOk;
            }
            for (auto& s : arr) {
                std::cout << std::left << std::setw(14) << s["id"].get<std::string>()
                          << std::setw(10) << s["version"].get<std::string>()
                          << (s["enabled"].get<bool>() ? "enabled   " : "DISABLED  ")
                          << s["description"].get<std::string>() << "\n";
                for (auto& [op, lvl] : s["operations"].items())
                    std::cout << "    " << std::setw(12) << op << lvl.get<std::string>() << "\n";
            }
            return kOk;
        }
        if (cmd == "skill") {
            if (pos.size() != 3 || (pos[1] != "enable" && pos[1] != "disable"))
                return usage_error("usage: closedpawctl skill enable|disable ID");
            f.SetSkillEnabled(pos[2], pos[1] == "enable");
            return kOk;
        }
        if (cmd == "audit") return audit(f, *a);
    } catch (const sdbus::Error& e) {
        return report(cmd + (pos.size() > 1 ? " " + pos[1] : ""), e);
    }
    return usage_error("unknown command '" + cmd + "'");
}

}  // namespace closedpaw::ctl
