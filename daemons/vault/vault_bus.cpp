#include "vault_bus.hpp"

#include "secure_bytes.hpp"

namespace closedpaw::vault {

namespace {

void check(const Result<void>& r) {
    if (!r) throw to_bus_error(r.error());
}

template <typename T>
T take(Result<T>&& r) {
    if (!r) throw to_bus_error(r.error());
    return std::move(r).value();
}

// The argument buffers sdbus-c++ hands us are ours for the duration of the call; wipe the
// ones that carried a secret before they go back to the allocator.
void wipe_argument(const std::vector<uint8_t>& v) {
    wipe(const_cast<std::vector<uint8_t>&>(v));
}

}  // namespace

VaultBus::VaultBus(sdbus::IConnection& bus, VaultManager& manager)
    : AdaptorInterfaces(bus, kObjectPath), manager_(manager), callers_(bus) {
    manager_.on_change([this] {
        emitPropertiesChangedSignal(org::closedpaw::Vault1_adaptor::INTERFACE_NAME,
                                    {"Locked", "Count"});
    });
    registerAdaptor();
}

VaultBus::~VaultBus() {
    manager_.on_change(nullptr);
    unregisterAdaptor();
}

BusCaller VaultBus::caller() {
    const auto* msg = getObject().getCurrentlyProcessedMessage();
    if (msg == nullptr) throw to_bus_error(make_error(Errc::AccessDenied, "no caller"));
    return take(callers_.resolve(*msg));
}

void VaultBus::Store(const std::string& name, const std::vector<uint8_t>& value,
                     const std::string& access_level) {
    auto c = caller();
    auto r = manager_.store(c, name, value, access_level);
    wipe_argument(value);
    check(r);
}

void VaultBus::Retrieve(sdbus::Result<std::vector<uint8_t>>&& result, std::string name) {
    BusCaller c;
    try {
        c = caller();
    } catch (const sdbus::Error& e) {
        result.returnError(e);
        return;
    }
    std::vector<uint8_t> out;
    auto r = manager_.retrieve(c, name, [&](std::span<const std::uint8_t> plain) {
        out.assign(plain.begin(), plain.end());
    });
    if (!r) {
        result.returnError(to_bus_error(r.error()));
        return;
    }
    result.returnResults(out);
    wipe(out);
}

void VaultBus::Delete(const std::string& name) {
    check(manager_.remove(caller(), name));
}

std::vector<std::map<std::string, sdbus::Variant>> VaultBus::List() {
    auto entries = take(manager_.list(caller()));
    std::vector<std::map<std::string, sdbus::Variant>> out;
    out.reserve(entries.size());
    for (const auto& e : entries) {
        out.push_back({{"name", sdbus::Variant(e.name)},
                       {"access_level", sdbus::Variant(std::string(access_level_name(e.level)))},
                       {"owner", sdbus::Variant(e.owner)},
                       {"readers", sdbus::Variant(e.readers)},
                       {"created_usec", sdbus::Variant(e.created_usec)},
                       {"updated_usec", sdbus::Variant(e.updated_usec)},
                       {"size", sdbus::Variant(e.size)}});
    }
    return out;
}

void VaultBus::SetReaders(const std::string& name, const std::vector<uint32_t>& readers) {
    check(manager_.set_readers(caller(), name, readers));
}

void VaultBus::Lock() {
    check(manager_.lock(caller()));
}

void VaultBus::Unlock(const std::vector<uint8_t>& passphrase) {
    auto c = caller();
    auto r = manager_.unlock(c, passphrase);
    wipe_argument(passphrase);
    check(r);
}

void VaultBus::RotateKey() {
    check(manager_.rotate_key(caller()));
}

std::vector<std::map<std::string, sdbus::Variant>> VaultBus::GetAccessLog(const uint32_t& limit) {
    auto records = take(manager_.access_log(caller(), limit));
    std::vector<std::map<std::string, sdbus::Variant>> out;
    out.reserve(records.size());
    for (const auto& r : records) {
        out.push_back({{"time_usec", sdbus::Variant(r.time_usec)},
                       {"uid", sdbus::Variant(r.uid)},
                       {"pid", sdbus::Variant(r.pid)},
                       {"method", sdbus::Variant(r.method)},
                       {"name", sdbus::Variant(r.name)},
                       {"result", sdbus::Variant(r.result)},
                       {"detail", sdbus::Variant(r.detail)}});
    }
    return out;
}

bool VaultBus::Locked() {
    return manager_.locked();
}

uint32_t VaultBus::Count() {
    return manager_.count();
}

}  // namespace closedpaw::vault
