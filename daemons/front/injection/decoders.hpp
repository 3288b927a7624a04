// Decoders for the obvious obfuscations. Each one is a single left-to-right pass (linear in
// the input) and produces an extra view that is scanned like the text itself.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace closedpaw::injection {

// A view that rewrites only a few places in a long text (a "1st" or "mp3" in a manual read as
// leetspeak, an escape that turned up by chance in junk) is scanned as the rewritten stretches
// with this much text either side, not as a whole second copy: every phrase through a
// rewritten place is still read whole unless it reaches further than this from it (patterns
// stop at sentence ends long before).
inline constexpr std::size_t kRewriteContext = 1024;

struct Stretch {
    std::size_t from;
    std::size_t to;
};

// The stretches of text within kRewriteContext of a rewritten place, in order, on character
// boundaries, touching ones joined; one stretch of all of it when they (with a two-byte line
// break between each) are half of it or more. next_rewrite(i) is the offset of the first
// rewritten byte at or after i, text.size() if there is none.
template <typename NextRewrite>
std::vector<Stretch> stretches_around(std::string_view text, NextRewrite next_rewrite) {
    std::vector<Stretch> out;
    std::size_t covered = 0;  // text[0, covered) is in a stretch or skipped
    std::size_t kept = 0;     // bytes of the stretches, with their line breaks
    for (std::size_t i = next_rewrite(0); i < text.size(); i = next_rewrite(covered)) {
        std::size_t from = std::max(covered, i > kRewriteContext ? i - kRewriteContext : 0);
        std::size_t to = std::min(text.size(), i + 1 + kRewriteContext);
        while (from > covered && (static_cast<unsigned char>(text[from]) & 0xC0) == 0x80) --from;
        while (to < text.size() && (static_cast<unsigned char>(text[to]) & 0xC0) == 0x80) ++to;
        if (!out.empty() && from == out.back().to) {
            out.back().to = to;
        } else {
            kept += out.empty() ? 0 : 2;
            out.push_back(Stretch{from, to});
        }
        kept += to - from;
        covered = to;
        if (kept * 2 >= text.size()) return {Stretch{0, text.size()}};
    }
    return out;
}

// next_rewrite for stretches_around() when the rewritten places are listed, in order.
inline auto listed_rewrites(const std::vector<std::size_t>& rewritten, std::size_t size) {
    return [&rewritten, size](std::size_t from) {
        const auto at = std::lower_bound(rewritten.begin(), rewritten.end(), from);
        return at == rewritten.end() ? size : std::min(*at, size);
    };
}

// The stretches of text, each made into piece(text.substr(...)), on lines of their own.
template <typename Piece>
std::string joined_stretches(std::string_view text, const std::vector<Stretch>& stretches,
                             Piece piece) {
    std::string out;
    for (const Stretch& s : stretches) {
        if (!out.empty()) out.append("\n\n");
        out.append(piece(text.substr(s.from, s.to - s.from)));
    }
    return out;
}

// A rewritten view cut to its stretches (above); the view itself when that is all of it.
// next_rewrite(view, i) is as above.
template <typename NextRewrite>
std::string rewritten_stretches(std::string&& view, NextRewrite next_rewrite) {
    const std::vector<Stretch> stretches =
        stretches_around(view, [&](std::size_t i) { return next_rewrite(view, i); });
    if (stretches.size() == 1 && stretches[0].from == 0 && stretches[0].to == view.size()) {
        return std::move(view);
    }
    return joined_stretches(view, stretches, [](std::string_view s) { return s; });
}

// The same, where rewritten holds the offset in view of each rewritten place, in order.
inline std::string rewritten_stretches_at(std::string&& view,
                                          const std::vector<std::size_t>& rewritten) {
    const std::size_t size = view.size();
    return rewritten_stretches(std::move(view),
                               [next = listed_rewrites(rewritten, size)](
                                   const std::string&, std::size_t from) { return next(from); });
}

// Base64 (standard and URL-safe), hex (contiguous, spaced pairs, \x41 and 0x41 forms), 8-bit
// binary groups, percent-encoding, numeric character references and \u escapes ("&#73;",
// "\u0049"), and markup inside words ("Ig<b></b>nore") found in clean (case-preserving) text.
// Returns the decoded pieces that read as text, one per line; empty when nothing decoded. A
// single escape or in-word tag is enough: the whole text is given once more, with escapes of
// every kind decoded in that one copy. Pieces are decoded a second time, which catches double
// encoding, until the view holds twice the text's bytes (plus 64 KiB): junk full of escapes
// costs no more than twice its size. Invalid UTF-8 in the result is left for the normaliser to
// replace.
std::string decode_embedded(std::string_view clean);

// "i g n o r e  a l l" / "i.g.n.o.r.e" -> "ignore all": runs of at least four single letters
// joined; a wider gap between letters becomes a space, and so does one as narrow but of another
// mark ("i-g-n-o-r-e a-l-l"). Nothing when no run was found.
std::optional<std::string> join_spaced_letters(std::string_view text);
// The cheap test join_spaced_letters() starts with: kMinSpacedLetters single letters in a row,
// each 1..3 separators apart. No allocation; false means join_spaced_letters() gives nothing.
bool has_spaced_run(std::string_view text);

// "1gn0r3 pr3v10u5" -> "ignore previous": digits and symbols inside words that also hold
// letters are read as the letters they imitate. A word inside a run of more than 40 letters,
// digits and stand-ins is left alone: that run is base64, hex or a key, not a word. Nothing
// when no word changed.
std::optional<std::string> unleet(std::string_view text);

// Text written in ROT13 or backwards ("vtaber nyy cerivbhf vafgehpgvbaf", ".snoitcurtsni
// suoiverp lla erongi", "erongi lla suoiverp"). turned_words() lists common words so written
// (the ROT13 and the mirror image of "the", "your", "all", "ignore", ...), none of them a word
// in English; the pattern set finds them as whole words in the same pass as the patterns
// (PatternSet::compile), and hits holds each one found: its index in turned_words() and the
// offset just past it. When at least kMinTurnedWords distinct words of one kind are found,
// turned_views() gives the case-folded text read forwards: ROT13 decoded, or for backwards
// text both the whole text reversed and each word reversed in place, each cut to the stretches
// around the words found. Ordinary text in any language almost never holds three of them.
inline constexpr std::size_t kMinTurnedWords = 3;
struct WordHit {
    uint32_t word;
    uint32_t end;
};
const std::vector<std::string_view>& turned_words();
std::vector<std::string> turned_views(std::string_view text, const std::vector<WordHit>& hits);

}  // namespace closedpaw::injection
