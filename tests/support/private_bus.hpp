// A real dbus-daemon with a system-bus-like configuration and ClosedPaw's own policy files
// (policy/dbus/). Sets DBUS_SYSTEM_BUS_ADDRESS for this process, so every client in the test,
// and every daemon it starts, talks to it.
#pragma once

#include <string>

#include "process.hpp"

namespace cptest {

class PrivateBus {
  public:
    PrivateBus();
    ~PrivateBus();
    const std::string& address() const { return address_; }
    const std::string& dir() const { return dir_; }
    std::string env() const { return "DBUS_SYSTEM_BUS_ADDRESS=" + address_; }

  private:
    std::string dir_;
    std::string address_;
    Process daemon_;
};

// Waits until name has an owner on the bus at address.
bool wait_for_bus_name(const std::string& name,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

}  // namespace cptest
