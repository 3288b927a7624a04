// What the normaliser needs to know about a code point, asked of ICU once for the BMP and the
// SMP (U+0000..U+1FFFF: every script in use, mathematical alphanumerics, emoji) instead of
// several ICU calls per character of every text. The table holds ICU's own answers, never
// hand-written Unicode data; code points above it (CJK extensions, tags, private use) are asked
// of ICU each time (classify()), and so is anything the table does not cover.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <unicode/umachine.h>

namespace closedpaw::injection {

namespace cp {
// Properties of one code point, as bits.
enum : uint16_t {
    kDroppedControl = 1 << 0,  // Cc other than tab, line feed and carriage return
    kInvisible = 1 << 1,       // Cf, Bidi_Control or Default_Ignorable_Code_Point
    kBidiControl = 1 << 2,     // Bidi_Control
    kLetter = 1 << 3,          // u_isalpha (general category L)
    kWordChar = 1 << 4,        // Alphabetic or a decimal digit: part of a word, not a separator
    // NFKC_Casefold (ICU's Normalizer2): the code point never interacts with what comes before
    // it, or after it, so text can be normalised piece by piece at that point.
    kBoundaryBefore = 1 << 5,
    kBoundaryAfter = 1 << 6,
    // The table holds NFKC_Casefold of the code point alone: folded(c) (kFoldCached), which is
    // the code point itself when kFoldsToSelf, and holds a blank when kFoldHasBlank.
    kFoldCached = 1 << 7,
    kFoldsToSelf = 1 << 8,
    kFoldHasBlank = 1 << 9,
    // kBoundaryBefore, kFoldsToSelf and no blank: a run of such code points is its own fold.
    kCopiedByFold = 1 << 10,
    kMark = 1 << 11,  // a nonspacing or enclosing mark (Mn, Me): drawn over the letter before it
};
}  // namespace cp

// The cp:: bits from kDroppedControl to kBoundaryAfter, and kMark, for any code point, asked
// of ICU (the table's definition).
uint16_t classify(UChar32 c);

class CodePointTable {
  public:
    // The table, built on first use (thread-safe; under 10 ms, once per process).
    static const CodePointTable& get();

    // The cp:: bits of c: a table lookup below kSize, ICU's answers (without a cached fold)
    // from there on.
    uint16_t flags(UChar32 c) const {
        return c >= 0 && c < kSize ? flags_[static_cast<std::size_t>(c)] : classify(c);
    }
    // The table's bits for c, or none from kSize on (nothing claimed, no ICU call).
    uint16_t table_flags(UChar32 c) const {
        return c >= 0 && c < kSize ? flags_[static_cast<std::size_t>(c)] : 0;
    }
    // NFKC_Casefold of c alone; only for a code point with kFoldCached (so below kSize) and not
    // kFoldsToSelf. Up to kLengthMask bytes: longer folds are not cached.
    std::string_view folded(UChar32 c) const {
        const uint32_t at = folds_[static_cast<std::size_t>(c)];
        return std::string_view(pool_).substr(at >> kLengthBits, at & kLengthMask);
    }

    // The table covers U+0000..kSize - 1: the BMP and the SMP.
    static constexpr UChar32 kSize = 0x20000;
    // A cached fold is at most this many bytes (U+FDFA folds to 18 code points: 54 bytes).
    static constexpr uint32_t kLengthBits = 6;
    static constexpr uint32_t kLengthMask = (1u << kLengthBits) - 1;

  private:
    CodePointTable();

    std::vector<uint16_t> flags_;
    std::vector<uint32_t> folds_;  // offset in pool_ << kLengthBits | length
    std::string pool_;
};

}  // namespace closedpaw::injection
