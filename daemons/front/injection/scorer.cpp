#include "scorer.hpp"

#include <algorithm>

#include "pattern_set.hpp"

namespace closedpaw::injection {

namespace {

constexpr double kBytesPerKiB = 1024.0;

}  // namespace

Level level_for(const PolicyData& policy, double score) {
    Level level = Level::None;
    for (int i = 0; i < 4; ++i) {
        if (score >= policy.thresholds[static_cast<std::size_t>(i)]) {
            level = static_cast<Level>(i + 1);
        }
    }
    return level;
}

Verdict score_matches(const PolicyData& policy, Mode mode, const std::vector<ViewMatches>& views,
                      const Signals& signals) {
    const std::size_t ncat = policy.categories.size();
    const auto mode_index = static_cast<std::size_t>(mode == Mode::Input ? 0 : 1);
    std::vector<double> best(ncat, 0.0);
    std::vector<std::size_t> distinct(ncat, 0);
    bool hidden_phrase = false;

    for (std::size_t p = 0; p < policy.patterns.size(); ++p) {
        const Pattern& pattern = policy.patterns[p];
        double strongest = 0.0;
        bool in_text = false;
        bool elsewhere = false;
        for (const ViewMatches& v : views) {
            const uint32_t end = v.first_end[p];
            if (end == kNoMatch) continue;
            double w = pattern.weight * policy.view_weight[static_cast<std::size_t>(v.view)];
            if (v.view == View::Text) {
                in_text = true;
                const double where = v.length == 0 ? 0.0 : static_cast<double>(end) / v.length;
                if (where <= policy.edge_fraction || where >= 1.0 - policy.edge_fraction) {
                    w *= policy.edge_weight;
                }
            } else {
                elsewhere = true;
            }
            strongest = std::max(strongest, w);
        }
        if (strongest <= 0.0) continue;
        const Category& c = policy.categories[pattern.category];
        const double e = strongest * c.mode_weight[mode_index];
        if (e <= 0.0) continue;
        best[pattern.category] = std::max(best[pattern.category], e);
        ++distinct[pattern.category];
        if (elsewhere && !in_text) hidden_phrase = true;
    }

    const std::size_t hidden = policy.hidden_view_category;
    if (hidden_phrase) best[hidden] = std::max(best[hidden], policy.hidden_view_weight);
    if (signals.invisible_in_words + signals.bidi_controls >= policy.invisible_min) {
        best[hidden] = std::max(best[hidden], policy.invisible_weight);
    }

    Verdict v;
    v.truncated = signals.truncated;
    double miss = 1.0;
    std::size_t categories = 0;
    for (std::size_t c = 0; c < ncat; ++c) {
        if (best[c] <= 0.0) continue;
        const double bonus = distinct[c] > 1
                                 ? std::min(policy.max_category_bonus,
                                            policy.extra_pattern_bonus * (distinct[c] - 1))
                                 : 0.0;
        const double e = std::min(1.0, best[c] + bonus);
        miss *= 1.0 - e;
        ++categories;
        v.categories.push_back(policy.categories[c].name);
    }
    double score = 1.0 - miss;
    if (categories > 1) {
        const double kib = std::max(1.0, static_cast<double>(signals.text_bytes) / kBytesPerKiB);
        score += std::min(policy.density_cap,
                          policy.density_weight * static_cast<double>(categories - 1) / kib);
    }
    v.score = std::clamp(score, 0.0, 1.0);
    v.level = level_for(policy, v.score);
    v.flagged = v.level >= policy.flag_level;
    std::sort(v.categories.begin(), v.categories.end());
    return v;
}

}  // namespace closedpaw::injection
