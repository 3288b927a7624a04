#include "seccomp.hpp"

#include <seccomp.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "config.hpp"

namespace closedpaw {

namespace {

struct CtxFree {
    void operator()(scmp_filter_ctx c) const { seccomp_release(c); }
};

Result<int> errno_by_name(const TableView& t, const std::string& name) {
    if (name == "EPERM") return EPERM;
    if (name == "EACCES") return EACCES;
    if (name == "ENOSYS") return ENOSYS;
    return t.error("errno", "unsupported errno '" + name + "' (use EPERM, EACCES or ENOSYS)");
}

}  // namespace

Result<SeccompPolicy> load_seccomp_policy(const std::string& path) {
    auto file = ConfigFile::load(path);
    if (!file) return std::move(file).error();
    auto root = file->root();
    CP_TRY(root.only_keys({"default_action", "errno", "allow", "allow_if", "description"}));
    SeccompPolicy policy;
    policy.source = path;

    auto action = root.get_string("default_action");
    if (!action) return std::move(action).error();
    std::string act = action->value_or("errno");
    if (act == "kill") {
        policy.deny_errno = 0;
    } else if (act == "errno") {
        auto en = root.get_string("errno");
        if (!en) return std::move(en).error();
        auto v = errno_by_name(root, en->value_or("EPERM"));
        if (!v) return std::move(v).error();
        policy.deny_errno = *v;
    } else {
        return root.error("default_action", "expected \"errno\" or \"kill\"");
    }

    auto allow = root.get_string_array("allow");
    if (!allow) return std::move(allow).error();
    if (!*allow || (*allow)->empty())
        return root.error("allow", "an allow-list must name syscalls");
    for (const auto& name : **allow) {
        if (seccomp_syscall_resolve_name(name.c_str()) == __NR_SCMP_ERROR)
            return root.error("allow", "unknown syscall '" + name + "' on this architecture");
        if (name == kSeccompProbeSyscall)
            return root.error("allow", std::string(kSeccompProbeSyscall) +
                                           " is the probe syscall and may not be allowed");
        policy.allow.push_back(name);
    }

    auto rules = root.get_table_array("allow_if");
    if (!rules) return std::move(rules).error();
    for (const auto& r : *rules) {
        CP_TRY(r.only_keys({"syscall", "arg", "values"}));
        SeccompArgRule rule;
        auto sc = r.require_string("syscall");
        if (!sc) return std::move(sc).error();
        if (seccomp_syscall_resolve_name(sc->c_str()) == __NR_SCMP_ERROR)
            return r.error("syscall", "unknown syscall '" + *sc + "' on this architecture");
        rule.syscall = *sc;
        auto arg = r.get_int("arg", 0, 5);
        if (!arg) return std::move(arg).error();
        rule.arg = static_cast<unsigned>(arg->value_or(0));
        auto vals = r.get_int_array("values");
        if (!vals) return std::move(vals).error();
        if (!*vals || (*vals)->empty()) return r.error("values", "list the allowed values");
        for (auto v : **vals) rule.values.push_back(static_cast<std::uint64_t>(v));
        policy.allow_if.push_back(std::move(rule));
    }
    return policy;
}

Result<void> apply_seccomp(const SeccompPolicy& policy) {
    const uint32_t deny = policy.deny_errno == 0
                              ? SCMP_ACT_KILL_PROCESS
                              : SCMP_ACT_ERRNO(static_cast<uint32_t>(policy.deny_errno));
    std::unique_ptr<void, CtxFree> ctx(seccomp_init(deny));
    if (!ctx) return make_error(Errc::Failed, "seccomp_init failed");
    // Apply to every thread (sd-bus, libsodium or others may have started some).
    if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_TSYNC, 1); rc != 0)
        return Error::from_errno("seccomp TSYNC", -rc);

    for (const auto& name : policy.allow) {
        int nr = seccomp_syscall_resolve_name(name.c_str());
        if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, nr, 0); rc != 0)
            return Error::from_errno("seccomp rule for " + name, -rc);
    }
    for (const auto& rule : policy.allow_if) {
        int nr = seccomp_syscall_resolve_name(rule.syscall.c_str());
        for (auto v : rule.values) {
            scmp_arg_cmp cmp{rule.arg, SCMP_CMP_EQ, v, 0};
            if (int rc = seccomp_rule_add_array(ctx.get(), SCMP_ACT_ALLOW, nr, 1, &cmp); rc != 0)
                return Error::from_errno("seccomp conditional rule for " + rule.syscall, -rc);
        }
    }
    if (int rc = seccomp_load(ctx.get()); rc != 0)
        return Error::from_errno("seccomp_load (" + policy.source + ")", -rc);

    // Probe: pid 0 gives ESRCH when the syscall is allowed, so any other answer but our
    // errno means the filter is not what we think.
    if (policy.deny_errno != 0) {
        errno = 0;
        long rc = ::syscall(SYS_process_vm_readv, 0, nullptr, 0, nullptr, 0, 0);
        if (rc != -1 || errno != policy.deny_errno)
            return make_error(Errc::Failed, "seccomp filter from " + policy.source +
                                                " is not in force (probe syscall was not refused)");
    }
    return {};
}

}  // namespace closedpaw
