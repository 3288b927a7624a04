// Risk levels of actions and skill operations (DESIGN.md §4).
#pragma once

#include <optional>
#include <ostream>
#include <string_view>

namespace closedpaw {

enum class RiskLevel { Low = 0, Medium = 1, High = 2, Critical = 3 };

constexpr std::string_view risk_level_name(RiskLevel l) {
    switch (l) {
        case RiskLevel::Low:
            return "low";
        case RiskLevel::Medium:
            return "medium";
        case RiskLevel::High:
            return "high";
        case RiskLevel::Critical:
            return "critical";
    }
    return "critical";
}

constexpr std::optional<RiskLevel> parse_risk_level(std::string_view s) {
    if (s == "low") return RiskLevel::Low;
    if (s == "medium") return RiskLevel::Medium;
    if (s == "high") return RiskLevel::High;
    if (s == "critical") return RiskLevel::Critical;
    return std::nullopt;
}

inline std::ostream& operator<<(std::ostream& os, RiskLevel l) {
    return os << risk_level_name(l);
}

// Raising only: the result is never lower than either input.
constexpr RiskLevel raise_level(RiskLevel a, RiskLevel b) {
    return a > b ? a : b;
}

}  // namespace closedpaw
