// org.closedpaw.ClosedPaw1.Manager on the bus: converts D-Bus arguments (with caps) into
// ActionManager calls with the caller as the bus identified it, and Results into replies.
// Replies to calls that change state are sent after ActionManager::flush() made them durable.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <memory>
#include <string>

#include "action_manager.hpp"
#include "common/bus_caller.hpp"
#include "front_adaptor.h"

namespace closedpaw::front {

inline constexpr const char* kBusName = "org.closedpaw.ClosedPaw1";
inline constexpr const char* kObjectPath = "/org/closedpaw/ClosedPaw1";

// a{sv} to JSON, refusing anything deeper, longer or larger than the policy allows.
Result<nlohmann::json> parameters_to_json(const std::map<std::string, sdbus::Variant>& params,
                                          const Policy& policy);

class ManagerBus final
    : public sdbus::AdaptorInterfaces<org::closedpaw::ClosedPaw1::Manager_adaptor,
                                      sdbus::Properties_adaptor> {
  public:
    ManagerBus(sdbus::IConnection& bus, ActionManager& manager);
    ~ManagerBus();
    void set_runtime(std::string runtime);

  private:
    Result<BusCaller> caller();

    void SubmitAction(sdbus::Result<std::string, std::string, std::string>&& result,
                      std::string action_type, std::string skill_id,
                      std::map<std::string, sdbus::Variant> parameters) override;
    void ApproveAction(sdbus::Result<>&& result, std::string id, std::string digest) override;
    void RejectAction(sdbus::Result<>&& result, std::string id, std::string reason) override;
    std::map<std::string, sdbus::Variant> GetAction(const std::string& id) override;
    std::vector<std::map<std::string, sdbus::Variant>> ListActions(
        const std::string& status_filter) override;
    std::vector<std::map<std::string, sdbus::Variant>> ListSkills() override;
    void SetSkillEnabled(sdbus::Result<>&& result, std::string id, bool enabled) override;
    std::vector<std::map<std::string, sdbus::Variant>> GetAuditLog(const uint64_t& after_seq,
                                                                   const uint32_t& limit) override;
    std::tuple<bool, uint64_t, std::string> VerifyAuditLog() override;
    std::string Version() override;
    std::string SandboxRuntime() override;
    uint32_t PendingCount() override;

    ActionManager& manager_;
    BusCallerResolver callers_;
    std::string runtime_ = "unknown";
    std::uint32_t last_pending_ = 0;
};

std::map<std::string, sdbus::Variant> action_to_bus(const Action& a);

}  // namespace closedpaw::front
