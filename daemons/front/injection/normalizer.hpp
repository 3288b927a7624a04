// Normalisation before matching: every byte sequence an attacker can use to hide a phrase from
// a pattern is reduced here, with ICU's data rather than hand-written tables.
//
//   clean     controls (Cc except tab/newline), format characters (Cf: zero-width, bidi
//             controls, soft hyphen), default-ignorables and Unicode tag characters removed;
//             invalid UTF-8 replaced by U+FFFD. Case and compatibility forms are kept, so the
//             decoders can still read base64.
//   text      NFKC_Casefold(clean): full-width, ligatures, mathematical letters, case folded;
//             runs of blanks collapsed to one space; a run of more than 8 non-word bytes
//             (punctuation, line breaks, symbols, emoji) keeps its first and last 4 bytes, as
//             patterns allow at most 8 between two words. The blanks before a capitalised
//             word inside a sentence ("from Provide your reply") become one kInnerCapital:
//             patterns may read it as a sentence start, and the pattern set reads it as a
//             blank everywhere else (pattern_set.hpp).
//   skeleton  text with each non-ASCII code point whose UTS #39 skeleton is ASCII replaced by
//             it (Cyrillic "о", Greek "ι"...). ASCII itself is left alone: its skeletons turn
//             "m" into "rn", which would break ordinary words.
//   tags      the ASCII hidden in Unicode tag characters (U+E0020..U+E007E).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct USpoofChecker;

namespace closedpaw::injection {

// Marks, in the text view, where a capitalised word follows a word in lower case without a
// sentence end between them: text pasted into the middle of other text. An ASCII control
// character, so no input can carry it (strip_invisible() drops them all).
inline constexpr char kInnerCapital = '\x1e';

struct Normalized {
    std::string clean;
    std::string text;
    std::string tags;
    std::size_t invisible_in_words = 0;  // zero-width/bidi/format characters between letters
    std::size_t bidi_controls = 0;
};

class Normalizer {
  public:
    Normalizer();
    ~Normalizer();
    Normalizer(const Normalizer&) = delete;
    Normalizer& operator=(const Normalizer&) = delete;

    // False (with the ICU error name in *why) if ICU's normaliser or spoof checker is missing.
    bool ok(std::string* why = nullptr) const;

    Normalized normalize(std::string_view raw) const;
    // NFKC_Casefold of already clean, valid UTF-8 (used for decoded views).
    std::string fold(std::string_view clean_utf8) const;
    // The skeleton view, or nothing when no character changed. rewritten, if given, gets the
    // offset in the view of each character's skeleton, in order.
    std::optional<std::string> fold_confusables(
        std::string_view text, std::vector<std::size_t>* rewritten = nullptr) const;

  private:
    // The ASCII skeleton of one code point, or "" when it has none (computed with ICU).
    std::string skeleton_of(const char* utf8, int32_t length) const;

    USpoofChecker* spoof_ = nullptr;
    // skeleton_of() for every BMP code point from U+0080 (Greek, Cyrillic, CJK, Hangul...),
    // filled once at construction so a text in any script costs a table lookup per character
    // instead of an ICU call (1 MiB of Hangul: 73 ms with calls above U+2FFF): the
    // skeleton of c is skeleton_pool_[offset, offset + length), where bmp_skeletons_[c - 0x80]
    // is offset << kSkeletonLengthBits | length. The pool ends in kSkeletonPadding spare bytes,
    // so that short skeletons can be copied in one fixed-size move.
    static constexpr uint32_t kSkeletonLengthBits = 5;  // skeleton_of() returns under 32 bytes
    static constexpr std::size_t kSkeletonPadding = 16;
    std::vector<uint32_t> bmp_skeletons_;
    std::string skeleton_pool_;
    std::string init_error_;
    // NFKC_Casefold has a normalisation boundary before each ASCII character, so fold() can
    // keep ASCII away from ICU. Unicode guarantees it; ICU's data is asked anyway.
    bool ascii_boundaries_ = false;
};

// Nonspacing and enclosing marks stacked on a Latin letter removed: "ignore" struck through
// with U+0336 on every letter, and Zalgo text, read as the plain word. Text is normalised
// (NFKC), which composes a letter's first mark into it where it can ("a" + U+0301 -> U+00E1):
// so once any mark sits on a Latin letter, accented Latin letters are read as their ASCII base
// too. Marks on other letters stay (they spell Devanagari, Thai or Hebrew), and text with no
// mark on a Latin letter (ordinary French or German) gives nothing.
std::optional<std::string> strip_marks_on_latin(std::string_view text);

// Removes controls, format characters, bidi controls, default-ignorables and tag characters,
// and replaces invalid UTF-8 with U+FFFD; nothing else changes. Shared with sanitize().
std::string strip_invisible(std::string_view raw, std::size_t* invisible_in_words = nullptr,
                            std::size_t* bidi_controls = nullptr, std::string* tags = nullptr);

}  // namespace closedpaw::injection
