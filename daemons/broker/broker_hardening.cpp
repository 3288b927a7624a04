#include "broker_hardening.hpp"

#include "common/privdrop.hpp"
#include "common/seccomp.hpp"

namespace closedpaw::broker {

const std::vector<cap_value_t>& launcher_capabilities() {
    static const std::vector<cap_value_t> caps = {
        CAP_SYS_ADMIN, CAP_SYS_CHROOT,   CAP_SETUID,          CAP_SETGID, CAP_SYS_PTRACE,
        CAP_KILL,      CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_CHOWN,
        CAP_FSETID,    CAP_SETPCAP,      CAP_NET_ADMIN};
    return caps;
}

const std::vector<cap_value_t>& broker_capabilities() {
    static const std::vector<cap_value_t> caps = {CAP_CHOWN, CAP_NET_ADMIN};
    return caps;
}

Result<void> confine_broker_capabilities() {
    return drop_privileges(DropSpec{0, 0, {}, broker_capabilities()});
}

Result<void> confine_broker_syscalls(const std::string& policy_path) {
    auto policy = load_seccomp_policy(policy_path);
    if (!policy) return std::move(policy).error();
    return apply_seccomp(*policy);
}

}  // namespace closedpaw::broker
