// The skills closedpawd knows: manifests from the root-owned skill directory (the same loader
// the broker uses) and which ones an admin enabled or disabled (persisted in the state dir).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/skill_manifest.hpp"

namespace closedpaw::front {

class SkillRegistry {
  public:
    static Result<SkillRegistry> load(const std::string& skill_dir, const std::string& state_file);

    const SkillManifest* find(const std::string& id) const;
    bool enabled(const SkillManifest& m) const;
    Result<void> set_enabled(const std::string& id, bool enabled);
    const std::vector<SkillManifest>& skills() const { return skills_; }
    const std::vector<Error>& load_errors() const { return errors_; }

  private:
    std::string state_file_;
    std::vector<SkillManifest> skills_;
    std::vector<Error> errors_;
    std::map<std::string, bool> overrides_;
};

}  // namespace closedpaw::front
