// The shipped policy (policy/injection in the source tree), compiled once per test program.
#pragma once

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>

#include "defender.hpp"
#include "process.hpp"

namespace cptest {

inline std::string shipped_policy_dir() {
    return source_root() + "/policy/injection";
}

inline const closedpaw::injection::Defender& shipped_defender() {
    static std::unique_ptr<closedpaw::injection::Defender> defender = [] {
        auto d = closedpaw::injection::Defender::load(shipped_policy_dir());
        if (!d) throw std::runtime_error("shipped injection policy: " + d.error().message);
        return std::make_unique<closedpaw::injection::Defender>(std::move(d).value());
    }();
    return *defender;
}

inline bool has_category(const closedpaw::injection::Verdict& v, const std::string& name) {
    return std::find(v.categories.begin(), v.categories.end(), name) != v.categories.end();
}

inline std::string describe(const closedpaw::injection::Verdict& v) {
    std::string s = "score " + std::to_string(v.score) + " level " +
                    closedpaw::injection::level_name(v.level) + " categories [";
    for (const auto& c : v.categories) s += c + " ";
    return s + "]";
}

}  // namespace cptest
