#include "repeats.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace closedpaw::injection {

namespace {

// Where the last occurrence of each 8-byte sequence (by hash) was seen.
constexpr int kTableBits = 12;
constexpr std::size_t kGram = 8;

uint64_t load8(const char* p) {
    uint64_t v = 0;
    std::memcpy(&v, p, sizeof v);
    return v;
}

std::size_t slot(uint64_t gram) {
    return static_cast<std::size_t>((gram * 0x9E3779B97F4A7C15ULL) >> (64 - kTableBits));
}

// How many bytes from a and b (a < b, b + n within text) are equal, at most n.
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

}  // namespace

std::optional<std::string> shorten_repeats(std::string_view text) {
    constexpr std::size_t kLongRun = 2 * kRepeatKeep + kMaxRepeatPeriod;
    if (text.size() <= kLongRun) return std::nullopt;
    std::array<uint32_t, std::size_t{1} << kTableBits> last{};
    last.fill(UINT32_MAX);
    std::string out;
    std::size_t copied = 0;  // text[0, copied) is in out (or cut)
    for (std::size_t i = 0; i + kGram <= text.size(); ++i) {
        const uint64_t gram = load8(text.data() + i);
        uint32_t& seen = last[slot(gram)];
        const std::size_t j = seen;
        seen = static_cast<uint32_t>(i);
        if (j == UINT32_MAX || j >= i || i - j > kMaxRepeatPeriod ||
            load8(text.data() + j) != gram) {
            continue;
        }
        // text[j, i + n) repeats with period p = i - j.
        const std::size_t p = i - j;
        const std::size_t n = common_length(text, j, i);
        const std::size_t end = i + n;
        if (end - j <= kLongRun) {
            // Not long enough: go on from here (a run that began earlier was found there).
            continue;
        }
        // Keep text[j, j + head) and text[tail, end): head a whole number of periods of at
        // least kRepeatKeep, tail the same number of periods from j as head, leaving at least
        // kRepeatKeep after it; what is between is whole periods.
        const std::size_t head = (kRepeatKeep + p - 1) / p * p;
        const std::size_t tail = j + (end - kRepeatKeep - j) / p * p;
        if (tail <= j + head) {
            i = end - 1;
            continue;
        }
        if (out.empty()) out.reserve(text.size() / 2);
        out.append(text.substr(copied, j + head - copied));
        copied = tail;
        i = end - 1;  // the loop's ++i starts after the run
        if (end + kGram > text.size()) break;
    }
    if (copied == 0) return std::nullopt;
    out.append(text.substr(copied));
    return out;
}

}  // namespace closedpaw::injection
