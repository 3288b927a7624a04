#include "sanitize.hpp"

#include <array>
#include <cctype>

#include "normalizer.hpp"

namespace closedpaw::injection {

namespace {

struct Neutraliser {
    std::string_view token;  // matched case-insensitively
    std::string_view replacement;
};

// Structure tokens of the common chat templates (ChatML, Llama 2/3, Gemma, Mistral, Alpaca
// role tags). Each is rewritten with look-alike punctuation a tokenizer does not treat as a
// special token, so a person still reads what was there.
constexpr std::array<Neutraliser, 16> kTokens = {{
    {"<|", "<\xC2\xA6"},  // U+00A6 BROKEN BAR: <|im_start|>, <|eot_id|>, <|endoftext|>
    {"|>",
     "\xC2\xA6"
     ">"},
    {"[inst]", "(INST)"},
    {"[/inst]", "(/INST)"},
    {"<<sys>>",
     "\xC2\xAB"
     "SYS\xC2\xBB"},  // «SYS»
    {"<</sys>>",
     "\xC2\xAB"
     "/SYS\xC2\xBB"},
    {"<s>",
     "\xE2\x80\xB9"
     "s\xE2\x80\xBA"},  // ‹s›
    {"</s>",
     "\xE2\x80\xB9"
     "/s\xE2\x80\xBA"},
    {"<start_of_turn>",
     "\xE2\x80\xB9"
     "start_of_turn\xE2\x80\xBA"},
    {"<end_of_turn>",
     "\xE2\x80\xB9"
     "end_of_turn\xE2\x80\xBA"},
    {"<system>",
     "\xE2\x80\xB9"
     "system\xE2\x80\xBA"},
    {"</system>",
     "\xE2\x80\xB9"
     "/system\xE2\x80\xBA"},
    {"<assistant>",
     "\xE2\x80\xB9"
     "assistant\xE2\x80\xBA"},
    {"</assistant>",
     "\xE2\x80\xB9"
     "/assistant\xE2\x80\xBA"},
    {"<untrusted",
     "\xE2\x80\xB9"
     "untrusted"},  // our own envelope tags
    {"</untrusted",
     "\xE2\x80\xB9"
     "/untrusted"},
}};

bool starts_with_nocase(std::string_view s, std::size_t at, std::string_view token) {
    if (s.size() - at < token.size()) return false;
    for (std::size_t i = 0; i < token.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(s[at + i])) != token[i]) return false;
    }
    return true;
}

}  // namespace

std::string sanitize(std::string_view untrusted) {
    const std::string visible = strip_invisible(untrusted);
    std::string out;
    out.reserve(visible.size() + visible.size() / 16);
    std::size_t i = 0;
    while (i < visible.size()) {
        const char c = visible[i];
        bool replaced = false;
        if (c == '<' || c == '|' || c == '[') {
            for (const Neutraliser& n : kTokens) {
                if (starts_with_nocase(visible, i, n.token)) {
                    out.append(n.replacement);
                    i += n.token.size();
                    replaced = true;
                    break;
                }
            }
        }
        if (!replaced) {
            out.push_back(c);
            ++i;
        }
    }
    return out;
}

}  // namespace closedpaw::injection
