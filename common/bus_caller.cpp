#include "bus_caller.hpp"

#include <sdbus-c++/sdbus-c++.h>
#include <algorithm>
#include <map>

namespace closedpaw {

bool BusCaller::in_group(gid_t gid) const {
    return std::find(gids.begin(), gids.end(), gid) != gids.end();
}

BusCallerResolver::BusCallerResolver(sdbus::IConnection& bus, std::size_t cache_cap)
    : dbus_(sdbus::createProxy(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus")),
      cache_cap_(cache_cap) {}

BusCallerResolver::~BusCallerResolver() = default;

Result<BusCaller> BusCallerResolver::resolve(const sdbus::Message& msg) {
    return resolve(msg.getSender());
}

Result<BusCaller> BusCallerResolver::resolve(const std::string& sender) {
    if (sender.empty() || sender[0] != ':')
        return make_error(Errc::AccessDenied, "caller has no unique bus name");
    if (auto it = cache_.find(sender); it != cache_.end()) return it->second;

    std::map<std::string, sdbus::Variant> creds;
    try {
        dbus_->callMethod("GetConnectionCredentials")
            .onInterface("org.freedesktop.DBus")
            .withArguments(sender)
            .storeResultsTo(creds);
    } catch (const sdbus::Error& e) {
        return make_error(Errc::AccessDenied,
                          "cannot learn the caller's credentials: " + e.getMessage());
    }
    BusCaller caller;
    caller.sender = sender;
    auto uid = creds.find("UnixUserID");
    if (uid == creds.end())
        return make_error(Errc::AccessDenied, "the bus did not report the caller's uid");
    caller.uid = uid->second.get<uint32_t>();
    if (auto pid = creds.find("ProcessID"); pid != creds.end())
        caller.pid = static_cast<pid_t>(pid->second.get<uint32_t>());
    if (auto g = creds.find("UnixGroupIDs"); g != creds.end()) {
        for (auto v : g->second.get<std::vector<uint32_t>>()) caller.gids.push_back(v);
    }
    // Bounded: a flood of short-lived clients must not grow this without limit.
    if (cache_.size() >= cache_cap_) cache_.clear();
    cache_.emplace(sender, caller);
    return caller;
}

std::string bus_error_name(Errc code) {
    return std::string("org.closedpaw.Error.") + errc_name(code);
}

sdbus::Error to_bus_error(const Error& error) {
    return sdbus::Error(bus_error_name(error.code), error.message);
}

}  // namespace closedpaw
