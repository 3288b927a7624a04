// gVisor's runsc. Flags that matter for security are fixed here, not configurable:
// --network=none (no interfaces but loopback), --oci-seccomp (apply the spec's seccomp inside
// the sandbox; without it runsc ignores linux.seccomp), and a dedicated --root so that stale
// containers from a crash are found and deleted at start.
#include <algorithm>

#include "runtime.hpp"

namespace closedpaw::broker {

namespace {

class RunscBackend final : public RuntimeBackend {
  public:
    explicit RunscBackend(const BrokerConfig& c)
        : path_(c.runsc_path), root_(c.runtime_state_dir("runsc")) {
        global_ = {path_, "--root=" + root_, "--platform=" + c.runsc_platform, "--network=none"};
        for (const auto& a : c.runsc_extra_args) global_.push_back(a);
    }

    std::string name() const override { return "runsc"; }
    std::string binary() const override { return path_; }

    std::vector<std::string> run_argv(std::string_view id, std::string_view bundle) const override {
        auto argv = global_;
        argv.insert(argv.end(),
                    {"--oci-seccomp", "run", "--bundle", std::string(bundle), std::string(id)});
        return argv;
    }
    std::vector<std::string> delete_argv(std::string_view id) const override {
        auto argv = global_;
        argv.insert(argv.end(), {"delete", "--force", std::string(id)});
        return argv;
    }
    std::vector<std::string> list_argv() const override {
        auto argv = global_;
        argv.insert(argv.end(), {"list", "--quiet"});
        return argv;
    }
    bool applies_oci_seccomp() const override { return true; }

  private:
    std::string path_;
    std::string root_;
    std::vector<std::string> global_;
};

}  // namespace

std::unique_ptr<RuntimeBackend> make_runsc_backend(const BrokerConfig& config) {
    return std::make_unique<RunscBackend>(config);
}

bool valid_container_id(std::string_view id) {
    if (id.size() < 4 || id.size() > 64 || id.substr(0, 3) != "cp-") return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

std::vector<std::string> parse_container_list(std::string_view output) {
    std::vector<std::string> ids;
    while (!output.empty()) {
        auto nl = output.find('\n');
        auto line = output.substr(0, nl);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
        if (valid_container_id(line)) ids.emplace_back(line);
        if (nl == std::string_view::npos) break;
        output.remove_prefix(nl + 1);
    }
    return ids;
}

}  // namespace closedpaw::broker
