// Small typed wrappers over the vault's D-Bus methods for tests.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <string>
#include <vector>

namespace cptest::vault_calls {

inline constexpr const char* kIface = "org.closedpaw.Vault1";

inline void store(sdbus::IProxy& p, const std::string& name, const std::string& value,
                  const std::string& level = "standard") {
    p.callMethod("Store").onInterface(kIface).withArguments(
        name, std::vector<uint8_t>(value.begin(), value.end()), level);
}

inline std::string retrieve(sdbus::IProxy& p, const std::string& name) {
    std::vector<uint8_t> v;
    p.callMethod("Retrieve").onInterface(kIface).withArguments(name).storeResultsTo(v);
    return {v.begin(), v.end()};
}

inline void remove(sdbus::IProxy& p, const std::string& name) {
    p.callMethod("Delete").onInterface(kIface).withArguments(name);
}

inline std::vector<std::map<std::string, sdbus::Variant>> list(sdbus::IProxy& p) {
    std::vector<std::map<std::string, sdbus::Variant>> out;
    p.callMethod("List").onInterface(kIface).storeResultsTo(out);
    return out;
}

inline void set_readers(sdbus::IProxy& p, const std::string& name,
                        const std::vector<uint32_t>& uids) {
    p.callMethod("SetReaders").onInterface(kIface).withArguments(name, uids);
}

inline void lock(sdbus::IProxy& p) {
    p.callMethod("Lock").onInterface(kIface);
}

inline void unlock(sdbus::IProxy& p, const std::string& pass) {
    p.callMethod("Unlock").onInterface(kIface).withArguments(
        std::vector<uint8_t>(pass.begin(), pass.end()));
}

inline void rotate(sdbus::IProxy& p) {
    p.callMethod("RotateKey").onInterface(kIface);
}

inline std::vector<std::map<std::string, sdbus::Variant>> access_log(sdbus::IProxy& p,
                                                                     uint32_t limit) {
    std::vector<std::map<std::string, sdbus::Variant>> out;
    p.callMethod("GetAccessLog").onInterface(kIface).withArguments(limit).storeResultsTo(out);
    return out;
}

}  // namespace cptest::vault_calls
