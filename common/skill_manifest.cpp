#include "skill_manifest.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <toml++/toml.h>
#include <algorithm>
#include <sstream>

#include "config.hpp"
#include "fd.hpp"

namespace closedpaw {

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || is_digit(c);
}

// Semver 2.0.0 dot-separated identifiers; numeric ones must not have leading zeros when
// they are pre-release identifiers.
bool identifiers_ok(std::string_view s, bool forbid_leading_zero) {
    if (s.empty()) return false;
    std::size_t start = 0;
    for (;;) {
        auto dot = s.find('.', start);
        auto part =
            s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (part.empty()) return false;
        bool digits = true;
        for (char c : part) {
            if (!(is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'))
                return false;
            digits = digits && is_digit(c);
        }
        if (forbid_leading_zero && digits && part.size() > 1 && part[0] == '0') return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

bool numeric_part(std::string_view s) {
    return !s.empty() && s.size() <= 9 && std::all_of(s.begin(), s.end(), is_digit) &&
           (s.size() == 1 || s[0] != '0');
}

nlohmann::json to_json(const toml::node& node) {
    if (const auto* t = node.as_table()) {
        auto obj = nlohmann::json::object();
        for (const auto& [k, v] : *t) obj[std::string(k.str())] = to_json(v);
        return obj;
    }
    if (const auto* a = node.as_array()) {
        auto arr = nlohmann::json::array();
        for (const auto& v : *a) arr.push_back(to_json(v));
        return arr;
    }
    if (const auto* s = node.as_string()) return s->get();
    if (const auto* i = node.as_integer()) return i->get();
    if (const auto* f = node.as_floating_point()) return f->get();
    if (const auto* b = node.as_boolean()) return b->get();
    std::ostringstream os;  // dates and times: keep their TOML spelling
    node.visit([&](const auto& v) { os << v; });
    return os.str();
}

Result<void> read_limits(const TableView& t, SkillLimits& limits) {
    CP_TRY(t.only_keys({"memory_mb", "pids", "cpu_percent", "timeout_ms", "output_kb"}));
    auto mem =
        t.get_int("memory_mb", 8, static_cast<std::int64_t>(kMaxSkillLimits.memory_bytes >> 20));
    if (!mem) return std::move(mem).error();
    if (*mem) limits.memory_bytes = static_cast<std::uint64_t>(**mem) << 20;
    auto pids = t.get_int("pids", 1, kMaxSkillLimits.pids);
    if (!pids) return std::move(pids).error();
    if (*pids) limits.pids = static_cast<std::uint32_t>(**pids);
    auto cpu = t.get_int("cpu_percent", 1, kMaxSkillLimits.cpu_percent);
    if (!cpu) return std::move(cpu).error();
    if (*cpu) limits.cpu_percent = static_cast<std::uint32_t>(**cpu);
    auto timeout = t.get_int("timeout_ms", 100, kMaxSkillLimits.timeout_ms);
    if (!timeout) return std::move(timeout).error();
    if (*timeout) limits.timeout_ms = static_cast<std::uint32_t>(**timeout);
    auto out =
        t.get_int("output_kb", 1, static_cast<std::int64_t>(kMaxSkillLimits.output_bytes >> 10));
    if (!out) return std::move(out).error();
    if (*out) limits.output_bytes = static_cast<std::uint64_t>(**out) << 10;
    return {};
}

Result<SkillOperation> read_operation(const TableView& t, const std::string& name) {
    CP_TRY(t.only_keys({"level", "writes", "description"}));
    SkillOperation op;
    op.name = name;
    auto level = t.require_string("level");
    if (!level) return std::move(level).error();
    auto parsed = parse_risk_level(*level);
    if (!parsed)
        return t.error("level", "'" + *level + "' is not one of low, medium, high, critical");
    op.level = *parsed;
    auto writes = t.get_bool("writes");
    if (!writes) return std::move(writes).error();
    op.writes = writes->value_or(false);
    auto desc = t.get_string("description");
    if (!desc) return std::move(desc).error();
    op.description = desc->value_or("");
    return op;
}

}  // namespace

std::string_view workspace_access_name(WorkspaceAccess a) {
    switch (a) {
        case WorkspaceAccess::None:
            return "none";
        case WorkspaceAccess::Read:
            return "read";
        case WorkspaceAccess::ReadWrite:
            return "read_write";
    }
    return "none";
}

SkillLimits SkillLimits::tightened_by(const SkillLimits& o) const {
    return SkillLimits{std::min(memory_bytes, o.memory_bytes), std::min(pids, o.pids),
                       std::min(cpu_percent, o.cpu_percent), std::min(timeout_ms, o.timeout_ms),
                       std::min(output_bytes, o.output_bytes)};
}

const SkillOperation* SkillManifest::find_operation(std::string_view op) const {
    auto it = operations.find(op);
    return it == operations.end() ? nullptr : &it->second;
}

bool valid_skill_id(std::string_view id) {
    if (id.empty() || id.size() > 64 || !is_lower_alnum(id[0])) return false;
    return std::all_of(id.begin(), id.end(),
                       [](char c) { return is_lower_alnum(c) || c == '_' || c == '-'; });
}

bool valid_operation_name(std::string_view op) {
    if (op.empty() || op.size() > 64 || !(op[0] >= 'a' && op[0] <= 'z')) return false;
    return std::all_of(op.begin(), op.end(), [](char c) { return is_lower_alnum(c) || c == '_'; });
}

bool valid_semver(std::string_view v) {
    if (v.empty() || v.size() > 128) return false;
    auto plus = v.find('+');
    if (plus != std::string_view::npos) {
        if (!identifiers_ok(v.substr(plus + 1), false)) return false;
        v = v.substr(0, plus);
    }
    auto dash = v.find('-');
    if (dash != std::string_view::npos) {
        if (!identifiers_ok(v.substr(dash + 1), true)) return false;
        v = v.substr(0, dash);
    }
    auto d1 = v.find('.');
    if (d1 == std::string_view::npos) return false;
    auto d2 = v.find('.', d1 + 1);
    if (d2 == std::string_view::npos) return false;
    return numeric_part(v.substr(0, d1)) && numeric_part(v.substr(d1 + 1, d2 - d1 - 1)) &&
           numeric_part(v.substr(d2 + 1));
}

Result<SkillManifest> parse_skill_manifest(std::string_view text,
                                           const std::string& name_for_errors) {
    auto file = ConfigFile::parse(text, name_for_errors);
    if (!file) return std::move(file).error();
    auto root = file->root();
    CP_TRY(root.only_keys({"id", "name", "version", "description", "executable", "sandboxed",
                           "enabled", "network", "workspace", "limits", "operations", "settings"}));
    SkillManifest m;

    auto id = root.require_string("id");
    if (!id) return std::move(id).error();
    if (!valid_skill_id(*id))
        return root.error("id", "'" + *id + "' is not a valid skill id ([a-z0-9][a-z0-9_-]{0,63})");
    m.id = *id;

    auto name = root.require_string("name");
    if (!name) return std::move(name).error();
    if (name->empty() || name->size() > 128)
        return root.error("name", "must be 1 to 128 characters");
    m.name = *name;

    auto version = root.require_string("version");
    if (!version) return std::move(version).error();
    if (!valid_semver(*version))
        return root.error("version",
                          "'" + *version + "' is not a semantic version (MAJOR.MINOR.PATCH)");
    m.version = *version;

    auto desc = root.get_string("description");
    if (!desc) return std::move(desc).error();
    m.description = desc->value_or("");
    if (m.description.size() > 1024)
        return root.error("description", "longer than 1024 characters");

    auto exe = root.require_string("executable");
    if (!exe) return std::move(exe).error();
    bool exe_ok =
        !exe->empty() && exe->size() <= 128 && (*exe)[0] != '.' &&
        std::all_of(exe->begin(), exe->end(), [](char c) {
            return is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '_' || c == '-' || c == '.';
        });
    if (!exe_ok)
        return root.error("executable",
                          "'" + *exe + "' must be a plain file name in the skill's directory");
    m.executable = *exe;

    auto sandboxed = root.get_bool("sandboxed");
    if (!sandboxed) return std::move(sandboxed).error();
    if (!*sandboxed)
        return root.error("sandboxed",
                          "missing required key (every skill must declare sandboxed = true)");
    if (!**sandboxed)
        return root.error("sandboxed",
                          "unsandboxed skills are not supported: every skill runs in the sandbox");
    m.sandboxed = true;

    auto enabled = root.get_bool("enabled");
    if (!enabled) return std::move(enabled).error();
    m.enabled = enabled->value_or(true);

    auto network = root.get_string("network");
    if (!network) return std::move(network).error();
    if (network->value_or("none") != "none")
        return root.error(
            "network", "'" + **network + "' is not supported; skills have no network (\"none\")");

    auto ws = root.get_table("workspace");
    if (!ws) return std::move(ws).error();
    if (*ws) {
        CP_TRY((*ws)->only_keys({"access"}));
        auto access = (*ws)->require_string("access");
        if (!access) return std::move(access).error();
        if (*access == "none")
            m.workspace = WorkspaceAccess::None;
        else if (*access == "read")
            m.workspace = WorkspaceAccess::Read;
        else if (*access == "read_write")
            m.workspace = WorkspaceAccess::ReadWrite;
        else
            return (*ws)->error("access", "'" + *access + "' is not one of none, read, read_write");
    }

    auto limits = root.get_table("limits");
    if (!limits) return std::move(limits).error();
    if (*limits) CP_TRY(read_limits(**limits, m.limits));

    auto ops = root.get_table("operations");
    if (!ops) return std::move(ops).error();
    if (!*ops || (*ops)->keys().empty())
        return root.error("operations", "a skill must declare at least one operation");
    for (const auto& op_name : (*ops)->keys()) {
        if (!valid_operation_name(op_name))
            return (*ops)->error(
                op_name, "'" + op_name + "' is not a valid operation name ([a-z][a-z0-9_]{0,63})");
        auto t = (*ops)->get_table(op_name);
        if (!t) return std::move(t).error();
        auto op = read_operation(**t, op_name);
        if (!op) return std::move(op).error();
        if (op->writes && m.workspace != WorkspaceAccess::ReadWrite)
            return (*t)->error("writes",
                               "operation writes but [workspace] access is not read_write");
        m.operations.emplace(op_name, std::move(*op));
    }

    auto settings = root.get_table("settings");
    if (!settings) return std::move(settings).error();
    if (*settings) m.settings = to_json((*settings)->raw());
    return m;
}

Result<SkillManifest> load_skill_manifest(const std::string& dir) {
    std::string path = dir + "/skill.toml";
    auto text = read_file(path, 256 * 1024);
    if (!text) return std::move(text).error();
    auto m = parse_skill_manifest(*text, path);
    if (!m) return m;
    std::string base = dir;
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    auto slash = base.rfind('/');
    std::string dirname = slash == std::string::npos ? base : base.substr(slash + 1);
    if (dirname != m->id)
        return make_error(Errc::Config, path + ": key 'id': '" + m->id +
                                            "' does not match the skill's directory name '" +
                                            dirname + "'");
    struct stat st {};
    std::string exe = dir + "/" + m->executable;
    if (::lstat(exe.c_str(), &st) != 0)
        return make_error(Errc::Config, path + ": key 'executable': " + exe + " does not exist");
    if (!S_ISREG(st.st_mode))
        return make_error(Errc::Config,
                          path + ": key 'executable': " + exe + " is not a regular file");
    if ((st.st_mode & 0111) == 0)
        return make_error(Errc::Config, path + ": key 'executable': " + exe + " is not executable");
    m->directory = dir;
    return m;
}

SkillDirectoryScan load_skill_directory(const std::string& root) {
    SkillDirectoryScan scan;
    DIR* d = ::opendir(root.c_str());
    if (d == nullptr) {
        scan.errors.push_back(Error::from_errno("cannot open skill directory " + root));
        return scan;
    }
    std::vector<std::string> names;
    while (auto* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == "..") continue;
        struct stat st {};
        if (::lstat((root + "/" + n).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
        auto m = load_skill_manifest(root + "/" + n);
        if (m)
            scan.skills.push_back(std::move(*m));
        else
            scan.errors.push_back(std::move(m).error());
    }
    return scan;
}

}  // namespace closedpaw
