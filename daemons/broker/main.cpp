// closedpaw-brokerd: runs skills in gVisor (or Kata) for the front daemon. See sandbox_manager
// for runs, broker_server and verb_table for the socket, broker_hardening for confinement.
#include <sys/stat.h>
#include <unistd.h>

#include <sdbus-c++/sdbus-c++.h>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>

#include "broker_bus.hpp"
#include "broker_config.hpp"
#include "broker_hardening.hpp"
#include "broker_server.hpp"
#include "bundle_builder.hpp"
#include "common/event_loop.hpp"
#include "common/log.hpp"
#include "common/privdrop.hpp"
#include "common/unix_socket.hpp"
#include "launcher.hpp"
#include "runtime.hpp"
#include "sandbox_manager.hpp"

using namespace closedpaw;
using namespace closedpaw::broker;

namespace {

int fail(const std::string& what) {
    log::error(what);
    return 1;
}

Result<UniqueFd> open_listener(const BrokerConfig& c, const UserIdentity& front) {
    if (auto fd = activated_socket()) return UniqueFd(*fd);
    auto dir = c.socket.substr(0, c.socket.rfind('/'));
    CP_TRY(ensure_directory(dir, 0755));
    auto fd = listen_seqpacket(c.socket, 0660);
    if (!fd) return fd;
    // Only root and the front daemon's group may connect; SO_PEERCRED is checked anyway.
    if (::chown(c.socket.c_str(), 0, front.gid) != 0) return Error::from_errno("chown " + c.socket);
    return fd;
}

}  // namespace

int main(int argc, char** argv) {
    std::string config_path = std::string(CLOSEDPAW_SYSCONFDIR) + "/broker.toml";
    bool explicit_config = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
            explicit_config = true;
        } else if (std::strcmp(argv[i], "--version") == 0) {
            std::cout << "closedpaw-brokerd " << CLOSEDPAW_VERSION << "\n";
            return 0;
        } else {
            std::cerr << "usage: closedpaw-brokerd [--config PATH] [--version]\n";
            return 2;
        }
    }
    log::init("closedpaw-brokerd");
    if (::geteuid() != 0) return fail("closedpaw-brokerd must start as root (it runs runsc)");
    ::umask(0077);

    auto config = load_broker_config(config_path, explicit_config);
    if (!config) return fail("configuration: " + config.error().message);
    auto front = lookup_user(config->front_user);
    if (!front) return fail("front_user: " + front.error().message);
    auto seccomp = load_sandbox_seccomp(config->sandbox_seccomp_path());
    if (!seccomp) return fail("sandbox seccomp profile: " + seccomp.error().message);
    for (const auto& [dir, mode] : {std::pair{config->run_dir, 0700},
                                    {config->bundle_dir(), 0700},
                                    {config->workspace_root, 0755}}) {
        if (auto r = ensure_directory(dir, static_cast<mode_t>(mode)); !r)
            return fail(r.error().message);
    }
    auto listener = open_listener(*config, *front);
    if (!listener) return fail("socket: " + listener.error().message);

    // Backends and the launcher first: the launcher keeps what runsc needs, and is forked
    // before this process confines itself.
    auto runsc = make_runsc_backend(*config);
    auto kata = make_kata_backend(*config);
    std::map<std::string, const RuntimeBackend*> backends{{runsc->name(), runsc.get()},
                                                          {kata->name(), kata.get()}};
    std::vector<const RuntimeBackend*> candidates;
    if (config->runtime != RuntimeChoice::Kata) candidates.push_back(runsc.get());
    if (config->runtime != RuntimeChoice::Runsc) candidates.push_back(kata.get());
    auto launcher = Launcher::start(backends, config->bundle_dir(), launcher_capabilities());
    if (!launcher) return fail("launcher: " + launcher.error().message);

    EventLoop loop;
    SandboxManager manager(*config, loop, *launcher, std::move(*seccomp));
    for (const auto& note : manager.clean_stale({runsc.get(), kata.get()})) log::notice(note);
    manager.detect_runtime(candidates);
    auto status = manager.status();
    if (status.runtime == "none")
        log::error("no sandbox runtime is usable; runs will be refused: " + status.runtime_detail);
    else
        log::info("sandbox runtime: " + status.runtime_detail);

    if (auto r = confine_broker_capabilities(); !r)
        return fail("dropping capabilities: " + r.error().message);

    // The bus is optional: status on D-Bus is a convenience, the socket is the service.
    std::unique_ptr<sdbus::IConnection> bus;
    std::unique_ptr<BrokerBus> bus_object;
    if (config->dbus) {
        try {
            bus = sdbus::createSystemBusConnection();
            bus_object = std::make_unique<BrokerBus>(*bus, manager);
            loop.attach_bus(*bus);
        } catch (const sdbus::Error& e) {
            bus_object.reset();
            bus.reset();
            log::warning(std::string("D-Bus status is unavailable, serving without it: ") +
                         e.what());
        }
    }

    if (auto r = confine_broker_syscalls(config->broker_seccomp_path()); !r)
        return fail("seccomp: " + r.error().message);
    // The name is taken only once the filter is in place: whoever sees the broker on the
    // bus sees it confined.
    if (bus) {
        try {
            bus->requestName(kBusName);
        } catch (const sdbus::Error& e) {
            // The connection stays attached to the loop, nameless and unreachable.
            log::warning(std::string("D-Bus status name refused, serving without it: ") +
                         e.what());
        }
    }

    BrokerServer server(*config, loop, manager, std::move(*listener), front->uid);
    EventLoop::notify_ready("serving on " + config->socket + ", runtime " + status.runtime);
    log::info("serving on " + config->socket);
    int rc = loop.run();
    manager.shutdown();
    return rc;
}
