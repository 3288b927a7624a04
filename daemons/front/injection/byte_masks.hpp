// Byte classes as bit masks over 64-byte blocks (bit i for byte i), so that the normaliser and
// the decoders can skip ordinary text a block at a time instead of testing it byte by byte.
// With SSE2 (every x86-64) a class is tested 16 bytes per instruction; elsewhere the same masks
// are built one byte at a time. Both give the same bits: test_injection_fastpath checks it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace closedpaw::injection::bytes {

constexpr std::size_t kBlock = 64;

struct Range {
    unsigned char lo;
    unsigned char hi;  // inclusive
    // An ASCII letter range that also holds its upper case: tested as (c | 0x20) in lo..hi,
    // one range test instead of two.
    bool either_case = false;
};
constexpr Range only(unsigned char c) {
    return {c, c};
}

// A class of bytes: the union of inclusive ranges, fixed at compile time so that the SSE2
// comparisons use constants.
template <Range... Rs>
struct Class {
    static constexpr bool contains(unsigned char c) { return (in(Rs, c) || ...); }

  private:
    static constexpr bool in(Range r, unsigned char c) {
        const unsigned char folded = r.either_case ? c | 0x20 : c;
        return folded >= r.lo && folded <= r.hi;
    }
};

// Bit i set when p[i] is in the class, one byte at a time (the reference, and the fallback).
template <Range... Rs>
uint64_t mask_scalar(const unsigned char* p, Class<Rs...> set) {
    uint64_t m = 0;
    for (std::size_t i = 0; i < kBlock; ++i) {
        if (set.contains(p[i])) m |= uint64_t{1} << i;
    }
    return m;
}

#if defined(__SSE2__)
// 0xFF in each lane of x that is in r. SSE2 compares bytes as signed, so ranges within ASCII
// use signed compares (bytes from 0x80 are negative, outside) and others unsigned min/max.
template <Range R>
inline __m128i in_range(__m128i x) {
    if constexpr (R.either_case) {
        static_assert(R.lo >= 'a' && R.hi <= 'z', "either_case is for ASCII letters");
        return in_range<Range{R.lo, R.hi}>(_mm_or_si128(x, _mm_set1_epi8(0x20)));
    } else if constexpr (R.lo == R.hi) {
        return _mm_cmpeq_epi8(x, _mm_set1_epi8(static_cast<char>(R.lo)));
    } else if constexpr (R.lo == 0x80 && R.hi == 0xFF) {
        return _mm_cmplt_epi8(x, _mm_setzero_si128());
    } else if constexpr (R.lo > 0 && R.hi < 0x7F) {
        return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(static_cast<char>(R.lo - 1))),
                             _mm_cmplt_epi8(x, _mm_set1_epi8(static_cast<char>(R.hi + 1))));
    } else {
        const __m128i ge = _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(static_cast<char>(R.lo))), x);
        const __m128i le = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(static_cast<char>(R.hi))), x);
        return _mm_and_si128(ge, le);
    }
}

template <Range... Rs>
inline uint64_t mask_sse2(const unsigned char* p, Class<Rs...> /*set*/) {
    uint64_t m = 0;
    for (std::size_t b = 0; b < kBlock; b += 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + b));
        const __m128i in = (in_range<Rs>(x) | ...);
        m |= static_cast<uint64_t>(static_cast<uint16_t>(_mm_movemask_epi8(in))) << b;
    }
    return m;
}
#endif

// Bit i set when p[i] is in the class; p must have kBlock readable bytes.
template <Range... Rs>
inline uint64_t mask(const unsigned char* p, Class<Rs...> set) {
#if defined(__SSE2__)
    return mask_sse2(p, set);
#else
    return mask_scalar(p, set);
#endif
}

// Writes the kBlock bytes of p to out with 'A'..'Z' lower-cased.
inline void lower_ascii_block(const unsigned char* p, char* out) {
#if defined(__SSE2__)
    for (std::size_t b = 0; b < kBlock; b += 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + b));
        // Signed compares: bytes from 0x80 are negative, so never in 'A'..'Z'.
        const __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('A' - 1)),
                                            _mm_cmplt_epi8(x, _mm_set1_epi8('Z' + 1)));
        const __m128i lowered = _mm_add_epi8(x, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + b), lowered);
    }
#else
    for (std::size_t i = 0; i < kBlock; ++i) {
        const unsigned char c = p[i];
        out[i] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 0x20 : c);
    }
#endif
}

// The block of s starting at pos, with kBlock readable bytes: in place when s has them, else
// copied into pad with zeros after the end. valid has a bit for each byte that is part of s.
struct Block {
    const unsigned char* p;
    uint64_t valid;
};
inline Block block_at(std::string_view s, std::size_t pos, unsigned char (&pad)[kBlock]) {
    const std::size_t left = s.size() - pos;
    if (left >= kBlock) return {reinterpret_cast<const unsigned char*>(s.data() + pos), ~uint64_t{0}};
    std::memset(pad, 0, kBlock);
    std::memcpy(pad, s.data() + pos, left);
    return {pad, (uint64_t{1} << left) - 1};
}

// The index of the first byte at or after pos that is (or, for find_not, is not) in the class,
// or s.size().
template <Range... Rs>
std::size_t find(std::string_view s, std::size_t pos, Class<Rs...> set) {
    unsigned char pad[kBlock];
    for (; pos < s.size(); pos += kBlock) {
        const Block b = block_at(s, pos, pad);
        if (const uint64_t m = mask(b.p, set) & b.valid; m != 0) {
            return pos + static_cast<std::size_t>(__builtin_ctzll(m));
        }
    }
    return s.size();
}
template <Range... Rs>
std::size_t find_not(std::string_view s, std::size_t pos, Class<Rs...> set) {
    unsigned char pad[kBlock];
    for (; pos < s.size(); pos += kBlock) {
        const Block b = block_at(s, pos, pad);
        if (const uint64_t m = ~mask(b.p, set) & b.valid; m != 0) {
            return pos + static_cast<std::size_t>(__builtin_ctzll(m));
        }
    }
    return s.size();
}

// Classes shared by the normaliser and the decoders.
using NonAscii = Class<Range{0x80, 0xFF}>;
using AsciiLetters = Class<Range{'a', 'z', /*either_case=*/true}>;

inline bool is_ascii(std::string_view s) {
    return find(s, 0, NonAscii{}) == s.size();
}

}  // namespace closedpaw::injection::bytes
