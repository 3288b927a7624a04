// Normalizer::fold(): NFKC_Casefold with runs of blanks collapsed, the text view before its
// separator runs are shortened. ICU's definition (fold_with_icu()) is what it computes; the
// rest of this file is about getting there without asking ICU about every character.
#include <algorithm>
#include <cstring>
#include <optional>

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/utf8.h>

#include "byte_masks.hpp"
#include "code_point_table.hpp"
#include "normalizer.hpp"

namespace closedpaw::injection {

namespace {

// fold() folds text run by run, and hands text with more than one non-ASCII run per
// kBytesPerSegment bytes that needs ICU (after the first kMinSegments) to ICU whole.
constexpr std::size_t kMinSegments = 8;
constexpr std::size_t kBytesPerSegment = 32;
// fold() walks code points one at a time, and folds a run of at least this many ASCII bytes a
// block at a time.
constexpr std::size_t kLongAsciiRun = 16;
// Room fold() keeps at its write pointer: more than one code point folds to (the table caches
// folds of up to CodePointTable::kLengthMask bytes; the longest, U+FDFA, is 18 code points of 3
// bytes), and more than the 4 bytes of one code point.
constexpr std::size_t kRoom = 64;
static_assert(kRoom >= CodePointTable::kLengthMask && kRoom >= U8_MAX_LENGTH);

using bytes::is_ascii;

const icu::Normalizer2* nfkc_casefold(UErrorCode& status) {
    return icu::Normalizer2::getNFKCCasefoldInstance(status);
}

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
    // Hangul syllable being built of jamo, anything above the table) by ICU, up to the next ASCII
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
        return c >= 0 && (table.table_flags(c) & cp::kBoundaryBefore) != 0;
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
                f = table.table_flags(b);
                const bool copied = b == ' ' ? !(pos > stretch ? p[pos - 1] == ' ' : blank)
                                             : (f & cp::kCopiedByFold) != 0;
                if (!copied) break;
            } else {
                auto i = static_cast<int32_t>(pos);
                UChar32 c = 0;
                U8_NEXT(p, i, length, c);
                f = c < 0 ? 0 : table.table_flags(c);
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
            const uint16_t f = table.table_flags(c);
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

}  // namespace closedpaw::injection
