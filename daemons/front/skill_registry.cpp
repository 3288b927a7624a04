#include "skill_registry.hpp"

#include <nlohmann/json.hpp>

#include "common/fd.hpp"

namespace closedpaw::front {

Result<SkillRegistry> SkillRegistry::load(const std::string& skill_dir,
                                          const std::string& state_file) {
    SkillRegistry r;
    r.state_file_ = state_file;
    auto scan = load_skill_directory(skill_dir);
    r.skills_ = std::move(scan.skills);
    r.errors_ = std::move(scan.errors);
    auto text = read_file(state_file, 1 << 20);
    if (text) {
        auto j = nlohmann::json::parse(*text, nullptr, false);
        if (!j.is_object()) return make_error(Errc::Corrupt, state_file + " is not a JSON object");
        for (auto it = j.begin(); it != j.end(); ++it)
            if (it->is_boolean()) r.overrides_[it.key()] = it->get<bool>();
    } else if (text.error().code != Errc::NotFound) {
        return std::move(text).error();
    }
    return r;
}

const SkillManifest* SkillRegistry::find(const std::string& id) const {
    for (const auto& s : skills_)
        if (s.id == id) return &s;
    return nullptr;
}

bool SkillRegistry::enabled(const SkillManifest& m) const {
    auto it = overrides_.find(m.id);
    return it == overrides_.end() ? m.enabled : it->second;
}

Result<void> SkillRegistry::set_enabled(const std::string& id, bool enabled) {
    if (find(id) == nullptr)
        return make_error(Errc::NotFound, "no skill '" + id + "' is installed");
    auto next = overrides_;
    next[id] = enabled;
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, v] : next) j[k] = v;
    CP_TRY(write_file_atomic(state_file_, j.dump(2) + "\n"));
    overrides_ = std::move(next);
    return {};
}

}  // namespace closedpaw::front
