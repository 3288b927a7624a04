#include "text_stats.hpp"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "encoding.hpp"
#include "params.hpp"

namespace closedpaw::textstats {

namespace {

bool word_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

}  // namespace

TextStats compute_text_stats(std::string_view text, std::size_t top) {
    TextStats s;
    s.bytes = text.size();
    s.chars = skill::utf8_length(text);
    s.lines = static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n'));
    if (!text.empty() && text.back() != '\n') ++s.lines;

    std::unordered_map<std::string, std::uint64_t> counts;
    std::string word;
    auto flush = [&] {
        if (word.empty()) return;
        ++s.words;
        ++counts[word];
        word.clear();
    };
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (!word_byte(c)) {
            flush();
            continue;
        }
        word += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : ch;
    }
    flush();
    s.unique_words = counts.size();

    std::vector<WordCount> all;
    all.reserve(counts.size());
    for (auto& [w, n] : counts) all.push_back({w, n});
    auto order = [](const WordCount& a, const WordCount& b) {
        return a.count != b.count ? a.count > b.count : a.word < b.word;
    };
    auto keep = std::min(top, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(),
                      order);
    all.resize(keep);
    s.top_words = std::move(all);
    return s;
}

skill::OperationResult stats_operation(const skill::Request& request) {
    skill::Fields settings(request.settings, "settings");
    if (auto k = settings.only_keys({"max_text_bytes"}); !k)
        return skill::OperationResult::refused(k.error());
    auto max_setting =
        settings.optional_int("max_text_bytes", 1, std::numeric_limits<std::int64_t>::max());
    if (!max_setting) return skill::OperationResult::refused(max_setting.error());
    // Settings may lower the cap, never raise it.
    auto max_bytes = std::min<std::size_t>(
        static_cast<std::size_t>(max_setting->value_or(kHardMaxTextBytes)), kHardMaxTextBytes);

    skill::Fields params(request.params, "params");
    if (auto k = params.only_keys({"text", "top"}); !k)
        return skill::OperationResult::refused(k.error());
    auto text = params.require_string("text", max_bytes);
    if (!text) return skill::OperationResult::refused(text.error());
    auto top = params.optional_int("top", 0, kMaxTopWords);
    if (!top) return skill::OperationResult::refused(top.error());

    auto s = compute_text_stats(*text, static_cast<std::size_t>(top->value_or(10)));
    auto top_json = nlohmann::json::array();
    for (const auto& w : s.top_words) top_json.push_back({{"word", w.word}, {"count", w.count}});
    nlohmann::json data = {
        {"bytes", s.bytes},
        {"chars", s.chars},
        {"words", s.words},
        {"lines", s.lines},
        {"unique_words", s.unique_words},
        {"top_words", std::move(top_json)},
    };
    return skill::OperationResult::ok(std::move(data), std::nullopt, s.bytes);
}

std::vector<skill::Operation> textstats_operations() {
    return {{"stats",
             [](const skill::Request& r, const skill::Context&) { return stats_operation(r); }}};
}

}  // namespace closedpaw::textstats
