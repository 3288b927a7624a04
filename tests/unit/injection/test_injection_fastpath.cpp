#define BOOST_TEST_MODULE injection_fastpath
// The fast paths must give exactly what the slow paths give: the ASCII branch of fold() against
// ICU's NFKC_Casefold, the spaced-letter detector's word skipping against the plain
// character-by-character detector, and the copy-on-change skeleton view against folding each
// character alone, on generated texts built from the characters that matter.
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <boost/test/unit_test.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "decoders.hpp"
#include "normalizer.hpp"

using namespace closedpaw::injection;

namespace {

// NFKC_Casefold by ICU, then blanks collapsed: what fold() does for non-ASCII text.
std::string icu_fold(const std::string& s) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCCasefoldInstance(status);
    BOOST_TEST_REQUIRE(U_SUCCESS(status));
    icu::UnicodeString folded =
        nfkc->normalize(icu::UnicodeString::fromUTF8(icu::StringPiece(s)), status);
    BOOST_TEST_REQUIRE(U_SUCCESS(status));
    std::string out;
    folded.toUTF8String(out);
    std::string collapsed;
    bool blank = false;
    for (char c : out) {
        const bool is_blank = c == ' ' || c == '\t';
        if (is_blank && blank) continue;
        collapsed.push_back(is_blank ? ' ' : c);
        blank = is_blank;
    }
    return collapsed;
}

// The detector as first written: one character at a time, no skipping.
bool reference_has_spaced_run(std::string_view t) {
    auto alpha_at = [&](std::size_t i) {
        const auto c = static_cast<unsigned char>(t[i]);
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    };
    std::size_t run = 0;
    std::size_t gap = 0;
    bool prev_alnum = false;
    for (std::size_t i = 0; i < t.size(); ++i) {
        const auto c = static_cast<unsigned char>(t[i]);
        const bool alpha = alpha_at(i);
        const bool single = alpha && !prev_alnum && (i + 1 == t.size() || !alpha_at(i + 1));
        if (single && (run == 0 || (gap >= 1 && gap <= 3))) {
            if (++run >= 4) return true;
            gap = 0;
        } else if (!alpha && (c == ' ' || c == '.' || c == '-' || c == '_' || c == '*' ||
                              c == '|' || c == '/')) {
            ++gap;
        } else {
            run = single ? 1 : 0;
            gap = 0;
        }
        prev_alnum = alpha || (c >= '0' && c <= '9');
    }
    return false;
}

std::vector<std::string> generated(const std::string& alphabet, std::size_t count,
                                   std::size_t max_length, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<std::string> out;
    for (std::size_t n = 0; n < count; ++n) {
        std::string s(rng() % max_length, ' ');
        for (char& c : s) c = alphabet[rng() % alphabet.size()];
        out.push_back(s);
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(ascii_fold_matches_icu) {
    Normalizer n;
    BOOST_TEST_REQUIRE(n.ok());
    std::string every_ascii;
    for (int c = 1; c < 128; ++c) every_ascii.push_back(static_cast<char>(c));
    BOOST_TEST(n.fold(every_ascii) == icu_fold(every_ascii));
    for (const std::string& s : generated("aZ \t\t  \n\r.Ig9!|$@x\x01\x7f", 3000, 40, 1)) {
        BOOST_TEST(n.fold(s) == icu_fold(s), "input: " << s);
    }
    BOOST_TEST(n.fold("  Ignore\t\tALL   previous ") == " ignore all previous ");
}

BOOST_AUTO_TEST_CASE(spaced_run_detector_matches_the_plain_one) {
    const std::vector<std::string> fixed = {
        "i g n o r e",  "x y z a1",      "ab c d e f",  "a.b.c.d",      "a  b  c  d",
        "a    b c d e", "hello w o r l", "1 a b c d",   "a b c 1d",     "the cat sat on a mat",
        "i-g-n-o-r-e",  "a b c",         "ab1 c d e f", "q w e r t y 2"};
    std::size_t found = 0;
    for (const std::string& s : fixed) {
        BOOST_TEST(has_spaced_run(s) == reference_has_spaced_run(s), "input: " << s);
    }
    for (const std::string& s : generated("ab1  .-_x9Z|/\n", 20000, 24, 2)) {
        const bool expected = reference_has_spaced_run(s);
        found += expected ? 1 : 0;
        BOOST_TEST(has_spaced_run(s) == expected, "input: " << s);
        if (!expected) BOOST_TEST(!join_spaced_letters(s).has_value(), "input: " << s);
    }
    BOOST_TEST(found > 100u);  // the generator does produce runs
}

BOOST_AUTO_TEST_CASE(skeleton_view_is_the_per_character_skeleton) {
    Normalizer n;
    BOOST_TEST_REQUIRE(n.ok());
    // ASCII, Cyrillic and Greek look-alikes, CJK (outside the cached range), symbols.
    const std::vector<std::string> pieces = {"a", " ", "o",  "\n", "о", "і",
                                             "ι", "é", "忽", "Ⅰ",  "𝐚", "x"};
    std::mt19937 rng(3);
    std::size_t changed = 0;
    for (int n_text = 0; n_text < 3000; ++n_text) {
        std::string text;
        std::string expected;
        bool any = false;
        const std::size_t len = rng() % 12;
        for (std::size_t k = 0; k < len; ++k) {
            const std::string& p = pieces[rng() % pieces.size()];
            text += p;
            const auto folded = n.fold_confusables(p);
            expected += folded ? *folded : p;
            any = any || folded.has_value();
        }
        const auto got = n.fold_confusables(text);
        BOOST_TEST(got.has_value() == any, "input: " << text);
        if (got) BOOST_TEST(*got == expected, "input: " << text);
        changed += any ? 1 : 0;
    }
    BOOST_TEST(changed > 100u);
    BOOST_TEST(n.fold_confusables("іgnоre").value() == "ignore");
}
