#include "access_policy.hpp"

#include <algorithm>

namespace closedpaw::vault {

namespace {

Error denied(const Subject& s, const std::string& why) {
    return make_error(Errc::AccessDenied, "uid " + std::to_string(s.uid) + " " + why);
}

Result<void> has_clearance(const Subject& s) {
    if (!s.clearance) return denied(s, "has no vault clearance (see [[clearance]] in vault.toml)");
    return {};
}

bool is_admin(const Subject& s) {
    return s.clearance == AccessLevel::Admin;
}

Result<void> reaches(const Subject& s, AccessLevel level) {
    if (*s.clearance < level)
        return denied(s, "has clearance '" + std::string(access_level_name(*s.clearance)) +
                             "', below the secret's level '" +
                             std::string(access_level_name(level)) + "'");
    return {};
}

}  // namespace

std::optional<AccessLevel> clearance_of(const VaultConfig& config, const BusCaller& caller) {
    std::optional<AccessLevel> best;
    for (const auto& rule : config.clearances) {
        bool match =
            (rule.uid && *rule.uid == caller.uid) || (rule.gid && caller.in_group(*rule.gid));
        if (match && (!best || rule.level > *best)) best = rule.level;
    }
    return best;
}

Result<void> may_use(const Subject& s) {
    return has_clearance(s);
}

Result<void> may_store(const Subject& s, const EntryMeta* existing, AccessLevel requested) {
    CP_TRY(has_clearance(s));
    CP_TRY(reaches(s, requested));
    if (existing != nullptr) {
        CP_TRY(reaches(s, existing->level));
        if (existing->owner != s.uid && !is_admin(s))
            return denied(
                s, "may not replace a secret owned by uid " + std::to_string(existing->owner));
    }
    return {};
}

Result<void> may_retrieve(const Subject& s, const EntryMeta& e) {
    CP_TRY(has_clearance(s));
    CP_TRY(reaches(s, e.level));
    bool reader = std::find(e.readers.begin(), e.readers.end(), s.uid) != e.readers.end();
    if (e.owner != s.uid && !reader && !is_admin(s))
        return denied(s, "is neither the owner nor a reader of this secret");
    return {};
}

Result<void> may_modify(const Subject& s, const EntryMeta& e) {
    CP_TRY(has_clearance(s));
    CP_TRY(reaches(s, e.level));
    if (e.owner != s.uid && !is_admin(s)) return denied(s, "is not the owner of this secret");
    return {};
}

Result<void> may_list(const Subject& s) {
    return has_clearance(s);
}

bool may_see(const Subject& s, const EntryMeta& e) {
    return s.clearance && *s.clearance >= e.level;
}

Result<void> may_administer(const Subject& s) {
    CP_TRY(has_clearance(s));
    if (!is_admin(s)) return denied(s, "needs admin clearance for this");
    return {};
}

}  // namespace closedpaw::vault
