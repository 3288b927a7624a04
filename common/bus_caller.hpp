// Who is calling, according to the bus. Authorization uses only this: the bus daemon learned
// the caller's uid, gids and pid from the kernel (SO_PEERCRED) when it connected, and the
// sender's unique name cannot be forged. Nothing a caller passes as an argument is trusted.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "result.hpp"

namespace sdbus {
class IConnection;
class IProxy;
class Message;
class Error;
}  // namespace sdbus

namespace closedpaw {

struct BusCaller {
    std::string sender;  // unique bus name, e.g. ":1.42"
    uid_t uid = static_cast<uid_t>(-1);
    pid_t pid = 0;
    std::vector<gid_t> gids;  // primary and supplementary, as the bus saw them at connect time

    bool in_group(gid_t gid) const;
};

class BusCallerResolver {
  public:
    explicit BusCallerResolver(sdbus::IConnection& bus, std::size_t cache_cap = 1024);
    ~BusCallerResolver();

    // Resolves the sender of msg. Unique names are never reused while the bus runs and a
    // connection's credentials are fixed at connect time, so caching by name is exact.
    Result<BusCaller> resolve(const sdbus::Message& msg);
    Result<BusCaller> resolve(const std::string& sender);

  private:
    std::unique_ptr<sdbus::IProxy> dbus_;
    std::unordered_map<std::string, BusCaller> cache_;
    std::size_t cache_cap_;
};

// org.closedpaw.Error.<Code> with the error's message; thrown from D-Bus method handlers.
sdbus::Error to_bus_error(const Error& error);
std::string bus_error_name(Errc code);

}  // namespace closedpaw
