// Long runs of one piece of text repeated over and over ("< system mode < system mode ...",
// one phrase a million times): the commonest way to make a scanner slow, and nothing a reader
// needs more than a few times. shorten_repeats() cuts each such run down to a few KiB before
// anything else reads the text.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace closedpaw::injection {

// Runs with a period of at most this many bytes are found.
inline constexpr std::size_t kMaxRepeatPeriod = 256;
// At least this much of a run is kept at each end. Every bounded stretch a pattern can match is
// far shorter (its longest gaps are a few hundred bytes), so
// - a phrase inside the run is found in the kept start (a periodic run holds in any window of
//   a phrase's length plus one period every phrase the whole run holds);
// - a phrase that begins before the run or ends after it reads the same bytes, which the kept
//   ends are;
// - no phrase can newly reach across the shortened run: it is still longer than any bounded
//   gap, and an unbounded gap ([^\n]*) crosses a run of any length alike.
inline constexpr std::size_t kRepeatKeep = 4096;

// text with every run of a repeated piece (period 1..kMaxRepeatPeriod bytes) longer than
// 2 * kRepeatKeep + kMaxRepeatPeriod shortened by whole periods, to between 2 * kRepeatKeep and
// 2 * kRepeatKeep + 2 * kMaxRepeatPeriod bytes. The result is the text with some whole periods
// taken out of the middle of such runs: valid UTF-8 stays valid. Nothing when no run is that
// long. Linear in the text.
std::optional<std::string> shorten_repeats(std::string_view text);

}  // namespace closedpaw::injection
