#include "private_bus.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <sdbus-c++/sdbus-c++.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace cptest {

namespace {

void replace_all(std::string& s, const std::string& from, const std::string& to) {
    for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
        s.replace(pos, from.size(), to);
}

}  // namespace

PrivateBus::PrivateBus() {
    dir_ = make_temp_dir("bus");
    std::string socket = dir_ + "/system_bus_socket";
    std::ifstream in(source_root() + "/tests/support/private-system-bus.conf.in");
    std::stringstream s;
    s << in.rdbuf();
    std::string conf = s.str();
    replace_all(conf, "@SOCKET@", socket);
    replace_all(conf, "@POLICYDIR@", source_root() + "/policy/dbus");
    std::ofstream(dir_ + "/bus.conf") << conf;

    daemon_ = Process::start(
        {"dbus-daemon", "--config-file=" + dir_ + "/bus.conf", "--nofork", "--nopidfile"},
        dir_ + "/dbus-daemon.log");
    struct stat st {};
    if (!eventually([&] { return ::stat(socket.c_str(), &st) == 0; }))
        throw std::runtime_error("dbus-daemon did not start: " + daemon_.log());
    address_ = "unix:path=" + socket;
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", address_.c_str(), 1);
}

PrivateBus::~PrivateBus() {
    daemon_.stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

bool wait_for_bus_name(const std::string& name, std::chrono::milliseconds timeout) {
    return eventually(
        [&] {
            try {
                auto conn = sdbus::createSystemBusConnection();
                auto proxy =
                    sdbus::createProxy(*conn, "org.freedesktop.DBus", "/org/freedesktop/DBus");
                bool has = false;
                proxy->callMethod("NameHasOwner")
                    .onInterface("org.freedesktop.DBus")
                    .withArguments(name)
                    .storeResultsTo(has);
                return has;
            } catch (const sdbus::Error&) {
                return false;
            }
        },
        timeout);
}

}  // namespace cptest
