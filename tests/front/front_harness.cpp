#include "front_harness.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <thread>

namespace fronttest {

namespace fs = std::filesystem;
constexpr const char* kIface = "org.closedpaw.ClosedPaw1.Manager";
constexpr uid_t kSandboxUid = 65534;

void require_stack() {
    if (auto why = cptest::missing_test_users()) {
        std::cout << "SKIP: " << *why << "\n";
        std::exit(77);
    }
    if (cptest::run({"runsc", "--version"}).exit_code != 0) {
        std::cout << "SKIP: runsc is not installed (scripts/deps installs it)\n";
        std::exit(77);
    }
}

FrontHarness::FrontHarness(FrontOptions options) {
    dir_ = cptest::make_temp_dir("front");
    cgroup_parent_ = "cptest-front-" + std::to_string(::getpid()) + "-" +
                     fs::path(dir_).filename().string().substr(13);
    for (auto& c : cgroup_parent_)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') c = '-';
    fs::create_directories(dir_ + "/policy.d");
    fs::create_directories(workspace());
    ::chmod((dir_ + "/ws").c_str(), 0755);
    ::chmod(workspace().c_str(), 0700);
    ::chown(workspace().c_str(), kSandboxUid, kSandboxUid);
    if (!options.policy_override.empty())
        std::ofstream(dir_ + "/policy.d/50-test.toml") << options.policy_override;
    std::ofstream(dir_ + "/broker.toml")
        << "socket = \"" << dir_ << "/broker.sock\"\n"
        << "front_user = \"closedpaw\"\n"
        << "skill_dir = \"" << cptest::build_root() << "/skills/staged\"\n"
        << "workspace_root = \"" << dir_ << "/ws\"\n"
        << "run_dir = \"" << dir_ << "/run\"\n"
        << "policy_dir = \"" << cptest::source_root() << "/policy\"\n"
        << "probe_executable = \"" << cptest::build_root()
        << "/daemons/broker/probe/closedpaw-sandbox-probe\"\n"
        << "cgroup_parent = \"" << cgroup_parent_ << "\"\n"
        << "dbus = false\n";
    std::ofstream(dir_ + "/closedpawd.toml")
        << "[daemon]\n"
        << "state_directory = \"" << state() << "\"\n"
        << "skill_dir = \"" << cptest::build_root() << "/skills/staged\"\n"
        << "broker_socket = \"" << dir_ << "/broker.sock\"\n"
        << "policy_file = \"" << cptest::source_root() << "/policy/front/policy.toml\"\n"
        << "policy_dir = \"" << dir_ << "/policy.d\"\n"
        << "seccomp_profile = \"" << cptest::source_root() << "/policy/seccomp/closedpawd.toml\"\n"
        << "injection_policy_dir = \"" << cptest::source_root() << "/policy/injection\"\n";
    if (options.start_broker) start_broker();
    start_front();
}

FrontHarness::~FrontHarness() {
    front_.stop();
    broker_.stop();
    if (std::uncaught_exceptions() == 0) {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
}

void FrontHarness::start_broker() {
    broker_ = cptest::Process::start({cptest::build_root() + "/daemons/broker/closedpaw-brokerd",
                                      "--config", dir_ + "/broker.toml"},
                                     dir_ + "/brokerd.log");
    struct stat st {};
    std::string sock = dir_ + "/broker.sock";
    if (!cptest::eventually(
            [&] {
                return ::stat(sock.c_str(), &st) == 0 &&
                       broker_.log().find("serving") != std::string::npos;
            },
            std::chrono::milliseconds(20000)))
        throw std::runtime_error("brokerd did not start:\n" + broker_.log());
}

void FrontHarness::stop_broker() {
    broker_.stop();
}

void FrontHarness::start_front() {
    front_ = cptest::Process::start(
        {cptest::build_root() + "/daemons/front/closedpawd", "--config", dir_ + "/closedpawd.toml"},
        dir_ + "/closedpawd.log");
    // Each harness has a fresh state directory, so closedpawd compiles the injection pattern
    // set before it takes its bus name: about 6 s of CPU alone, and CI runs other tests beside
    // it on two cores.
    if (!cptest::wait_for_bus_name("org.closedpaw.ClosedPaw1", std::chrono::seconds(60)))
        throw std::runtime_error("closedpawd did not start:\n" + front_.log());
}

void FrontHarness::stop_front() {
    front_.stop();
    cptest::eventually([] {
        return !cptest::wait_for_bus_name("org.closedpaw.ClosedPaw1", std::chrono::milliseconds(0));
    });
}

void FrontHarness::kill9_front() {
    front_.kill9();
    cptest::eventually([] {
        return !cptest::wait_for_bus_name("org.closedpaw.ClosedPaw1", std::chrono::milliseconds(0));
    });
}

void FrontHarness::put_file(const std::string& name, const std::string& content) const {
    std::string p = workspace() + "/" + name;
    std::ofstream(p) << content;
    ::chown(p.c_str(), kSandboxUid, kSandboxUid);
}

Submitted submit(sdbus::IProxy& p, const std::string& type, const std::string& skill,
                 const VariantMap& params) {
    Submitted s;
    p.callMethod("SubmitAction")
        .onInterface(kIface)
        .withArguments(type, skill, params)
        .storeResultsTo(s.id, s.status, s.level);
    return s;
}

VariantMap get_action(sdbus::IProxy& p, const std::string& id) {
    VariantMap m;
    p.callMethod("GetAction").onInterface(kIface).withArguments(id).storeResultsTo(m);
    return m;
}

std::string status_of(sdbus::IProxy& p, const std::string& id) {
    return get_action(p, id)["status"].get<std::string>();
}

std::string front_call(const std::function<void(sdbus::IProxy&)>& call) {
    auto conn = sdbus::createSystemBusConnection();
    auto proxy = sdbus::createProxy(*conn, "org.closedpaw.ClosedPaw1", "/org/closedpaw/ClosedPaw1");
    try {
        call(*proxy);
        return "ok";
    } catch (const sdbus::Error& e) {
        return e.getName();
    }
}

std::string wait_done(const std::string& id, std::chrono::milliseconds timeout) {
    std::string st;
    cptest::eventually(
        [&] {
            front_call([&](sdbus::IProxy& p) { st = status_of(p, id); });
            return st != "pending" && st != "approved" && st != "executing";
        },
        timeout);
    return st;
}

void approve(sdbus::IProxy& p, const std::string& id, const std::string& digest) {
    p.callMethod("ApproveAction").onInterface(kIface).withArguments(id, digest);
}

std::string digest_of(const std::string& id) {
    std::string d;
    front_call([&](sdbus::IProxy& p) { d = get_action(p, id)["digest"].get<std::string>(); });
    return d;
}

std::tuple<bool, uint64_t, std::string> verify_audit() {
    std::tuple<bool, uint64_t, std::string> v;
    auto r = front_call([&](sdbus::IProxy& p) {
        p.callMethod("VerifyAuditLog")
            .onInterface(kIface)
            .storeResultsTo(std::get<0>(v), std::get<1>(v), std::get<2>(v));
    });
    if (r != "ok") std::get<2>(v) = r;
    return v;
}

}  // namespace fronttest
