// The defender's policy as data: categories, patterns, per-view weights, scoring constants and
// level thresholds, loaded from policy/injection/ and validated (errors name file:line:key).
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/result.hpp"
#include "defender.hpp"

namespace closedpaw::injection {

// The views of one text that are scanned; see normalizer.hpp and decoders.hpp.
enum class View { Text = 0, Skeleton, Decoded, Tags, Despaced, Leet };
constexpr std::size_t kViewCount = 6;
const char* view_name(View view) noexcept;

struct Category {
    std::string name;
    std::string description;
    std::array<double, 2> mode_weight{1.0, 1.0};  // indexed by Mode
    bool weak = false;  // its patterns may never reach the flag threshold on their own
};

struct Pattern {
    std::string id;
    std::size_t category = 0;
    double weight = 0.0;
    std::string regex;
};

struct PolicyData {
    std::vector<Category> categories;
    std::vector<Pattern> patterns;
    std::vector<TableView> pattern_tables;  // for errors found when compiling

    std::array<double, kViewCount> view_weight{};
    std::array<double, 4> thresholds{};  // low, medium, high, critical
    Level flag_level = Level::Medium;

    double extra_pattern_bonus = 0.0;  // each further distinct pattern in one category
    double max_category_bonus = 0.0;
    double density_weight = 0.0;  // further categories per KiB of text
    double density_cap = 0.0;
    double edge_fraction = 0.0;  // matches this close to either end weigh edge_weight
    double edge_weight = 1.0;
    std::size_t hidden_view_category = 0;  // evidence when a phrase appears only once decoded
    double hidden_view_weight = 0.0;
    double invisible_weight = 0.0;  // zero-width/bidi characters inside words
    std::size_t invisible_min = 1;
    std::size_t max_scan_bytes = 0;

    double flag_threshold() const { return thresholds[static_cast<int>(flag_level) - 1]; }
};

// Loads dir/defender.toml and every dir/patterns.d/*.toml (in name order).
Result<PolicyData> load_policy(const std::string& dir);

}  // namespace closedpaw::injection
