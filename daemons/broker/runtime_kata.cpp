// Kata Containers through its runc-compatible OCI CLI (kata-runtime run/delete/list, as in
// Kata 1.x). Kata 2.x dropped that CLI in favour of containerd-shim-kata-v2; such an install
// fails the start-up probe and is reported as unusable rather than half-used. Kata applies
// seccomp in its guest agent only when the agent was built and configured to; the broker does
// not claim it, so runsc stays the preferred runtime.
#include "runtime.hpp"

namespace closedpaw::broker {

namespace {

class KataBackend final : public RuntimeBackend {
  public:
    explicit KataBackend(const BrokerConfig& c)
        : path_(c.kata_path), root_(c.runtime_state_dir("kata")) {}

    std::string name() const override { return "kata-runtime"; }
    std::string binary() const override { return path_; }

    std::vector<std::string> run_argv(std::string_view id, std::string_view bundle) const override {
        return {path_, "--root", root_, "run", "--bundle", std::string(bundle), std::string(id)};
    }
    std::vector<std::string> delete_argv(std::string_view id) const override {
        return {path_, "--root", root_, "delete", "--force", std::string(id)};
    }
    std::vector<std::string> list_argv() const override {
        return {path_, "--root", root_, "list", "--quiet"};
    }
    bool applies_oci_seccomp() const override { return false; }

  private:
    std::string path_;
    std::string root_;
};

}  // namespace

std::unique_ptr<RuntimeBackend> make_kata_backend(const BrokerConfig& config) {
    return std::make_unique<KataBackend>(config);
}

}  // namespace closedpaw::broker
