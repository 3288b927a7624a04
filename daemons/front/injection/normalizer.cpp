#include "normalizer.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

#include <unicode/bytestream.h>
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
constexpr UChar32 kSkeletonCacheEnd = 0x3000;
// fold() folds text run by run, and hands text with more than one non-ASCII run per
// kBytesPerSegment bytes that needs ICU (after the first kMinSegments) to ICU whole.
constexpr std::size_t kMinSegments = 8;
constexpr std::size_t kBytesPerSegment = 32;

// What strip_invisible() copies unchanged: printable ASCII, tab and line ends.
using PlainAscii = bytes::Class<bytes::Range{0x20, 0x7E}, bytes::Range{'\t', '\n'},
                                bytes::only('\r')>;

using bytes::is_ascii;

// After a non-ASCII character, strip_invisible() looks at up to this many bytes of a printable
// ASCII run one by one before it scans the rest a block at a time.
constexpr int32_t kShortAsciiRun = 16;
// fold() walks code points one at a time, and folds a run of at least this many ASCII bytes a
// block at a time.
constexpr std::size_t kLongAsciiRun = 16;
// Room fold() keeps at its write pointer: more than one code point folds to (18 code points of
// up to 3 bytes: U+FDFA).
constexpr std::size_t kRoom = 64;

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

// The text view with separator runs longer than kSeparatorBound shortened; nothing when there
// are none.
std::optional<std::string> shorten_separator_runs(std::string_view text) {
    if (!may_have_long_separator_run(text)) return std::nullopt;
    const CodePointTable& table = CodePointTable::get();
    const auto* s = reinterpret_cast<const uint8_t*>(text.data());
    const auto length = static_cast<int32_t>(text.size());
    std::string out;
    out.reserve(text.size());
    bool changed = false;
    int32_t i = 0;
    while (i < length) {
        // A word: ASCII word bytes and non-ASCII letters or digits, copied as they are.
        const int32_t word = i;
        int32_t next = i;
        while (i < length) {
            if (s[i] < 0x80) {
                if (!AsciiWord::contains(s[i])) break;
                ++i;
            } else if (non_ascii_word_char(table, s, i, length, &next)) {
                i = next;
            } else {
                break;
            }
        }
        out.append(text.substr(static_cast<std::size_t>(word), static_cast<std::size_t>(i - word)));
        // The separator run after it.
        const int32_t run = i;
        while (i < length) {
            if (s[i] < 0x80) {
                if (AsciiWord::contains(s[i])) break;
                ++i;
            } else if (!non_ascii_word_char(table, s, i, length, &next)) {
                i = next;
            } else {
                break;
            }
        }
        changed |= static_cast<std::size_t>(i - run) > kSeparatorBound;
        append_separator_run(out, text, static_cast<std::size_t>(run), static_cast<std::size_t>(i));
    }
    if (!changed) return std::nullopt;
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
        if (c < 0) {  // U+FFFD is visible and no letter: written out instead of the bytes
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
        if (error) continue;
        const std::string skeleton = skeleton_of(buf, n);
        bmp_skeletons_[static_cast<std::size_t>(c - kSkeletonCacheFirst)] =
            static_cast<uint32_t>(skeleton_pool_.size()) << kSkeletonLengthBits |
            static_cast<uint32_t>(skeleton.size());
        skeleton_pool_ += skeleton;
    }
    skeleton_pool_.append(kSkeletonPadding, '\0');
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

namespace {

using Spaces = bytes::Class<bytes::only(' ')>;
using Tabs = bytes::Class<bytes::only('\t')>;

// Writes piece to w with runs of spaces and tabs collapsed to one space, so patterns can spell
// phrases with plain spaces; lower-cases 'A'..'Z' too when asked. blank says whether the output
// so far ends in a blank, so pieces can be written one after another. Returns the new end.
char* collapse_blanks(std::string_view piece, char* w, bool& blank, bool lower) {
    for (const char c : piece) {
        const bool is_blank = c == ' ' || c == '\t';
        if (is_blank && blank) continue;
        const bool upper = lower && c >= 'A' && c <= 'Z';
        *w++ = is_blank ? ' ' : static_cast<char>(c + (upper ? 0x20 : 0));
        blank = is_blank;
    }
    return w;
}

// Writes ASCII text to w (with room for all of it) as NFKC_Casefold and blank collapsing
// leave it, and returns the new end: NFKC is the identity on ASCII and case folding is
// tolower. Works on blocks of 64 bytes: lower-case them 16 at a time, turn tabs into spaces,
// then copy the runs between the blanks that follow a blank.
char* write_ascii_folded(std::string_view ascii, char* w, bool& blank) {
    unsigned char pad[bytes::kBlock];
    char lowered[bytes::kBlock];
    for (std::size_t i = 0; i < ascii.size(); i += bytes::kBlock) {
        const bytes::Block b = bytes::block_at(ascii, i, pad);
        const uint64_t tabs = bytes::mask(b.p, Tabs{}) & b.valid;
        const uint64_t blanks = (bytes::mask(b.p, Spaces{}) & b.valid) | tabs;
        const uint64_t keep = b.valid & ~(blanks & ((blanks << 1) | (blank ? 1 : 0)));
        bytes::lower_ascii_block(b.p, lowered);
        for (uint64_t t = tabs; t != 0; t &= t - 1) lowered[__builtin_ctzll(t)] = ' ';
        if (keep == ~uint64_t{0}) {  // the common case: nothing to drop
            std::memcpy(w, lowered, bytes::kBlock);
            w += bytes::kBlock;
        } else {
            for (uint64_t k = keep; k != 0;) {
                const int from = __builtin_ctzll(k);
                const uint64_t rest = ~k >> from;  // zero bits from 'from' on end the run
                const int length = rest == 0 ? 64 - from : __builtin_ctzll(rest);
                std::memcpy(w, lowered + from, static_cast<std::size_t>(length));
                w += length;
                k = length + from >= 64 ? 0 : k & (~uint64_t{0} << (from + length));
            }
        }
        const int last = 63 - __builtin_clzll(b.valid);
        blank = ((blanks >> last) & 1) != 0;
    }
    return w;
}

// NFKC_Casefold of the whole text by ICU, then blanks collapsed: the definition fold() keeps.
std::string fold_with_icu(std::string_view text) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfkc = nfkc_casefold(status);
    std::string out;
    out.reserve(text.size());
    icu::StringByteSink<std::string> sink(&out);
    if (U_SUCCESS(status)) {
        nfkc->normalizeUTF8(0, icu::StringPiece(text.data(), static_cast<int32_t>(text.size())),
                            sink, nullptr, status);
    }
    // The constructor checked the data; a failure here leaves the clean text to be matched.
    if (U_FAILURE(status)) out.assign(text);
    bool blank = false;
    char* w = collapse_blanks(out, out.data(), blank, /*lower=*/false);
    out.resize(static_cast<std::size_t>(w - out.data()));
    return out;
}

// NFKC_Casefold of one segment of non-ASCII text, which may start with one ASCII character:
// the segment itself when ICU finds it already normalised (most non-ASCII text: punctuation,
// lower-case letters of any script), else ICU's output in scratch. Nothing on invalid UTF-8.
std::optional<std::string_view> fold_segment_with_icu(const icu::Normalizer2& nfkc,
                                                      std::string_view segment,
                                                      std::string& scratch) {
    const auto* s = reinterpret_cast<const uint8_t*>(segment.data());
    const auto length = static_cast<int32_t>(segment.size());
    for (int32_t i = 0; i < length;) {
        UChar32 c = 0;
        U8_NEXT(s, i, length, c);
        if (c < 0) return std::nullopt;
    }
    UErrorCode status = U_ZERO_ERROR;
    const icu::StringPiece piece(segment.data(), length);
    if (nfkc.isNormalizedUTF8(piece, status) && U_SUCCESS(status)) return segment;
    status = U_ZERO_ERROR;
    scratch.clear();
    icu::StringByteSink<std::string> sink(&scratch);
    nfkc.normalizeUTF8(0, piece, sink, nullptr, status);
    if (U_FAILURE(status)) return std::nullopt;
    return scratch;
}

// Where the first non-ASCII byte of s[pos, pos + kLongAsciiRun) is, or pos + kLongAsciiRun
// when there is none (the start of a long ASCII run); s must hold that many bytes from pos.
std::size_t first_non_ascii_in_window(std::string_view s, std::size_t pos) {
    static_assert(kLongAsciiRun == 2 * sizeof(uint64_t));
    constexpr uint64_t kHighBits = 0x8080808080808080;
    uint64_t words[2];
    std::memcpy(words, s.data() + pos, sizeof words);
    for (std::size_t w = 0; w < 2; ++w) {
        if (const uint64_t high = words[w] & kHighBits; high != 0) {
            return pos + w * sizeof(uint64_t) + static_cast<std::size_t>(__builtin_ctzll(high)) / 8;
        }
    }
    return pos + kLongAsciiRun;
}

}  // namespace

std::string Normalizer::fold(std::string_view clean_utf8) const {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfkc = nfkc_casefold(status);
    if (U_FAILURE(status) || !ascii_boundaries_) return fold_with_icu(clean_utf8);
    // NFKC_Casefold of a piece of text between two normalisation boundaries does not depend on
    // what is around it, so the text folds piece by piece: long ASCII runs 64 bytes at a time
    // (there is a boundary before every ASCII character), a code point with a boundary before
    // and after it from the table, and the rest (a letter and the combining marks after it, a
    // Hangul syllable being built of jamo, anything above the BMP) by ICU, up to the next ASCII
    // character.
    const std::string_view s = clean_utf8;
    if (is_ascii(s)) {  // most text: folded a block at a time
        std::string out(s.size(), '\0');
        bool blank = false;
        out.resize(static_cast<std::size_t>(write_ascii_folded(s, out.data(), blank) - out.data()));
        return out;
    }
    const CodePointTable& table = CodePointTable::get();
    const auto* p = reinterpret_cast<const uint8_t*>(s.data());
    const auto length = static_cast<int32_t>(s.size());
    // Whether the code point at s[at] (not ASCII) has a boundary before it: no lookahead for
    // an ASCII one, which always has.
    auto boundary_before = [&](std::size_t at) {
        auto i = static_cast<int32_t>(at);
        UChar32 c = 0;
        U8_NEXT(p, i, length, c);
        return c >= 0 && (table.bmp_flags(c) & cp::kBoundaryBefore) != 0;
    };
    // The output is written through w, most pieces being a byte or two; out only grows (by
    // doubling), with at least kRoom bytes from w on while w <= limit, and is cut at the end.
    std::string out(s.size() + kRoom, '\0');
    char* w = out.data();
    char* limit = out.data() + s.size();
    auto make_room = [&](std::size_t n) {
        const auto used = static_cast<std::size_t>(w - out.data());
        out.resize(std::max(out.size() * 2, used + n + kRoom));
        w = out.data() + used;
        limit = out.data() + out.size() - kRoom;
    };
    bool blank = false;   // whether the output ends in a blank
    std::string scratch;  // ICU's output for one segment
    std::size_t icu_segments = 0;
    std::size_t mixed_until = 0;  // every ASCII run starting before this is short
    std::size_t pos = 0;          // there is a boundary before s[pos]
    while (pos < s.size()) {
        // A stretch of code points that fold to themselves, each with a boundary before it
        // (most text in any script), is copied as it is. It stops before a long ASCII run.
        const std::size_t stretch = pos;
        std::size_t last = pos;        // where the stretch's last code point starts
        uint16_t last_flags = 0;       // and its flags
        bool boundary_at_stop = true;  // whether there is a boundary before s[pos] too
        bool long_ascii_run = false;
        while (pos < s.size()) {
            const uint8_t b = p[pos];
            uint16_t f = 0;
            std::size_t next = pos + 1;
            if (b < 0x80) {
                if (pos >= mixed_until && s.size() - pos >= kLongAsciiRun) {
                    mixed_until = first_non_ascii_in_window(s, pos);
                    long_ascii_run = mixed_until == pos + kLongAsciiRun;
                    if (long_ascii_run) break;
                }
                f = table.bmp_flags(b);
                const bool copied = b == ' ' ? !(pos > stretch ? p[pos - 1] == ' ' : blank)
                                             : (f & cp::kCopiedByFold) != 0;
                if (!copied) break;
            } else {
                auto i = static_cast<int32_t>(pos);
                UChar32 c = 0;
                U8_NEXT(p, i, length, c);
                f = c < 0 ? 0 : table.bmp_flags(c);
                if ((f & cp::kCopiedByFold) == 0) {
                    boundary_at_stop = (f & cp::kBoundaryBefore) != 0;
                    break;
                }
                next = static_cast<std::size_t>(i);
            }
            last = pos;
            last_flags = f;
            pos = next;
        }
        // A combining mark (say) after the stretch may change its last code point.
        if (!boundary_at_stop && pos > stretch && (last_flags & cp::kBoundaryAfter) == 0) {
            pos = last;
        }
        if (pos > stretch) {
            if (limit - w < static_cast<std::ptrdiff_t>(pos - stretch)) make_room(pos - stretch);
            std::memcpy(w, s.data() + stretch, pos - stretch);
            w += pos - stretch;
            blank = p[pos - 1] == ' ';
        }
        if (pos == s.size()) break;
        if (w > limit) make_room(kRoom);
        if (long_ascii_run) {
            const std::size_t end = bytes::find(s, mixed_until, bytes::NonAscii{});
            // The run's last character is left for the code points after it: a combining mark
            // may follow.
            const std::size_t stop = end == s.size() ? end : end - 1;
            if (limit - w < static_cast<std::ptrdiff_t>(stop - pos)) make_room(stop - pos);
            w = write_ascii_folded(s.substr(pos, stop - pos), w, blank);
            pos = stop;
            continue;
        }
        // One code point that is not copied as it is.
        const uint8_t b = p[pos];
        std::size_t next = pos + 1;
        if (b < 0x80) {
            if (next == s.size() || p[next] < 0x80 || boundary_before(next)) {
                const bool is_blank = b == ' ' || b == '\t';
                if (!(is_blank && blank)) {
                    *w++ = is_blank ? ' ' : static_cast<char>(b >= 'A' && b <= 'Z' ? b + 0x20 : b);
                }
                blank = is_blank;
                pos = next;
                continue;
            }
        } else {
            auto i = static_cast<int32_t>(pos);
            UChar32 c = 0;
            U8_NEXT(p, i, length, c);
            if (c < 0) return fold_with_icu(clean_utf8);  // invalid UTF-8 (never in clean text)
            next = static_cast<std::size_t>(i);
            const uint16_t f = table.bmp_flags(c);
            if ((f & cp::kFoldCached) != 0 &&
                (next == s.size() || p[next] < 0x80 || (f & cp::kBoundaryAfter) != 0 ||
                 boundary_before(next))) {
                if ((f & cp::kFoldsToSelf) != 0) {  // (no blank folds to itself above ASCII)
                    for (std::size_t k = pos; k < next; ++k) *w++ = static_cast<char>(p[k]);
                    blank = false;
                } else if ((f & cp::kFoldHasBlank) != 0) {
                    w = collapse_blanks(table.folded(c), w, blank, /*lower=*/false);
                } else if (const std::string_view folded = table.folded(c); !folded.empty()) {
                    std::memcpy(w, folded.data(), folded.size());
                    w += folded.size();
                    blank = false;
                }
                pos = next;
                continue;
            }
        }
        // s[pos] and what follows up to the next ASCII character, by ICU.
        const std::size_t end = bytes::find_not(s, next, bytes::NonAscii{});
        const auto folded = fold_segment_with_icu(*nfkc, s.substr(pos, end - pos), scratch);
        if (!folded) return fold_with_icu(clean_utf8);
        if (limit - w < static_cast<std::ptrdiff_t>(folded->size())) make_room(folded->size());
        w = collapse_blanks(*folded, w, blank, /*lower=*/false);
        // Text where many short runs need ICU (combining marks everywhere) costs less in one
        // ICU call.
        if (++icu_segments > kMinSegments && icu_segments * kBytesPerSegment > end) {
            return fold_with_icu(clean_utf8);
        }
        pos = end;
    }
    out.resize(static_cast<std::size_t>(w - out.data()));
    return out;
}

Normalized Normalizer::normalize(std::string_view raw) const {
    Normalized n;
    n.clean = strip_invisible(raw, &n.invisible_in_words, &n.bidi_controls, &n.tags);
    n.text = fold(n.clean);
    if (auto shortened = shorten_separator_runs(n.text)) n.text = std::move(*shortened);
    return n;
}

std::optional<std::string> Normalizer::fold_confusables(std::string_view text) const {
    if (spoof_ == nullptr || is_ascii(text)) return std::nullopt;
    // Built only once a character changes; until then nothing is copied. Unchanged text
    // (ASCII, code points without an ASCII skeleton) is copied in stretches.
    std::string out;
    std::size_t used = 0;    // out[0, used) is written; out has room after it
    std::size_t copied = 0;  // text[0, copied) is in out
    const auto* s = reinterpret_cast<const uint8_t*>(text.data());
    const auto length = static_cast<int32_t>(text.size());
    std::string computed;  // the skeleton of computed_for, outside the cached range
    UChar32 computed_for = -1;
    // Every code point with a skeleton starts at a lead byte (0xC0 and up), which no other
    // code point's bytes include, so the lead bytes of each 64-byte block are visited in
    // order, and ASCII and continuation bytes not at all.
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
            std::string_view skeleton;  // invalid UTF-8 has none
            bool padded = false;        // whether kSkeletonPadding bytes can be read after it
            if (c >= kSkeletonCacheFirst && c < kSkeletonCacheEnd) {
                const uint32_t at =
                    bmp_skeletons_[static_cast<std::size_t>(c - kSkeletonCacheFirst)];
                skeleton =
                    std::string_view(skeleton_pool_)
                        .substr(at >> kSkeletonLengthBits, at & ((1u << kSkeletonLengthBits) - 1));
                padded = true;
            } else if (c >= 0) {
                if (c != computed_for) {  // a repeat (U+FFFD...) reuses the last one
                    computed = skeleton_of(text.data() + start, i - start);
                    computed_for = c;
                }
                skeleton = computed;
            }
            if (skeleton.empty()) continue;
            // The text since the last change, then the skeleton. Both are short in text made
            // of look-alikes, and moved kCopyChunk bytes at once (into the room kept after
            // used) when they and what is read past them fit.
            constexpr std::size_t kCopyChunk = kSkeletonPadding;
            const std::size_t unchanged = static_cast<std::size_t>(start) - copied;
            const std::size_t needed = unchanged + skeleton.size() + 2 * kCopyChunk;
            if (out.size() - used < needed) {
                out.resize(std::max({out.size() * 2, text.size() + kRoom, used + needed}));
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
            used += unchanged + skeleton.size();
            copied = static_cast<std::size_t>(i);
        }
    }
    if (out.empty()) return std::nullopt;
    out.resize(used);
    out.append(text.substr(copied));
    return out;
}

}  // namespace closedpaw::injection
