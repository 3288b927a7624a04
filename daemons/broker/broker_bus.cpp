#include "broker_bus.hpp"

#include <limits>

namespace closedpaw::broker {

BrokerBus::BrokerBus(sdbus::IConnection& bus, const SandboxManager& manager)
    : AdaptorInterfaces(bus, kObjectPath), manager_(manager) {
    registerAdaptor();
}

BrokerBus::~BrokerBus() {
    unregisterAdaptor();
}

std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, uint32_t>>
BrokerBus::ListSandboxes() {
    std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, uint32_t>> out;
    for (const auto& s : manager_.list()) {
        auto age = static_cast<uint32_t>(
            std::min<std::uint64_t>(s.age_ms, std::numeric_limits<uint32_t>::max()));
        out.emplace_back(s.run_id, s.skill, s.operation, s.state, age);
    }
    return out;
}

std::string BrokerBus::Version() {
    return CLOSEDPAW_VERSION;
}
std::string BrokerBus::Runtime() {
    return manager_.runtime_name();
}
std::string BrokerBus::RuntimeDetail() {
    return manager_.status().runtime_detail;
}
uint32_t BrokerBus::RunningSandboxes() {
    return manager_.running_count();
}
uint32_t BrokerBus::QueuedRuns() {
    return manager_.status().queued;
}
uint64_t BrokerBus::RunsTotal() {
    return manager_.status().runs_total;
}

}  // namespace closedpaw::broker
