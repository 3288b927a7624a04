// textstats: counts and most frequent words of a text given in the request. It needs no
// workspace and no files: the smallest useful skill, and the README's worked example.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "protocol.hpp"
#include "skill_main.hpp"

namespace closedpaw::textstats {

inline constexpr std::size_t kHardMaxTextBytes = 1u << 20;
inline constexpr std::int64_t kMaxTopWords = 100;

struct WordCount {
    std::string word;
    std::uint64_t count = 0;
};

struct TextStats {
    std::uint64_t bytes = 0;
    std::uint64_t chars = 0;  // Unicode code points
    std::uint64_t words = 0;
    std::uint64_t lines = 0;
    std::uint64_t unique_words = 0;
    std::vector<WordCount> top_words;  // most frequent first, ties alphabetical
};

// Words are runs of ASCII letters and digits and of non-ASCII characters (so "naïve" and
// "日本語" are words), compared with ASCII letters lower-cased. text must be valid UTF-8.
TextStats compute_text_stats(std::string_view text, std::size_t top);

// params {text, top?: 0..100 (default 10)}; settings {max_text_bytes?} (≤ 1 MiB).
skill::OperationResult stats_operation(const skill::Request& request);

std::vector<skill::Operation> textstats_operations();

}  // namespace closedpaw::textstats
