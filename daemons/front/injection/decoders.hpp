// Decoders for the obvious obfuscations. Each one is a single left-to-right pass (linear in
// the input) and produces an extra view that is scanned like the text itself.
#pragma once

#include <algorithm>
#include <cstddef>
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

// The stretches of view within kRewriteContext of a rewritten place, each on a line of its own;
// all of view when those are half of it or more. next_rewrite(view, i) is the offset of the
// first rewritten byte at or after i, view.size() if there is none.
template <typename NextRewrite>
std::string rewritten_stretches(std::string&& view, NextRewrite next_rewrite) {
    std::string out;
    std::size_t covered = 0;  // view[0, covered) is already in out or skipped
    for (std::size_t i = next_rewrite(view, 0); i < view.size(); i = next_rewrite(view, covered)) {
        std::size_t from = std::max(covered, i > kRewriteContext ? i - kRewriteContext : 0);
        std::size_t to = std::min(view.size(), i + 1 + kRewriteContext);
        // Stretches end on character boundaries.
        while (from > covered && (static_cast<unsigned char>(view[from]) & 0xC0) == 0x80) --from;
        while (to < view.size() && (static_cast<unsigned char>(view[to]) & 0xC0) == 0x80) ++to;
        if (from > covered && !out.empty()) out.append("\n\n");
        out.append(view, from, to - from);
        covered = to;
        if (out.size() * 2 >= view.size()) return std::move(view);
    }
    return out;
}

// The same, where rewritten holds the offset in view of each rewritten place, in order.
inline std::string rewritten_stretches_at(std::string&& view,
                                          const std::vector<std::size_t>& rewritten) {
    return rewritten_stretches(std::move(view), [&](const std::string& v, std::size_t from) {
        const auto at = std::lower_bound(rewritten.begin(), rewritten.end(), from);
        return at == rewritten.end() ? v.size() : std::min(*at, v.size());
    });
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

}  // namespace closedpaw::injection
