#include "repeats.hpp"

#include <cstring>

namespace closedpaw::injection {

namespace {

// Where runs are looked for: any run longer than kLongRun holds one of these offsets with a
// whole period and kRepeatKeep bytes after it inside the run.
constexpr std::size_t kProbeStride = kRepeatKeep;
constexpr std::size_t kLongRun = 2 * kRepeatKeep + kMaxRepeatPeriod;
constexpr std::size_t kGram = 8;

// How many bytes from a and b (a < b) are equal, up to the end of text.
std::size_t common_length(std::string_view text, std::size_t a, std::size_t b) {
    constexpr std::size_t kChunk = 256;
    std::size_t n = 0;
    const std::size_t limit = text.size() - b;
    while (n < limit) {
        const std::size_t step = std::min(kChunk, limit - n);
        if (std::memcmp(text.data() + a + n, text.data() + b + n, step) != 0) {
            while (text[a + n] == text[b + n]) ++n;
            return n;
        }
        n += step;
    }
    return n;
}

// The smallest period p <= kMaxRepeatPeriod with which text repeats for at least kRepeatKeep
// bytes from x, or 0.
std::size_t period_at(std::string_view text, std::size_t x) {
    if (x + kGram + kMaxRepeatPeriod > text.size()) return 0;
    const char* s = text.data();
    for (std::size_t p = 1; p <= kMaxRepeatPeriod; ++p) {
        // Candidates are the places the next 8 bytes occur again; the rest fail at once.
        const void* hit = std::memchr(s + x + p, s[x], kMaxRepeatPeriod - p + 1);
        if (hit == nullptr) return 0;
        p = static_cast<std::size_t>(static_cast<const char*>(hit) - (s + x));
        if (std::memcmp(s + x, s + x + p, kGram) == 0 && x + p + kRepeatKeep <= text.size() &&
            common_length(text, x, x + p) >= kRepeatKeep) {
            return p;
        }
    }
    return 0;
}

}  // namespace

std::optional<std::string> shorten_repeats(std::string_view text) {
    if (text.size() <= kLongRun) return std::nullopt;
    std::string out;
    std::size_t copied = 0;  // text[0, copied) is in out (or cut)
    for (std::size_t x = 0; x < text.size(); x += kProbeStride) {
        if (x < copied) continue;
        const std::size_t p = period_at(text, x);
        if (p == 0) continue;
        // The whole run: back to where the period breaks (not into what was kept before),
        // and on to where it ends.
        std::size_t start = x;
        while (start > copied && text[start - 1] == text[start - 1 + p]) --start;
        const std::size_t end = x + p + common_length(text, x, x + p);
        if (end - start <= kLongRun) continue;
        // Keep text[start, start + head) and text[tail, end): head a whole number of periods of
        // at least kRepeatKeep, tail the same number of periods from start as head, leaving at
        // least kRepeatKeep after it; what is between is whole periods.
        const std::size_t head = (kRepeatKeep + p - 1) / p * p;
        const std::size_t tail = start + (end - kRepeatKeep - start) / p * p;
        if (tail <= start + head) continue;
        if (out.empty()) out.reserve(text.size() / 2);
        out.append(text.substr(copied, start + head - copied));
        copied = tail;
        // The next probe after the run.
        x = end / kProbeStride * kProbeStride;
    }
    if (copied == 0) return std::nullopt;
    out.append(text.substr(copied));
    return out;
}

}  // namespace closedpaw::injection
