// Dropping privileges once, in one place, and proving it: after the drop we try to regain
// what was dropped and fail if that works.
#pragma once

#include <sys/capability.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "result.hpp"

namespace closedpaw {

struct UserIdentity {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
};

Result<UserIdentity> lookup_user(const std::string& name);
Result<UserIdentity> lookup_uid(uid_t uid);
Result<gid_t> lookup_group(const std::string& name);
// All group ids the user belongs to (primary first), from the user database.
std::vector<gid_t> groups_of(const UserIdentity& user);

struct DropSpec {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> supplementary_groups;  // replaces the current list
    std::vector<cap_value_t> keep_caps;  // kept in permitted+effective+bounding; all else dropped
};

// Switches to spec's uid/gid (when running as root), drops every capability not in keep_caps
// from all sets including the bounding set, clears ambient caps, sets no_new_privs, then
// verifies: cannot regain uid 0 (if uid != 0), cannot raise any dropped capability.
// When not running as root the uid cannot change; capabilities are still dropped and checked.
Result<void> drop_privileges(const DropSpec& spec);

// Checks the calling thread's capability sets hold nothing beyond keep_caps.
Result<void> verify_capabilities(const std::vector<cap_value_t>& keep_caps);

}  // namespace closedpaw
