#include "policy.hpp"

#include <dirent.h>

#include <algorithm>

#include "common/config.hpp"
#include "common/privdrop.hpp"

namespace closedpaw::front {

namespace {

Result<void> read_level(const TableView& t, const char* key, RiskLevel& out) {
    auto v = t.get_string(key);
    if (!v) return std::move(v).error();
    if (!*v) return {};
    auto l = parse_risk_level(**v);
    if (!l) return t.error(key, "'" + **v + "' is not one of low, medium, high, critical");
    out = *l;
    return {};
}

Result<void> read_number(const TableView& t, const char* key, double& out, double min, double max) {
    auto v = t.get_double(key, min, max);
    if (!v) return std::move(v).error();
    if (*v) out = **v;
    return {};
}

template <typename T>
Result<void> read_int(const TableView& t, const char* key, T& out, std::int64_t min,
                      std::int64_t max) {
    auto v = t.get_int(key, min, max);
    if (!v) return std::move(v).error();
    if (*v) out = static_cast<T>(**v);
    return {};
}

Result<void> read_groups(const TableView& t, const char* key, std::vector<gid_t>& out) {
    auto v = t.get_string_array(key);
    if (!v) return std::move(v).error();
    if (!*v) return {};
    out.clear();
    for (const auto& name : **v) {
        auto g = lookup_group(name);
        // A group that does not exist yet grants nothing; it is not an error (sysusers may
        // create it later), but a typo should be visible: refuse names that are not names.
        if (g)
            out.push_back(*g);
        else if (name.empty() || name.find_first_of(" /:") != std::string::npos)
            return t.error(key, "'" + name + "' is not a group name");
    }
    return {};
}

Result<void> read_users(const TableView& t, const char* key, std::vector<uid_t>& out) {
    auto v = t.get_string_array(key);
    if (!v) return std::move(v).error();
    if (!*v) return {};
    out.clear();
    for (const auto& name : **v) {
        auto u = lookup_user(name);
        if (!u) return t.error(key, "no user named '" + name + "'");
        out.push_back(u->uid);
    }
    return {};
}

Result<void> apply_file(Policy& p, const std::string& path) {
    auto file = ConfigFile::load(path);
    if (!file) return std::move(file).error();
    auto root = file->root();
    CP_TRY(root.only_keys({"levels", "approval", "rate_limit", "limits"}));
    if (auto t = root.get_table("levels"); !t)
        return std::move(t).error();
    else if (*t) {
        const auto& v = **t;
        CP_TRY(v.only_keys({"chat", "api_call", "model_switch", "config_change",
                            "file_operation_read", "file_operation_write"}));
        CP_TRY(read_level(v, "chat", p.chat));
        CP_TRY(read_level(v, "api_call", p.api_call));
        CP_TRY(read_level(v, "model_switch", p.model_switch));
        CP_TRY(read_level(v, "config_change", p.config_change));
        CP_TRY(read_level(v, "file_operation_read", p.file_read));
        CP_TRY(read_level(v, "file_operation_write", p.file_write));
    }
    if (auto t = root.get_table("approval"); !t)
        return std::move(t).error();
    else if (*t) {
        const auto& v = **t;
        CP_TRY(v.only_keys({"approver_groups", "approver_users", "admin_groups", "admin_users",
                            "pending_ttl_seconds"}));
        CP_TRY(read_groups(v, "approver_groups", p.approver_gids));
        CP_TRY(read_groups(v, "admin_groups", p.admin_gids));
        CP_TRY(read_users(v, "approver_users", p.approver_uids));
        CP_TRY(read_users(v, "admin_users", p.admin_uids));
        CP_TRY(read_int(v, "pending_ttl_seconds", p.pending_ttl_seconds, 1, 7 * 24 * 3600));
    }
    if (auto t = root.get_table("rate_limit"); !t)
        return std::move(t).error();
    else if (*t) {
        const auto& v = **t;
        CP_TRY(v.only_keys({"per_uid_per_minute", "per_uid_burst", "global_per_minute",
                            "global_burst", "max_pending_per_uid"}));
        CP_TRY(read_number(v, "per_uid_per_minute", p.per_uid_per_minute, 0.1, 1e7));
        CP_TRY(read_number(v, "per_uid_burst", p.per_uid_burst, 1, 1e6));
        CP_TRY(read_number(v, "global_per_minute", p.global_per_minute, 0.1, 1e8));
        CP_TRY(read_number(v, "global_burst", p.global_burst, 1, 1e7));
        CP_TRY(read_int(v, "max_pending_per_uid", p.max_pending_per_uid, 1, 100000));
    }
    if (auto t = root.get_table("limits"); !t)
        return std::move(t).error();
    else if (*t) {
        const auto& v = **t;
        CP_TRY(v.only_keys({"max_parameter_bytes", "max_string_bytes", "max_parameter_depth"}));
        CP_TRY(read_int(v, "max_parameter_bytes", p.max_parameter_bytes, 1024, 64 << 20));
        CP_TRY(read_int(v, "max_string_bytes", p.max_string_bytes, 64, 64 << 20));
        CP_TRY(read_int(v, "max_parameter_depth", p.max_parameter_depth, 1, 16));
    }
    p.sources.push_back(path);
    return {};
}

}  // namespace

Result<Policy> load_policy(const std::string& defaults_file, const std::string& override_dir) {
    Policy p;
    CP_TRY(apply_file(p, defaults_file));
    std::vector<std::string> files;
    if (DIR* d = ::opendir(override_dir.c_str())) {
        while (auto* e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n.size() > 5 && n.compare(n.size() - 5, 5, ".toml") == 0 && n[0] != '.')
                files.push_back(n);
        }
        ::closedir(d);
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) CP_TRY(apply_file(p, override_dir + "/" + f));
    return p;
}

Role role_of(const Policy& p, const BusCaller& c) {
    auto in = [](const auto& v, auto x) { return std::find(v.begin(), v.end(), x) != v.end(); };
    bool admin = in(p.admin_uids, c.uid) || std::any_of(p.admin_gids.begin(), p.admin_gids.end(),
                                                        [&](gid_t g) { return c.in_group(g); });
    if (admin) return Role::Admin;
    bool approver =
        in(p.approver_uids, c.uid) || std::any_of(p.approver_gids.begin(), p.approver_gids.end(),
                                                  [&](gid_t g) { return c.in_group(g); });
    return approver ? Role::Approver : Role::None;
}

bool file_operation_writes(std::string_view op) {
    return op != "read" && op != "list";
}

Classification classify(const Policy& p, ActionType type, const std::string& operation,
                        const SkillManifest* manifest) {
    switch (type) {
        case ActionType::Chat:
            return {p.chat, "policy: chat"};
        case ActionType::ApiCall:
            return {p.api_call, "policy: api_call"};
        case ActionType::ModelSwitch:
            return {p.model_switch, "policy: model_switch"};
        case ActionType::ConfigChange:
            return {p.config_change, "policy: config_change"};
        case ActionType::FileOperation: {
            bool writes = file_operation_writes(operation);
            Classification c{writes ? p.file_write : p.file_read,
                             writes ? "policy: file_operation that changes files"
                                    : "policy: file_operation read"};
            // The manifest may only raise it.
            if (manifest != nullptr) {
                if (const auto* op = manifest->find_operation(operation);
                    op != nullptr && op->level > c.level) {
                    c.level = op->level;
                    c.reason = "manifest: filesystem." + operation;
                }
            }
            return c;
        }
        case ActionType::SkillExecution: {
            if (manifest == nullptr) return {RiskLevel::Critical, "unknown skill"};
            const auto* op = manifest->find_operation(operation);
            if (op == nullptr) return {RiskLevel::Critical, "operation not declared by the skill"};
            Classification c{op->level, "manifest: " + manifest->id + "." + operation};
            // The file_operation levels hold for the filesystem skill however it is asked for:
            // skill_execution is another door to the same operations, not a way round them.
            if (manifest->id == kFilesystemSkill) {
                const bool writes = file_operation_writes(operation);
                const RiskLevel floor = writes ? p.file_write : p.file_read;
                if (floor > c.level) {
                    c.level = floor;
                    c.reason = writes ? "policy: file_operation that changes files"
                                      : "policy: file_operation read";
                }
            }
            return c;
        }
        case ActionType::Unknown:
            break;
    }
    return {RiskLevel::Critical, "unknown action type"};
}

Result<void> may_decide(const Policy& p, const BusCaller& c, const Action& a, bool approving) {
    Role role = role_of(p, c);
    if (!approving && c.uid == a.submitter_uid) return {};  // a submitter may withdraw their own
    if (approving && c.uid == a.submitter_uid)
        return make_error(Errc::AccessDenied,
                          "you submitted this action; another person must approve it");
    if (a.level == RiskLevel::Critical && role != Role::Admin)
        return make_error(Errc::AccessDenied,
                          "uid " + std::to_string(c.uid) +
                              " is not an admin; critical actions need an admin approver");
    if (role == Role::None)
        return make_error(Errc::AccessDenied,
                          "uid " + std::to_string(c.uid) +
                              " is not an approver (policy [approval] approver_groups/users)");
    return {};
}

bool may_view(const Policy& p, const BusCaller& c, const Action& a) {
    return c.uid == a.submitter_uid || role_of(p, c) != Role::None;
}

}  // namespace closedpaw::front
