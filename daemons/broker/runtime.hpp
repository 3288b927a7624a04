// Runtime backends behind one interface. A backend only builds argv vectors (never a shell
// string) for the OCI CLI verbs the broker uses; the launcher executes them. Both runsc and
// kata-runtime speak the runc-style CLI: run (create+start+wait), delete --force, list.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "broker_config.hpp"

namespace closedpaw::broker {

class RuntimeBackend {
  public:
    virtual ~RuntimeBackend() = default;
    virtual std::string name() const = 0;
    virtual std::string binary() const = 0;
    // Creates, starts and waits for container_id from the bundle; exits with its status.
    virtual std::vector<std::string> run_argv(std::string_view container_id,
                                              std::string_view bundle) const = 0;
    // Kills and removes the container whatever state it is in.
    virtual std::vector<std::string> delete_argv(std::string_view container_id) const = 0;
    // Lists containers in this broker's state root, ids only, one per line.
    virtual std::vector<std::string> list_argv() const = 0;
    // Whether the spec's linux.seccomp is enforced by this runtime.
    virtual bool applies_oci_seccomp() const = 0;
};

std::unique_ptr<RuntimeBackend> make_runsc_backend(const BrokerConfig& config);
std::unique_ptr<RuntimeBackend> make_kata_backend(const BrokerConfig& config);

// Parses `list --quiet` output into container ids, keeping only well-formed ones.
std::vector<std::string> parse_container_list(std::string_view output);
// Container ids the broker makes: "cp-" + run id.
bool valid_container_id(std::string_view id);

}  // namespace closedpaw::broker
