// org.closedpaw.Broker1: read-only status for busctl (root only by bus policy). The glue
// (broker1_adaptor.h) is generated from org.closedpaw.Broker1.xml at build time.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include "broker1_adaptor.h"
#include "sandbox_manager.hpp"

namespace closedpaw::broker {

inline constexpr const char* kBusName = "org.closedpaw.Broker1";
inline constexpr const char* kObjectPath = "/org/closedpaw/Broker1";

class BrokerBus final : public sdbus::AdaptorInterfaces<org::closedpaw::Broker1_adaptor> {
  public:
    BrokerBus(sdbus::IConnection& bus, const SandboxManager& manager);
    ~BrokerBus();

  private:
    std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, uint32_t>>
    ListSandboxes() override;
    std::string Version() override;
    std::string Runtime() override;
    std::string RuntimeDetail() override;
    uint32_t RunningSandboxes() override;
    uint32_t QueuedRuns() override;
    uint64_t RunsTotal() override;

    const SandboxManager& manager_;
};

}  // namespace closedpaw::broker
