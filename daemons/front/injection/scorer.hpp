// Scoring: turns the matches found in each view into a score in 0..1 and a level.
//
// Each matched pattern gives weight × view weight (× edge weight near either end of the text);
// a category's evidence is its strongest pattern scaled by the mode's weight for that category,
// plus a capped bonus for further distinct patterns of the same category. Categories combine
// as independent evidence (noisy-OR: 1 − Π(1 − e)), with a small capped bonus for several
// categories packed into little text. A phrase found only after decoding is itself evidence of
// obfuscation. Weak categories are validated on load never to reach the flag threshold alone.
#pragma once

#include <cstdint>
#include <vector>

#include "defender.hpp"
#include "policy.hpp"

namespace closedpaw::injection {

struct ViewMatches {
    View view = View::Text;
    std::size_t length = 0;
    std::vector<uint32_t> first_end;  // per pattern, kNoMatch if absent
};

struct Signals {
    std::size_t text_bytes = 0;
    std::size_t invisible_in_words = 0;
    std::size_t bidi_controls = 0;
    bool truncated = false;
};

Level level_for(const PolicyData& policy, double score);
Verdict score_matches(const PolicyData& policy, Mode mode, const std::vector<ViewMatches>& views,
                      const Signals& signals);

}  // namespace closedpaw::injection
