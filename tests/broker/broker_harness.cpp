#include "broker_harness.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace brokertest {

using namespace closedpaw;
using namespace closedpaw::broker;
namespace fs = std::filesystem;

namespace {
std::vector<std::string> entries(const std::string& dir, bool dirs_only) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (dirs_only && !e.is_directory()) continue;
        out.push_back(e.path().filename().string());
    }
    return out;
}
}  // namespace

std::string build_path(const std::string& rel) {
    return cptest::build_root() + "/" + rel;
}

std::string attacker_manifest() {
    std::ifstream in(cptest::source_root() + "/tests/skills/attacker/skill.toml");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void require_root_and_runsc() {
    if (!cptest::is_root()) {
        std::cout << "SKIP: the broker tests need root (the broker runs runsc as root)\n";
        std::exit(77);
    }
    if (::access("/usr/bin/runsc", X_OK) != 0) {
        std::cout
            << "SKIP: runsc is not installed (/usr/bin/runsc); install it with scripts/deps\n";
        std::exit(77);
    }
}

BrokerHarness::BrokerHarness(HarnessOptions options) : options_(std::move(options)) {
    dir_ = cptest::make_temp_dir("broker");
    ::chmod(dir_.c_str(), 0755);
    cgroup_parent_ =
        "cptest-" + std::to_string(::getpid()) + "-" + fs::path(dir_).filename().string();
    for (auto& c : cgroup_parent_)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') c = '-';
    fs::create_directories(dir_ + "/skills");
    ::chmod((dir_ + "/skills").c_str(), 0755);
    add_skill("attacker", attacker_manifest());
    std::ofstream cfg(dir_ + "/broker.toml");
    cfg << "socket = \"" << socket() << "\"\n"
        << "front_user = \"" << options_.front_user << "\"\n"
        << "skill_dir = \"" << dir_ << "/skills\"\n"
        << "workspace_root = \"" << workspaces() << "\"\n"
        << "run_dir = \"" << dir_ << "/run\"\n"
        << "policy_dir = \"" << cptest::source_root() << "/policy\"\n"
        << "probe_executable = \"" << build_path("daemons/broker/probe/closedpaw-sandbox-probe")
        << "\"\n"
        << "cgroup_parent = \"" << cgroup_parent_ << "\"\n";
    bool has_dbus = false;
    for (const auto& line : options_.extra_config) {
        cfg << line << "\n";
        has_dbus |= line.rfind("dbus", 0) == 0;
    }
    if (!has_dbus) cfg << "dbus = false\n";
    cfg.close();
    start();
}

BrokerHarness::~BrokerHarness() {
    int status = proc_.stop();
    // The daemon's log goes into the test log: it is what explains a failure.
    std::string log = proc_.log();
    if (log.size() > 6000) log = "..." + log.substr(log.size() - 6000);
    std::cout << "---- closedpaw-brokerd log (exit status " << status << ") ----\n" << log;
    for (const auto& root : {"/sys/fs/cgroup"}) {
        for (const auto& ctrl : entries(root, true)) {
            std::string p = std::string(root) + "/" + ctrl + "/" + cgroup_parent_;
            for (const auto& child : entries(p, true)) ::rmdir((p + "/" + child).c_str());
            ::rmdir(p.c_str());
        }
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

void BrokerHarness::add_skill(const std::string& id, const std::string& manifest) const {
    std::string d = dir_ + "/skills/" + id;
    fs::create_directories(d);
    ::chmod(d.c_str(), 0755);
    fs::copy_file(build_path("tests/skills/attacker/attacker"), d + "/attacker",
                  fs::copy_options::overwrite_existing);
    ::chmod((d + "/attacker").c_str(), 0755);
    std::ofstream(d + "/skill.toml") << manifest;
}

void BrokerHarness::start() {
    std::vector<std::string> env = options_.env;
    env.push_back("CLOSEDPAW_LOG=stderr");
    proc_ = cptest::Process::start(
        {build_path("daemons/broker/closedpaw-brokerd"), "--config", dir_ + "/broker.toml"},
        dir_ + "/broker.log", env);
    bool up =
        cptest::eventually([&] { return BrokerClient::open(socket()).ok() || !proc_.running(); },
                           std::chrono::milliseconds(30000));
    if (!up || !proc_.running())
        throw std::runtime_error("closedpaw-brokerd did not start:\n" + proc_.log());
    if (options_.expect_runtime) {
        auto status = client().status();
        if (!status || status->runtime == "none") {
            std::cout << "SKIP: runsc cannot run sandboxes here: "
                      << (status ? status->runtime_detail : status.error().message) << "\n";
            std::exit(77);
        }
    }
}

void BrokerHarness::restart() {
    start();
}

BrokerClient BrokerHarness::client() const {
    auto c = BrokerClient::open(socket());
    if (!c) throw std::runtime_error("cannot connect to the broker: " + c.error().message);
    return std::move(*c);
}

RunResult BrokerHarness::run(const std::string& op, nlohmann::json params,
                             const std::string& workspace, LimitsRequest limits) const {
    auto c = client();
    RunRequest req;
    req.skill = "attacker";
    req.operation = op;
    req.params = std::move(params);
    req.workspace = workspace;
    req.limits = limits;
    auto r = c.run(req);
    if (!r) throw std::runtime_error("run " + op + " failed: " + r.error().message);
    return *r;
}

std::vector<std::string> BrokerHarness::leftover_bundles() const {
    return entries(bundles(), false);
}

std::vector<std::string> BrokerHarness::leftover_containers() const {
    auto r = cptest::run({"/usr/bin/runsc", "--root=" + runsc_root(), "list", "--quiet"});
    std::vector<std::string> ids;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) ids.push_back(line);
    return ids;
}

std::vector<std::string> BrokerHarness::leftover_cgroups() const {
    std::vector<std::string> out;
    for (const auto& ctrl : entries("/sys/fs/cgroup", true))
        for (const auto& child : entries("/sys/fs/cgroup/" + ctrl + "/" + cgroup_parent_, true))
            out.push_back(ctrl + "/" + child);
    return out;
}

std::size_t BrokerHarness::open_fds() const {
    return entries("/proc/" + std::to_string(proc_.pid()) + "/fd", false).size();
}

}  // namespace brokertest
