#include "privdrop.hpp"

#include <grp.h>
#include <linux/capability.h>
#include <linux/prctl.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

namespace closedpaw {

namespace {

struct CapFree {
    void operator()(cap_t c) const { cap_free(c); }
};
using CapPtr = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

bool kept(const std::vector<cap_value_t>& keep, cap_value_t c) {
    return std::find(keep.begin(), keep.end(), c) != keep.end();
}

cap_value_t last_cap() {
    cap_value_t last = CAP_LAST_CAP;
    // The running kernel may know more capabilities than our headers.
    while (prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0) ++last;
    return last;
}

std::string cap_name(cap_value_t c) {
    char* n = cap_to_name(c);
    std::string out = n != nullptr ? n : std::to_string(c);
    cap_free(n);
    return out;
}

}  // namespace

Result<UserIdentity> lookup_user(const std::string& name) {
    errno = 0;
    passwd* pw = ::getpwnam(name.c_str());
    if (pw == nullptr)
        return make_error(Errc::NotFound, "no user named '" + name + "' (create it with useradd --system)");
    return UserIdentity{pw->pw_name, pw->pw_uid, pw->pw_gid, pw->pw_dir ? pw->pw_dir : "/"};
}

Result<UserIdentity> lookup_uid(uid_t uid) {
    passwd* pw = ::getpwuid(uid);
    if (pw == nullptr) return make_error(Errc::NotFound, "no user with uid " + std::to_string(uid));
    return UserIdentity{pw->pw_name, pw->pw_uid, pw->pw_gid, pw->pw_dir ? pw->pw_dir : "/"};
}

Result<gid_t> lookup_group(const std::string& name) {
    group* gr = ::getgrnam(name.c_str());
    if (gr == nullptr) return make_error(Errc::NotFound, "no group named '" + name + "'");
    return gr->gr_gid;
}

std::vector<gid_t> groups_of(const UserIdentity& user) {
    int n = 64;
    std::vector<gid_t> groups(static_cast<std::size_t>(n));
    while (::getgrouplist(user.name.c_str(), user.gid, groups.data(), &n) < 0) {
        groups.resize(static_cast<std::size_t>(n));
    }
    groups.resize(static_cast<std::size_t>(n));
    return groups;
}

Result<void> verify_capabilities(const std::vector<cap_value_t>& keep_caps) {
    CapPtr caps(cap_get_proc());
    if (!caps) return Error::from_errno("cap_get_proc");
    cap_value_t last = last_cap();
    for (cap_value_t c = 0; c <= last; ++c) {
        if (kept(keep_caps, c)) continue;
        for (cap_flag_t f : {CAP_EFFECTIVE, CAP_PERMITTED, CAP_INHERITABLE}) {
            cap_flag_value_t v = CAP_CLEAR;
            if (cap_get_flag(caps.get(), c, f, &v) == 0 && v == CAP_SET)
                return make_error(Errc::Failed, std::string("capability ") + cap_name(c) +
                                                    " is still held after dropping privileges");
        }
        if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
            return make_error(Errc::Failed, std::string("capability ") + cap_name(c) +
                                                " is still in the bounding set");
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1)
            return make_error(Errc::Failed, std::string("capability ") + cap_name(c) +
                                                " is still ambient");
    }
    return {};
}

Result<void> drop_privileges(const DropSpec& spec) {
    const bool root = ::geteuid() == 0;
    const bool change_uid = root && spec.uid != 0;
    cap_value_t last = last_cap();

    // Bounding set first: removing from it needs CAP_SETPCAP, which we may be about to lose.
    for (cap_value_t c = 0; c <= last; ++c) {
        if (kept(spec.keep_caps, c)) continue;
        if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 &&
            root)
            return Error::from_errno(std::string("PR_CAPBSET_DROP ") + cap_name(c));
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return Error::from_errno("PR_CAP_AMBIENT_CLEAR_ALL");

    if (change_uid) {
        // Keep the permitted set across setresuid only if we need some of it afterwards.
        if (!spec.keep_caps.empty() && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
            return Error::from_errno("PR_SET_KEEPCAPS");
        if (::setgroups(spec.supplementary_groups.size(), spec.supplementary_groups.data()) != 0)
            return Error::from_errno("setgroups");
        if (::setresgid(spec.gid, spec.gid, spec.gid) != 0) return Error::from_errno("setresgid");
        if (::setresuid(spec.uid, spec.uid, spec.uid) != 0) return Error::from_errno("setresuid");
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return Error::from_errno("PR_SET_KEEPCAPS");
    }

    CapPtr caps(cap_init());  // all clear
    if (!caps) return Error::from_errno("cap_init");
    if (!spec.keep_caps.empty()) {
        for (cap_flag_t f : {CAP_EFFECTIVE, CAP_PERMITTED}) {
            if (cap_set_flag(caps.get(), f, static_cast<int>(spec.keep_caps.size()),
                             spec.keep_caps.data(), CAP_SET) != 0)
                return Error::from_errno("cap_set_flag");
        }
    }
    // Skip capset(2) when the sets are already what we want: a daemon started by systemd
    // without capabilities may run under a SystemCallFilter= that denies capset.
    CapPtr current(cap_get_proc());
    if (!current) return Error::from_errno("cap_get_proc");
    if (cap_compare(current.get(), caps.get()) != 0 && cap_set_proc(caps.get()) != 0)
        return Error::from_errno("cap_set_proc");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Error::from_errno("PR_SET_NO_NEW_PRIVS");

    // Proof: what we dropped must not come back.
    if (change_uid) {
        if (::setresuid(0, 0, 0) == 0 || ::seteuid(0) == 0)
            return make_error(Errc::Failed, "regained uid 0 after dropping privileges");
        if (spec.gid != 0 && (::setresgid(0, 0, 0) == 0 || ::setegid(0) == 0))
            return make_error(Errc::Failed, "regained gid 0 after dropping privileges");
        uid_t r, e, s;
        ::getresuid(&r, &e, &s);
        if (r != spec.uid || e != spec.uid || s != spec.uid)
            return make_error(Errc::Failed, "uids did not all change");
    }
    for (cap_value_t c = 0; c <= last; ++c) {
        if (kept(spec.keep_caps, c)) continue;
        CapPtr probe(cap_get_proc());
        if (!probe) return Error::from_errno("cap_get_proc");
        cap_set_flag(probe.get(), CAP_EFFECTIVE, 1, &c, CAP_SET);
        cap_set_flag(probe.get(), CAP_PERMITTED, 1, &c, CAP_SET);
        if (cap_set_proc(probe.get()) == 0)
            return make_error(Errc::Failed, std::string("could raise dropped capability ") +
                                                cap_name(c));
    }
    return verify_capabilities(spec.keep_caps);
}

}  // namespace closedpaw
