#include "normalizer.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <tuple>
#include <vector>

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uspoof.h>
#include <unicode/utf8.h>

#include "byte_masks.hpp"
#include "code_point_table.hpp"

namespace closedpaw::injection {

namespace {

constexpr UChar32 kReplacement = 0xFFFD;
constexpr UChar32 kTagFirst = 0xE0000;
constexpr UChar32 kTagLast = 0xE007F;
constexpr UChar32 kSkeletonCacheFirst = 0x80;
constexpr UChar32 kSkeletonCacheEnd = 0x10000;  // the whole BMP: CJK and Hangul too

// What strip_invisible() copies unchanged: printable ASCII, tab and line ends.
using PlainAscii = bytes::Class<bytes::Range{0x20, 0x7E}, bytes::Range{'\t', '\n'},
                                bytes::only('\r')>;

using bytes::is_ascii;

// After a non-ASCII character, strip_invisible() looks at up to this many bytes of a printable
// ASCII run one by one before it scans the rest a block at a time.
constexpr int32_t kShortAsciiRun = 16;

void append_utf8(std::string& out, UChar32 c) {
    char buf[U8_MAX_LENGTH];
    int32_t n = 0;
    UBool error = false;
    U8_APPEND(reinterpret_cast<uint8_t*>(buf), n, U8_MAX_LENGTH, c, error);
    if (!error) out.append(buf, static_cast<std::size_t>(n));
}

const icu::Normalizer2* nfkc_casefold(UErrorCode& status) {
    return icu::Normalizer2::getNFKCCasefoldInstance(status);
}

// Separator runs. Patterns allow at most kSeparatorBound non-word bytes between two words
// (\W{1,8}: unbounded repeats are what makes a Hyperscan pattern set slow), so the text view
// keeps only the first and last kSeparatorBound / 2 bytes of any longer run of non-word
// characters (ASCII punctuation and blanks, newlines, non-ASCII symbols and emoji). "ignore
// ~~~~...~~~ previous" still reads as two words a short gap apart, and a run's first and last
// characters (the line break before a "### system:" header, the "===" of a forged boundary line)
// survive. (A bound of 16 was tried: it costs half as much again on inputs made of trigger words.)
constexpr std::size_t kSeparatorBound = 8;

using AsciiWord = bytes::Class<bytes::Range{'0', '9'}, bytes::Range{'a', 'z', /*either_case=*/true},
                               bytes::only('_')>;

// Whether text may hold a separator run longer than kSeparatorBound: more bytes in a row that
// are not ASCII word characters (non-ASCII bytes count: they may be symbols). A 64-byte block
// at a time; false for almost all prose, which then costs nothing more.
bool may_have_long_separator_run(std::string_view text) {
    unsigned char pad[bytes::kBlock];
    std::size_t carry = 0;  // separator bytes at the end of the blocks before this one
    for (std::size_t pos = 0; pos < text.size(); pos += bytes::kBlock) {
        const bytes::Block b = bytes::block_at(text, pos, pad);
        const uint64_t m = ~bytes::mask(b.p, AsciiWord{}) & b.valid;
        if (m == ~uint64_t{0}) {
            carry += bytes::kBlock;
            if (carry > kSeparatorBound) return true;
            continue;
        }
        // ~m != 0 here: a run from the blocks before ends at the first word byte.
        if (carry + static_cast<std::size_t>(__builtin_ctzll(~m)) > kSeparatorBound) return true;
        uint64_t run = m;  // bit i stays set while bytes i..i+k are all separators
        for (std::size_t k = 1; k <= kSeparatorBound && run != 0; ++k) run &= m >> k;
        if (run != 0) return true;
        carry = static_cast<std::size_t>(__builtin_clzll(~m));  // (only the last block is partial)
    }
    return false;
}

// Whether the code point at s[i] (non-ASCII) is a letter or digit, i.e. part of a word; sets
// *next to the byte after it. Invalid UTF-8 counts as a separator.
bool non_ascii_word_char(const CodePointTable& table, const uint8_t* s, int32_t i, int32_t length,
                         int32_t* next) {
    UChar32 c = 0;
    U8_NEXT(s, i, length, c);
    *next = i;
    return c >= 0 && (table.flags(c) & cp::kWordChar) != 0;
}

// Appends the separator run s[begin, end) to out, shortened to its first and last characters
// when it is longer than kSeparatorBound (cuts fall on character boundaries).
void append_separator_run(std::string& out, std::string_view s, std::size_t begin,
                          std::size_t end) {
    if (end - begin <= kSeparatorBound) {
        out.append(s.substr(begin, end - begin));
        return;
    }
    auto continuation = [&](std::size_t at) {
        return (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80;
    };
    std::size_t head = begin + kSeparatorBound / 2;
    while (head > begin && continuation(head)) --head;
    std::size_t tail = end - kSeparatorBound / 2;
    while (tail < end && continuation(tail)) ++tail;
    out.append(s.substr(begin, head - begin));
    out.append(s.substr(tail, end - tail));
}

// The next maximal stretch at or after from of more than kSeparatorBound bytes that are not
// ASCII word bytes (non-ASCII bytes count: they may be symbols), as [first, second); both
// text.size() when there is none. Separator runs longer than the bound lie inside these
// stretches, which are rare in anything but junk: a 64-byte block at a time finds them.
std::pair<std::size_t, std::size_t> next_long_stretch(std::string_view text, std::size_t from) {
    constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    unsigned char pad[bytes::kBlock];
    std::size_t open = kNone;  // start of a stretch that runs to the end of the last block
    for (std::size_t pos = from; pos < text.size(); pos += bytes::kBlock) {
        const bytes::Block b = bytes::block_at(text, pos, pad);
        uint64_t m = ~bytes::mask(b.p, AsciiWord{}) & b.valid;
        if (open != kNone) {
            const std::size_t lead = ~m == 0 ? bytes::kBlock : __builtin_ctzll(~m);
            if (lead == bytes::kBlock) continue;  // (only a whole, valid block has no clear bit)
            if (pos + lead - open > kSeparatorBound) return {open, pos + lead};
            open = kNone;
            m &= ~uint64_t{0} << lead;  // that stretch ended short: not looked at again
        }
        // Bit i stays set while bytes i..i+kSeparatorBound are all stretch bytes.
        uint64_t run = m;
        for (std::size_t k = 1; k <= kSeparatorBound && run != 0; ++k) run &= m >> k;
        if (run != 0) {
            // The first such bit is where a stretch starts: any before it in the block ended
            // short, and so did one from the blocks before (its bits were cleared).
            const std::size_t i = static_cast<std::size_t>(__builtin_ctzll(run));
            const uint64_t after = ~(m >> i);  // its first clear bit is where the stretch ends
            if (after != 0 &&
                i + static_cast<std::size_t>(__builtin_ctzll(after)) < bytes::kBlock) {
                return {pos + i, pos + i + static_cast<std::size_t>(__builtin_ctzll(after))};
            }
            open = pos + i;  // it runs on into the next block
            continue;
        }
        if ((m >> 63) != 0)
            open = pos + bytes::kBlock - static_cast<std::size_t>(__builtin_clzll(~m));
    }
    if (open != kNone && text.size() - open > kSeparatorBound) return {open, text.size()};
    return {text.size(), text.size()};
}

// The text view with separator runs longer than kSeparatorBound shortened; nothing when there
// are none. Only the long stretches of non-word bytes are walked a character at a time (a
// non-ASCII letter or digit splits one); everything between them is copied as it is.
std::optional<std::string> shorten_separator_runs(std::string_view text) {
    if (!may_have_long_separator_run(text)) return std::nullopt;
    const CodePointTable& table = CodePointTable::get();
    const auto* s = reinterpret_cast<const uint8_t*>(text.data());
    const auto length = static_cast<int32_t>(text.size());
    std::string out;
    std::size_t copied = 0;  // text[0, copied) is in out
    bool changed = false;
    for (auto [from, to] = next_long_stretch(text, 0); from < text.size();
         std::tie(from, to) = next_long_stretch(text, to)) {
        // Within [from, to) every byte is ASCII punctuation, a blank or non-ASCII: separator
        // runs are what lies between the non-ASCII letters and digits.
        auto i = static_cast<int32_t>(from);
        const auto end = static_cast<int32_t>(to);
        while (i < end) {
            const int32_t run = i;
            int32_t next = i;
            while (i < end && (s[i] < 0x80 || !non_ascii_word_char(table, s, i, length, &next))) {
                i = s[i] < 0x80 ? i + 1 : next;
            }
            if (static_cast<std::size_t>(i - run) > kSeparatorBound) {
                out.append(text.substr(copied, static_cast<std::size_t>(run) - copied));
                append_separator_run(out, text, static_cast<std::size_t>(run),
                                     static_cast<std::size_t>(i));
                copied = static_cast<std::size_t>(i);
                changed = true;
            }
            // A word character (non-ASCII: ASCII ones end the stretch) is passed over.
            while (i < end && s[i] >= 0x80 && non_ascii_word_char(table, s, i, length, &next)) {
                i = next;
            }
        }
    }
    if (!changed) return std::nullopt;
    out.append(text.substr(copied));
    return out;
}

// A capitalised word inside a sentence: "Provide" in "...will be withdrawn from Provide your
// reply using...". Text pasted into the middle of other text keeps the capital its author gave
// it, and orders are pasted where they will be read as a new sentence. The blanks before such a
// word become one kInnerCapital when
//   - the word is an ASCII capital followed by lower case to its end ("LinkedIn", "PowerPoint"
//     and "Win32" are names), and
//   - a word in lower case follows it ("Provide your reply"; "Express Scripts" and "Start
//     Smart" are names), and
//   - the word before it, right before the blanks, is in lower case and starts so ("Marketing
//     Group", "Google Translate", "Mercury Bank" and "Hi David" are names, and not marked).
// Proper nouns after lower-case words are marked too ("met with Paris"): patterns read the mark
// as a blank, and only a few as a possible sentence start.
using AsciiLetterOrApostrophe =
    bytes::Class<bytes::Range{'a', 'z', /*either_case=*/true}, bytes::only('\'')>;

std::optional<std::string> mark_inner_capitals(std::string_view s) {
    using Upper = bytes::Class<bytes::Range{'A', 'Z'}>;
    using Blank = bytes::Class<bytes::only(' '), bytes::only('\t')>;
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    std::string out;
    std::size_t copied = 0;     // s[0, copied) is in out
    uint64_t blank_before = 0;  // whether the byte before this block is a blank
    unsigned char pad[bytes::kBlock];
    for (std::size_t base = 0; base < s.size(); base += bytes::kBlock) {
        const bytes::Block b = bytes::block_at(s, base, pad);
        const uint64_t blanks = bytes::mask(b.p, Blank{}) & b.valid;
        // Upper-case letters right after a blank; the rest is checked one candidate at a time.
        uint64_t candidates = bytes::mask(b.p, Upper{}) & b.valid & (blanks << 1 | blank_before);
        blank_before = blanks >> 63;
        for (; candidates != 0; candidates &= candidates - 1) {
            const std::size_t i = base + static_cast<std::size_t>(__builtin_ctzll(candidates));
            // A capital and lower case to the end of the word: "LinkedIn", "PowerPoint" and
            // "Win32" are names.
            std::size_t e = i + 1;
            while (e < s.size() && s[e] >= 'a' && s[e] <= 'z') ++e;
            if (e == i + 1 ||
                (e < s.size() && AsciiWord::contains(static_cast<unsigned char>(s[e])))) {
                continue;
            }
            // A word in lower case follows: "Provide your reply", not "Express Scripts".
            std::size_t f = e;
            while (f < s.size() && blank(s[f])) ++f;
            if (f == e || f == s.size() || s[f] < 'a' || s[f] > 'z') continue;
            std::size_t j = i - 1;  // the blank run before it is s[j, i)
            while (j > copied && blank(s[j - 1])) --j;
            if (j == 0 || s[j - 1] < 'a' || s[j - 1] > 'z') continue;
            // The word before starts in lower case too: in "Marketing Group" or "Google
            // Translate" the second word is part of a name, and is not marked.
            std::size_t k = j - 1;
            while (k > copied &&
                   AsciiLetterOrApostrophe::contains(static_cast<unsigned char>(s[k - 1])))
                --k;
            if (s[k] < 'a' || s[k] > 'z') continue;
            if (out.empty()) out.reserve(s.size());
            out.append(s.substr(copied, j - copied));
            out.push_back(kInnerCapital);
            copied = i;
        }
    }
    if (copied == 0) return std::nullopt;
    out.append(s.substr(copied));
    return out;
}

}  // namespace

std::string strip_invisible(std::string_view raw, std::size_t* invisible_in_words,
                            std::size_t* bidi_controls, std::string* tags) {
    const CodePointTable& table = CodePointTable::get();
    std::string out;
    out.reserve(raw.size());
    const auto* s = reinterpret_cast<const uint8_t*>(raw.data());
    const auto length = static_cast<int32_t>(raw.size());
    bool prev_letter = false;
    std::size_t pending_invisible = 0;  // invisibles seen since the last visible character
    // Kept characters are copied in runs: raw[kept, i) goes to out unchanged (valid UTF-8 is
    // its own encoding) when something is dropped or replaced, and at the end.
    int32_t kept = 0;
    auto drop = [&](int32_t from, int32_t to) {
        out.append(raw.data() + kept, static_cast<std::size_t>(from - kept));
        kept = to;
    };
    int32_t i = 0;
    auto ascii_letter = [](uint8_t b) { return (b | 0x20) >= 'a' && (b | 0x20) <= 'z'; };
    while (i < length) {
        // ASCII fast path: a run of printable ASCII at once. Text of another script has short
        // runs between its letters, so after a non-ASCII character a few bytes are looked at
        // one by one before the blocks.
        if (PlainAscii::contains(s[i])) {
            int32_t j = i + 1;
            const bool after_non_ascii = i > 0 && s[i - 1] >= 0x80;
            if (after_non_ascii) {
                while (j < length && j - i < kShortAsciiRun && PlainAscii::contains(s[j])) ++j;
            }
            if (!after_non_ascii || j - i == kShortAsciiRun) {
                j = static_cast<int32_t>(
                    bytes::find_not(raw, static_cast<std::size_t>(j), PlainAscii{}));
            }
            if (pending_invisible > 0 && prev_letter && ascii_letter(s[i]) &&
                invisible_in_words != nullptr) {
                *invisible_in_words += pending_invisible;
            }
            pending_invisible = 0;
            prev_letter = ascii_letter(s[j - 1]);
            i = j;
            continue;
        }
        if (s[i] < 0x80) {  // an ASCII control character: dropped
            drop(i, i + 1);
            ++i;
            continue;
        }
        const int32_t start = i;
        UChar32 c = 0;
        U8_NEXT(s, i, length, c);
        if (c < 0) {
            // U+FFFD is visible and no letter: written out once for a run of bytes that are
            // no UTF-8 (binary data is mostly such runs; one mark says as much as many).
            for (int32_t next = i; next < length && s[next] >= 0x80;) {
                UChar32 d = 0;
                U8_NEXT(s, next, length, d);
                if (d >= 0) break;
                i = next;
            }
            drop(start, i);
            c = kReplacement;
            append_utf8(out, c);
        }
        if (c >= kTagFirst && c <= kTagLast) {
            if (tags != nullptr && c >= 0xE0020 && c <= 0xE007E) {
                tags->push_back(static_cast<char>(c - kTagFirst));
            }
            ++pending_invisible;
            drop(start, i);
            continue;
        }
        const uint16_t f = table.flags(c);
        if ((f & cp::kDroppedControl) != 0) {
            drop(start, i);
            continue;
        }
        if ((f & cp::kInvisible) != 0) {
            if (bidi_controls != nullptr && (f & cp::kBidiControl) != 0) ++*bidi_controls;
            ++pending_invisible;
            drop(start, i);
            continue;
        }
        const bool letter = (f & cp::kLetter) != 0;
        if (letter && prev_letter && invisible_in_words != nullptr) {
            *invisible_in_words += pending_invisible;
        }
        pending_invisible = 0;
        prev_letter = letter;
    }
    drop(length, length);
    return out;
}

namespace {

// Calls f(start, end, c) for each code point that starts at a lead byte (0xC0 and up), in
// order, until f returns false: every non-ASCII code point, and c < 0 for an invalid sequence.
// No other code point's bytes include a lead byte, so ASCII and continuation bytes are passed
// over a 64-byte block at a time.
template <class F>
void for_each_non_ascii(std::string_view text, F&& f) {
    const auto* s = reinterpret_cast<const uint8_t*>(text.data());
    const auto length = static_cast<int32_t>(text.size());
    using LeadBytes = bytes::Class<bytes::Range{0xC0, 0xFF}>;
    unsigned char pad[bytes::kBlock];
    for (std::size_t base = 0; base < text.size(); base += bytes::kBlock) {
        const bytes::Block block = bytes::block_at(text, base, pad);
        for (uint64_t leads = bytes::mask(block.p, LeadBytes{}) & block.valid; leads != 0;
             leads &= leads - 1) {
            const auto start = static_cast<int32_t>(base) + __builtin_ctzll(leads);
            int32_t i = start;
            UChar32 c = 0;
            U8_NEXT(s, i, length, c);
            if (!f(static_cast<std::size_t>(start), static_cast<std::size_t>(i), c)) return;
        }
    }
}

// Latin letters with diacritics (Latin-1 Supplement, Extended-A and -B, Extended Additional)
// whose canonical decomposition is an ASCII letter and marks: that letter, asked of ICU once.
class LatinBases {
  public:
    static constexpr UChar32 kFirst = 0xC0;
    static constexpr UChar32 kEnd = 0x1F00;

    static const LatinBases& get() {
        static const LatinBases bases;
        return bases;
    }
    // The ASCII letter c decomposes to, or 0.
    char base(UChar32 c) const {
        return c >= kFirst && c < kEnd ? base_[static_cast<std::size_t>(c - kFirst)] : 0;
    }

  private:
    LatinBases() : base_(static_cast<std::size_t>(kEnd - kFirst), 0) {
        UErrorCode status = U_ZERO_ERROR;
        const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
        if (U_FAILURE(status)) return;
        const CodePointTable& table = CodePointTable::get();
        for (UChar32 c = kFirst; c < kEnd; ++c) {
            if (c >= 0x250 && c < 0x1E00) continue;  // IPA, modifiers, other scripts
            icu::UnicodeString d;
            if (!nfd->getDecomposition(c, d) || d.length() < 2) continue;
            const UChar32 first = d.char32At(0);
            if (first >= 0x80 || !((first | 0x20) >= 'a' && (first | 0x20) <= 'z')) continue;
            bool marks = true;
            for (int32_t k = U16_LENGTH(first); k < d.length(); k = d.moveIndex32(k, 1)) {
                marks = marks && (table.flags(d.char32At(k)) & cp::kMark) != 0;
            }
            if (marks) base_[static_cast<std::size_t>(c - kFirst)] = static_cast<char>(first);
        }
    }
    std::vector<char> base_;
};

}  // namespace

Normalizer::Normalizer() {
    UErrorCode status = U_ZERO_ERROR;
    nfkc_casefold(status);
    if (U_FAILURE(status)) {
        init_error_ = std::string("ICU NFKC_Casefold data: ") + u_errorName(status);
        return;
    }
    const icu::Normalizer2* nfkc = nfkc_casefold(status);
    ascii_boundaries_ = true;
    for (UChar32 c = 0; c < 0x80; ++c) {
        ascii_boundaries_ = ascii_boundaries_ && nfkc->hasBoundaryBefore(c);
    }
    spoof_ = uspoof_open(&status);
    if (U_FAILURE(status)) {
        init_error_ = std::string("ICU spoof checker: ") + u_errorName(status);
        spoof_ = nullptr;
        return;
    }
    bmp_skeletons_.resize(static_cast<std::size_t>(kSkeletonCacheEnd - kSkeletonCacheFirst));
    for (UChar32 c = kSkeletonCacheFirst; c < kSkeletonCacheEnd; ++c) {
        char buf[U8_MAX_LENGTH];
        int32_t n = 0;
        UBool error = false;
        U8_APPEND(reinterpret_cast<uint8_t*>(buf), n, U8_MAX_LENGTH, c, error);
        if (error || U_IS_SURROGATE(c)) continue;  // never decoded from valid UTF-8
        const std::string skeleton = skeleton_of(buf, n);
        bmp_skeletons_[static_cast<std::size_t>(c - kSkeletonCacheFirst)] =
            static_cast<uint32_t>(skeleton_pool_.size()) << kSkeletonLengthBits |
            static_cast<uint32_t>(skeleton.size());
        skeleton_pool_ += skeleton;
    }
    skeleton_pool_.append(kSkeletonPadding, '\0');
    // Built here, at start-up, rather than by the first text with a mark in it (a daemon's
    // first request, by then under its seccomp filter).
    (void)LatinBases::get();
}

std::string Normalizer::skeleton_of(const char* utf8, int32_t length) const {
    char skeleton[32];
    UErrorCode status = U_ZERO_ERROR;
    const int32_t n =
        uspoof_getSkeletonUTF8(spoof_, 0, utf8, length, skeleton, sizeof skeleton, &status);
    if (U_FAILURE(status) || n <= 0 || n >= static_cast<int32_t>(sizeof skeleton)) return {};
    std::string out(skeleton, static_cast<std::size_t>(n));
    for (char& b : out) {
        const auto u = static_cast<unsigned char>(b);
        if (u >= 0x80 || u < 0x20) return {};
        if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    }
    return out;
}

Normalizer::~Normalizer() {
    if (spoof_ != nullptr) uspoof_close(spoof_);
}

bool Normalizer::ok(std::string* why) const {
    if (init_error_.empty()) return true;
    if (why != nullptr) *why = init_error_;
    return false;
}

Normalized Normalizer::normalize(std::string_view raw) const {
    Normalized n;
    n.clean = strip_invisible(raw, &n.invisible_in_words, &n.bidi_controls, &n.tags);
    const auto marked = mark_inner_capitals(n.clean);
    n.text = fold(marked ? *marked : n.clean);
    if (auto shortened = shorten_separator_runs(n.text)) n.text = std::move(*shortened);
    return n;
}

std::optional<std::string> strip_marks_on_latin(std::string_view text) {
    if (is_ascii(text)) return std::nullopt;
    const CodePointTable& table = CodePointTable::get();
    const LatinBases& latin = LatinBases::get();
    const auto* s = reinterpret_cast<const uint8_t*>(text.data());
    // Only code points at lead bytes can be marks or accented letters; what precedes one is an
    // ASCII byte or the last non-ASCII code point visited. First: is there a mark on a Latin
    // letter at all? Ordinary French or German has none once normalised.
    auto visit = [&](auto&& on_code_point) {
        std::size_t last_end = 0;  // where the last non-ASCII code point ended
        bool last_latin = false;   // and whether it was Latin (a letter, or a mark on one)
        for_each_non_ascii(text, [&](std::size_t start, std::size_t end, UChar32 c) {
            bool after_latin = false;
            if (start > 0 && s[start - 1] < 0x80) {
                const uint8_t b = s[start - 1] | 0x20;
                after_latin = b >= 'a' && b <= 'z';
            } else if (start > 0 && start == last_end) {
                after_latin = last_latin;
            }
            last_end = end;
            const bool mark = after_latin && c >= 0 && (table.flags(c) & cp::kMark) != 0;
            const char letter = c >= 0 ? latin.base(c) : 0;
            last_latin = mark || letter != 0;
            return on_code_point(start, end, mark, letter);
        });
    };
    bool any_mark = false;
    visit([&](std::size_t, std::size_t, bool mark, char) { return !(any_mark = mark); });
    if (!any_mark) return std::nullopt;
    std::string out;
    out.reserve(text.size());
    std::size_t copied = 0;  // text[0, copied) is in out
    visit([&](std::size_t start, std::size_t end, bool mark, char letter) {
        if (!mark && letter == 0) return true;
        out.append(text.substr(copied, start - copied));
        if (letter != 0) out.push_back(static_cast<char>(letter | 0x20));
        copied = end;
        return true;
    });
    out.append(text.substr(copied));
    return out;
}

std::optional<std::string> Normalizer::fold_confusables(std::string_view text,
                                                        std::vector<std::size_t>* rewritten) const {
    if (spoof_ == nullptr || is_ascii(text)) return std::nullopt;
    // Built only once a character changes; until then nothing is copied. Unchanged text
    // (ASCII, code points without an ASCII skeleton) is copied in stretches.
    std::string out;
    std::size_t used = 0;    // out[0, used) is written; out has room after it
    std::size_t copied = 0;  // text[0, copied) is in out
    std::string computed;  // the skeleton of computed_for, outside the cached range
    UChar32 computed_for = -1;
    // Every code point with a skeleton is non-ASCII.
    for_each_non_ascii(text, [&](std::size_t start, std::size_t i, UChar32 c) {
        std::string_view skeleton;  // invalid UTF-8 has none
        bool padded = false;        // whether kSkeletonPadding bytes can be read after it
        if (c >= kSkeletonCacheFirst && c < kSkeletonCacheEnd) {
            const uint32_t at = bmp_skeletons_[static_cast<std::size_t>(c - kSkeletonCacheFirst)];
            skeleton =
                std::string_view(skeleton_pool_)
                    .substr(at >> kSkeletonLengthBits, at & ((1u << kSkeletonLengthBits) - 1));
            padded = true;
        } else if (c >= 0) {
            if (c != computed_for) {  // a repeat (U+FFFD...) reuses the last one
                computed = skeleton_of(text.data() + start, static_cast<int32_t>(i - start));
                computed_for = c;
            }
            skeleton = computed;
        }
        if (skeleton.empty()) return true;
        // The text since the last change, then the skeleton. Both are short in text made
        // of look-alikes, and moved kCopyChunk bytes at once (into the room kept after
        // used) when they and what is read past them fit.
        constexpr std::size_t kCopyChunk = kSkeletonPadding;
        const std::size_t unchanged = start - copied;
        const std::size_t needed = unchanged + skeleton.size() + 2 * kCopyChunk;
        if (out.size() - used < needed) {
            out.resize(std::max({out.size() * 2, text.size(), used + needed}));
        }
        char* w = out.data() + used;
        if (unchanged <= kCopyChunk && copied + kCopyChunk <= text.size()) {
            std::memcpy(w, text.data() + copied, kCopyChunk);
        } else {
            std::memcpy(w, text.data() + copied, unchanged);
        }
        w += unchanged;
        if (padded && skeleton.size() <= kCopyChunk) {
            std::memcpy(w, skeleton.data(), kCopyChunk);
        } else {
            std::memcpy(w, skeleton.data(), skeleton.size());
        }
        if (rewritten != nullptr) rewritten->push_back(used + unchanged);
        used += unchanged + skeleton.size();
        copied = static_cast<std::size_t>(i);
        return true;
    });
    if (out.empty()) return std::nullopt;
    out.resize(used);
    out.append(text.substr(copied));
    return out;
}

}  // namespace closedpaw::injection
