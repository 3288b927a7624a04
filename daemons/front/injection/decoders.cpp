#include "decoders.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "byte_masks.hpp"

namespace closedpaw::injection {

namespace {

constexpr std::size_t kMinBase64Run = 16;  // shorter runs are words, ids and hashes
constexpr std::size_t kMinHexBytes = 6;    // "deadbeef" is not a message
constexpr std::size_t kMinBinaryBytes = 4;
constexpr std::size_t kMaxTagBytes = 64;  // a tag inside a word: "<b>", "<span class=x>"
constexpr std::size_t kMinSpacedLetters = 4;
// A longer run of letters, digits and stand-ins (base64, hex, a key, a hash) is no word, so no
// leetspeak: "1nstruct10n5" is 12. Joining marks (- / _ =) end a run: leet words joined by them
// ("1gn0r3-4ll-pr3v10u5-...") are still read one by one.
constexpr std::size_t kMaxLeetToken = 40;
constexpr int kDecodeRounds = 2;
// All rounds together decode at most this many bytes per byte of text, plus the slack (short
// texts are never cut).
constexpr std::size_t kMaxDecodedPerByte = 2;
constexpr std::size_t kDecodedSlack = 64 * 1024;

constexpr std::array<int8_t, 256> make_base64_table() {
    std::array<int8_t, 256> t{};
    for (auto& v : t) v = -1;
    for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = static_cast<int8_t>(c - 'A');
    for (int c = 'a'; c <= 'z'; ++c)
        t[static_cast<std::size_t>(c)] = static_cast<int8_t>(c - 'a' + 26);
    for (int c = '0'; c <= '9'; ++c)
        t[static_cast<std::size_t>(c)] = static_cast<int8_t>(c - '0' + 52);
    t['+'] = t['-'] = 62;  // standard and URL-safe alphabets
    t['/'] = t['_'] = 63;
    return t;
}
constexpr std::array<int8_t, 256> kBase64 = make_base64_table();

inline int base64_value(unsigned char c) {
    return kBase64[c];
}

constexpr std::array<int8_t, 256> make_hex_table() {
    std::array<int8_t, 256> t{};
    for (auto& v : t) v = -1;
    for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = static_cast<int8_t>(c - '0');
    for (int c = 'a'; c <= 'f'; ++c) {
        t[static_cast<std::size_t>(c)] = static_cast<int8_t>(c - 'a' + 10);
        t[static_cast<std::size_t>(c - 'a' + 'A')] = static_cast<int8_t>(c - 'a' + 10);
    }
    return t;
}
constexpr std::array<int8_t, 256> kHex = make_hex_table();

inline int hex_value(unsigned char c) {
    return kHex[c];
}

bool is_alpha_ascii(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_alnum_ascii(unsigned char c) {
    return is_alpha_ascii(c) || (c >= '0' && c <= '9');
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
    }
    return n;
}

// Where valid UTF-8 in bytes, read from `from` (a sequence start), stops: bytes.size() when
// all of it is valid; no more than three bytes before the end when the rest is only an
// incomplete sequence, which more bytes could complete.
std::size_t valid_utf8_end(std::string_view bytes, std::size_t from) {
    std::size_t i = from;
    while (i < bytes.size()) {
        const std::size_t n = utf8_sequence(bytes, i);
        if (n == 0) return i;
        i += n;
    }
    return i;
}

// Decoded bytes that break UTF-8 before their last three are no text, whatever follows.
bool broken_utf8(std::string_view bytes, std::size_t valid_end) {
    return valid_end + 3 < bytes.size();
}

// A long encoded run is judged by its first bytes before the rest is decoded: random bytes,
// keys and compressed data break UTF-8 almost at once.
constexpr std::size_t kHeadBytes = 192;

// Decoded bytes count as text when they are valid UTF-8, nearly all printable, and at least
// a third of them letters: random bytes, hashes and keys fail this.
bool reads_as_text(std::string_view bytes) {
    if (bytes.size() < 4) return false;
    std::size_t printable = 0;
    std::size_t letters = 0;
    for (std::size_t i = 0; i < bytes.size();) {
        const auto b = static_cast<unsigned char>(bytes[i]);
        if (b < 0x80) {  // most decoded text: no sequence to read
            printable += (b >= 0x20 && b < 0x7F) || b == '\n' || b == '\t';
            letters += is_alpha_ascii(b);
            ++i;
            continue;
        }
        // A character past ASCII (a sequence of two or more bytes) counts as a printable letter.
        const std::size_t n = utf8_sequence(bytes, i);
        if (n == 0) return false;
        printable += n;
        letters += n;
        i += n;
    }
    return printable * 100 >= bytes.size() * 95 && letters * 3 >= bytes.size() && letters >= 3;
}

std::string decode_base64(std::string_view run) {
    std::string out;
    out.reserve(run.size() * 3 / 4);
    uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : run) {
        if (c == '=') break;
        const int v = base64_value(c);
        if (v < 0) break;
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    return out;
}

// Code point cp as UTF-8 in out: its length, or 0 for NUL, surrogates and values past
// U+10FFFF.
std::size_t encode_utf8(uint32_t cp, char (&out)[4]) {
    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return 0;
    if (cp < 0x80) {
        out[0] = static_cast<char>(cp);
        return 1;
    }
    if (cp < 0x800) {
        out[0] = static_cast<char>(0xC0 | (cp >> 6));
        out[1] = static_cast<char>(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = static_cast<char>(0xE0 | (cp >> 12));
        out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out[2] = static_cast<char>(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = static_cast<char>(0xF0 | (cp >> 18));
    out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[3] = static_cast<char>(0x80 | (cp & 0x3F));
    return 4;
}

// Digits of `base` (10 or 16) at s[i..], at most max_digits of them: their value in *v and
// how many there were (0: none).
std::size_t read_number(std::string_view s, std::size_t i, int base, std::size_t max_digits,
                        uint32_t* v) {
    uint32_t value = 0;
    std::size_t n = 0;
    while (n < max_digits && i + n < s.size()) {
        const auto c = static_cast<unsigned char>(s[i + n]);
        const int d = base == 16 ? hex_value(c) : (c >= '0' && c <= '9' ? c - '0' : -1);
        if (d < 0) break;
        value = value * static_cast<uint32_t>(base) + static_cast<uint32_t>(d);
        ++n;
    }
    *v = value;
    return n;
}

// A character reference or escape at s[i]: "&#73;" and "&#x49;" (HTML, XML; the ";" may be
// left out, as browsers allow), "\u0049", "\U00000049" and "\u{49}" (JSON, JavaScript,
// Python). Its length, and its code point in *cp; 0 if there is none at i.
std::size_t char_escape_at(std::string_view s, std::size_t i, uint32_t* cp) {
    if (i + 3 >= s.size()) return 0;
    std::size_t n = 0;
    if (s[i] == '&' && s[i + 1] == '#') {
        const bool hex = s[i + 2] == 'x' || s[i + 2] == 'X';
        const std::size_t from = i + 2 + (hex ? 1 : 0);
        n = read_number(s, from, hex ? 16 : 10, hex ? 6 : 7, cp);
        if (n == 0) return 0;
        std::size_t end = from + n;
        if (end < s.size() && s[end] == ';') ++end;
        return end - i;
    }
    if (s[i] != '\\') return 0;
    if (s[i + 1] == 'u' && s[i + 2] == '{') {
        n = read_number(s, i + 3, 16, 6, cp);
        if (n == 0 || i + 3 + n >= s.size() || s[i + 3 + n] != '}') return 0;
        return n + 4;
    }
    const std::size_t want = s[i + 1] == 'u' ? 4 : s[i + 1] == 'U' ? 8 : 0;
    if (want == 0 || read_number(s, i + 2, 16, want, cp) != want) return 0;
    return want + 2;
}

// One pass over text; each recogniser consumes what it decodes.
class Scanner {
  public:
    explicit Scanner(std::string_view text) : s_(text) {}

    std::string run() {
        // Walk tokens of the base64 alphabet; only tokens that could start an encoding are
        // handed to the recognisers. Ordinary words are not even visited: next_candidate()
        // skips to the next token that a recogniser could accept, 64 bytes at a time.
        std::size_t i = next_candidate(0);
        while (i < s_.size()) {
            if (base64_value(static_cast<unsigned char>(s_[i])) < 0 && s_[i] != '\\') {
                i = next_candidate(i + 1);
                continue;
            }
            std::size_t end = i;
            while (end < s_.size() && base64_value(static_cast<unsigned char>(s_[end])) >= 0) ++end;
            const std::size_t len = end - i;
            std::size_t next = i;
            const bool maybe_binary = len == 8 && (s_[i] == '0' || s_[i] == '1');
            const bool maybe_hex = s_[i] == '\\' || len == 2 || len >= 2 * kMinHexBytes ||
                                   (len >= 4 && s_[i] == '0' && (s_[i + 1] | 0x20) == 'x');
            if (at_token_start(i) &&
                ((maybe_binary && try_binary(i, &next)) || (maybe_hex && try_hex(i, &next)) ||
                 (len >= kMinBase64Run && try_base64(i, &next)))) {
                i = next_candidate(std::max(next, i + 1));
            } else {
                i = next_candidate(std::max(end, i + 1));
            }
        }
        rewrite_escapes();
        return std::move(out_);
    }

  private:
    // The first position from i on where a recogniser could succeed: a token start (after a
    // byte outside the alphabet) of two hex digits and length 2, of eight 0/1 digits, of
    // "0x", of length 12 or more; or "\x". Anywhere else every recogniser fails on its first
    // bytes, and run() would step over the token without effect; so skipping to the next
    // candidate gives the same output. Blocks of 64 are tested, overlapping so that the
    // 12 bytes a candidate needs lie in one block; the last block tests to its end.
    std::size_t next_candidate(std::size_t i) {
        constexpr std::size_t kStride = bytes::kBlock - 12;
        while (i < s_.size()) {
            if (i < cached_from_ || i >= cached_to_) cache_candidates(i, kStride);
            const uint64_t m = cached_ & (~uint64_t{0} << (i - cached_from_));
            if (m != 0) return cached_from_ + static_cast<std::size_t>(__builtin_ctzll(m));
            i = cached_to_;
        }
        return s_.size();
    }

    void cache_candidates(std::size_t from, std::size_t stride) {
        using bytes::only;
        using bytes::Range;
        using Digits = bytes::Class<Range{'0', '9'}>;
        using Base64Marks = bytes::Class<only('+'), only('-'), only('/'), only('_')>;
        using HexLetters = bytes::Class<Range{'a', 'f', /*either_case=*/true}>;
        using Bits = bytes::Class<Range{'0', '1'}>;
        using Zero = bytes::Class<only('0')>;
        using X = bytes::Class<only('x'), only('X')>;
        using Backslash = bytes::Class<only('\\')>;
        unsigned char pad[bytes::kBlock];
        const bytes::Block b = bytes::block_at(s_, from, pad);
        const uint64_t digits = bytes::mask(b.p, Digits{}) & b.valid;
        const uint64_t b64 =
            ((bytes::mask(b.p, bytes::AsciiLetters{}) | bytes::mask(b.p, Base64Marks{})) & b.valid) | digits;
        const uint64_t prev_b64 =
            from > 0 && base64_value(static_cast<unsigned char>(s_[from - 1])) >= 0 ? 1 : 0;
        const uint64_t starts = b64 & ~((b64 << 1) | prev_b64);
        // runN: a run of at least N bytes of the alphabet starts here.
        const uint64_t run2 = b64 & (b64 >> 1);
        const uint64_t run4 = run2 & (run2 >> 2);
        const uint64_t run8 = run4 & (run4 >> 4);
        const uint64_t length2 = starts & run2 & ~(b64 >> 2);
        uint64_t m = starts & run8 & (run4 >> 8);  // length 12 or more
        // The rarer shapes: tested only where they could be.
        if (length2 != 0) {
            const uint64_t hex = (bytes::mask(b.p, HexLetters{}) & b.valid) | digits;
            m |= length2 & hex & (hex >> 1);
        }
        if ((starts & run8) != 0) {
            const uint64_t bits = bytes::mask(b.p, Bits{});
            const uint64_t bits2 = bits & (bits >> 1);
            const uint64_t bits4 = bits2 & (bits2 >> 2);
            m |= starts & bits4 & (bits4 >> 4);
        }
        if (const uint64_t x = bytes::mask(b.p, X{}) & b.valid; x != 0) {
            m |= (starts & bytes::mask(b.p, Zero{}) & (x >> 1)) |
                 (bytes::mask(b.p, Backslash{}) & (x >> 1));
        }
        const bool last = s_.size() - from <= bytes::kBlock;
        if (!last) m &= (uint64_t{1} << stride) - 1;
        cached_ = m;
        cached_from_ = from;
        cached_to_ = last ? s_.size() : from + stride;
    }

    bool at_token_start(std::size_t i) const {
        return i == 0 || base64_value(static_cast<unsigned char>(s_[i - 1])) < 0;
    }

    void emit(std::string_view decoded) {
        if (!reads_as_text(decoded)) return;
        out_.append(decoded);
        out_.push_back('\n');
    }

    // Groups of eight 0/1 separated by whitespace.
    bool try_binary(std::size_t i, std::size_t* next) {
        if (!at_token_start(i)) return false;
        std::string bytes;
        std::size_t j = i;
        while (j + 8 <= s_.size()) {
            unsigned v = 0;
            std::size_t k = 0;
            for (; k < 8; ++k) {
                const char c = s_[j + k];
                if (c != '0' && c != '1') break;
                v = (v << 1) | static_cast<unsigned>(c - '0');
            }
            if (k < 8) break;
            if (j + 8 < s_.size() && (s_[j + 8] == '0' || s_[j + 8] == '1')) break;
            bytes.push_back(static_cast<char>(v));
            j += 8;
            if (j < s_.size() && (s_[j] == ' ' || s_[j] == '\n' || s_[j] == ',')) ++j;
        }
        if (bytes.size() < kMinBinaryBytes) return false;
        emit(bytes);  // consumed even when it is not text, so no byte is re-read
        *next = j;
        return true;
    }

    // Pairs of hex digits: "48656c6c6f", "48 65 6c", "\x48\x65", "0x48 0x65". A run that is
    // long enough is consumed whether or not it decodes to text, so no byte is re-read.
    bool try_hex(std::size_t i, std::size_t* next) {
        std::string bytes;
        std::size_t count = 0;      // pairs read
        std::size_t valid = 0;      // bytes[0, valid) is checked UTF-8
        bool binary = false;        // no text: the rest of the run is read, not kept
        std::size_t j = i;
        std::size_t last_end = i;
        while (j < s_.size()) {
            std::size_t k = j;
            if (k + 1 < s_.size() && (s_[k] == '\\' || s_[k] == '0') &&
                (s_[k + 1] == 'x' || s_[k + 1] == 'X')) {
                k += 2;
            }
            if (k + 2 > s_.size()) break;
            const int hi = hex_value(static_cast<unsigned char>(s_[k]));
            const int lo = hex_value(static_cast<unsigned char>(s_[k + 1]));
            if (hi < 0 || lo < 0) break;
            ++count;
            if (!binary) {
                bytes.push_back(static_cast<char>(hi * 16 + lo));
                if (bytes.size() >= valid + kHeadBytes) {
                    valid = valid_utf8_end(bytes, valid);
                    binary = broken_utf8(bytes, valid);
                }
            }
            k += 2;
            last_end = k;
            if (k < s_.size() && (s_[k] == ' ' || s_[k] == ':' || s_[k] == ',')) ++k;
            j = k;
        }
        if (count < kMinHexBytes) return false;
        *next = last_end;
        // Ended inside a longer alphanumeric token: a word or base64, not hex.
        const bool inside_token =
            last_end < s_.size() && base64_value(static_cast<unsigned char>(s_[last_end])) >= 0;
        if (!inside_token && !binary) emit(bytes);
        return !inside_token || count > kMinBase64Run;
    }

    bool try_base64(std::size_t i, std::size_t* next) {
        if (!at_token_start(i)) return false;
        std::size_t j = i;
        bool upper = false;
        bool lower = false;
        bool digit = false;
        while (j < s_.size()) {
            const auto c = static_cast<unsigned char>(s_[j]);
            if (base64_value(c) < 0) break;
            upper |= c >= 'A' && c <= 'Z';
            lower |= c >= 'a' && c <= 'z';
            digit |= c >= '0' && c <= '9';
            ++j;
        }
        const std::size_t run_end = j;
        while (j < s_.size() && s_[j] == '=') ++j;
        const std::size_t run = run_end - i;
        if (run < kMinBase64Run) {
            *next = j > i ? j : i + 1;
            return j > i;  // skip the whole short token either way
        }
        // Real base64 of text mixes cases; a long lower-case word is not base64.
        if (!(upper && lower) && !(digit && (upper || lower))) {
            *next = j;
            return true;
        }
        *next = j;
        const std::string_view body = s_.substr(i, run);
        // kHeadBytes decoded from the first characters (a multiple of four: the same bytes
        // the whole decoding starts with).
        const std::string head = decode_base64(body.substr(0, kHeadBytes / 3 * 4));
        if (!broken_utf8(head, valid_utf8_end(head, 0))) emit(decode_base64(body));
        return true;
    }

    // Percent escapes ("%49gnore"), character references and escapes (char_escape_at():
    // "&#73;gnore", "\u0049") and markup inside words ("Ig<b></b>nore", "prev<span>i</span>ous")
    // hide a phrase with a single one. If the text holds any, the whole text is given once more
    // with every one of them decoded or removed: one copy, however many kinds it mixes, so the
    // decoded view of a text is never more than a few times its size. A JSON surrogate pair
    // ("\ud83d\ude00") is one character. Tags between words are left: they split nothing.
    // A tag is "<", maybe "/", a name of letters and digits, then ">" or a blank and
    // attributes: "i<n;" and "a[i]>b" in code are not tags.
    void rewrite_escapes() {
        // Percent-encoded text writes blanks as '+': read them so only where it has escapes.
        bool percent = false;
        for (std::size_t i = s_.find('%'); i != std::string_view::npos && i + 2 < s_.size();
             i = s_.find('%', i + 1)) {
            if (percent_escape_at(i)) {
                percent = true;
                break;
            }
        }
        std::string decoded;
        std::vector<std::size_t> rewritten;  // where in decoded each rewrite is
        std::size_t copied = 0;  // s_[copied, i) is still to be appended to decoded
        auto replace = [&](std::size_t i, std::size_t length, std::string_view with,
                           bool telling = true) {
            if (decoded.empty()) decoded.reserve(s_.size());
            decoded.append(s_.substr(copied, i - copied));
            if (telling) rewritten.push_back(decoded.size());
            decoded.append(with);
            copied = i + length;
        };
        // Only these bytes can start a rewrite; the blocks between them are passed over a
        // 64-byte block at a time, and copied in bulk.
        using Starts = bytes::Class<bytes::only('%'), bytes::only('+'), bytes::only('&'),
                                    bytes::only('\\'), bytes::only('<')>;
        // (Escapes often follow one another: the byte after one is tested before a search.)
        auto next_start = [&](std::size_t i) {
            return i < s_.size() && Starts::contains(static_cast<unsigned char>(s_[i]))
                       ? i
                       : bytes::find(s_, i, Starts{});
        };
        for (std::size_t i = next_start(0); i < s_.size(); i = next_start(i)) {
            const char c = s_[i];
            if (c == '%' && percent_escape_at(i)) {
                // A run of escapes is one or more characters in UTF-8; one that is not (junk,
                // "%FF") is left as written rather than spoil the whole copy.
                std::string bytes;
                std::size_t j = i;
                for (; j < s_.size() && percent_escape_at(j); j += 3) {
                    bytes.push_back(
                        static_cast<char>(hex_value(static_cast<unsigned char>(s_[j + 1])) * 16 +
                                          hex_value(static_cast<unsigned char>(s_[j + 2]))));
                }
                if (valid_utf8_end(bytes, 0) == bytes.size()) replace(i, j - i, bytes);
                i = j;
            } else if (c == '+' && percent) {
                // Not a place of its own: patterns read '+' as a gap between words already.
                replace(i, 1, " ", /*telling=*/false);
                i += 1;
            } else if (c == '&' || c == '\\') {
                uint32_t cp = 0;
                const std::size_t n = char_escape_at(s_, i, &cp);
                if (n == 0) {
                    i += 1;
                    continue;
                }
                std::size_t length = n;
                uint32_t low = 0;
                const std::size_t m =
                    cp >= 0xD800 && cp <= 0xDBFF ? char_escape_at(s_, i + n, &low) : 0;
                if (m != 0 && low >= 0xDC00 && low <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    length += m;
                }
                char utf8[4];
                const std::size_t bytes = encode_utf8(cp, utf8);
                // NUL, a lone surrogate, past U+10FFFF: left as written.
                if (bytes != 0) {
                    replace(i, length, std::string_view(utf8, bytes));
                } else {
                    length = n;
                }
                i += length;
            } else if (c == '<') {
                const std::size_t end = tags_end(i);
                if (inside_word(i, end)) replace(i, end - i, {});
                i = std::max(end, i + 1);
            } else {
                i += 1;
            }
        }
        if (rewritten.empty()) return;
        decoded.append(s_.substr(copied));
        // A few escapes in a long text (junk holds some by chance): only the stretches around
        // them are new.
        emit(rewritten_stretches_at(std::move(decoded), rewritten));
    }

    bool percent_escape_at(std::size_t i) const {
        return s_[i] == '%' && i + 2 < s_.size() &&
               hex_value(static_cast<unsigned char>(s_[i + 1])) >= 0 &&
               hex_value(static_cast<unsigned char>(s_[i + 2])) >= 0;
    }

    // The end of a tag at s_[j] == '<', or j.
    std::size_t tag_end(std::size_t j) const {
        std::size_t k = j + 1;
        if (k < s_.size() && s_[k] == '/') ++k;
        const std::size_t name = k;
        while (k < s_.size() && k - j < kMaxTagBytes &&
               is_alnum_ascii(static_cast<unsigned char>(s_[k])))
            ++k;
        if (k == name || !is_alpha_ascii(static_cast<unsigned char>(s_[name])) || k >= s_.size())
            return j;
        if (s_[k] != '>' && s_[k] != ' ' && s_[k] != '\t' && s_[k] != '/') return j;
        const std::size_t close = s_.substr(k, kMaxTagBytes - (k - j)).find_first_of("<>\n");
        if (close == std::string_view::npos || s_[k + close] != '>') return j;
        return k + close + 1;
    }

    // The end of the tags from s_[i] == '<', or i.
    std::size_t tags_end(std::size_t i) const {
        std::size_t j = i;
        for (std::size_t e; j < s_.size() && s_[j] == '<' && (e = tag_end(j)) != j;) j = e;
        return j;
    }

    bool inside_word(std::size_t i, std::size_t end) const {
        return end > i && i > 0 && end < s_.size() &&
               is_alpha_ascii(static_cast<unsigned char>(s_[i - 1])) &&
               is_alpha_ascii(static_cast<unsigned char>(s_[end]));
    }

    std::string_view s_;
    std::string out_;
    // next_candidate()'s last block: candidate bits for s_[cached_from_, cached_to_).
    uint64_t cached_ = 0;
    std::size_t cached_from_ = 0;
    std::size_t cached_to_ = 0;
};

constexpr std::array<char, 128> make_leet_table() {
    std::array<char, 128> t{};
    t['0'] = 'o';
    t['1'] = 'i';
    t['3'] = 'e';
    t['4'] = 'a';
    t['5'] = 's';
    t['7'] = 't';
    t['8'] = 'b';
    t['9'] = 'g';
    t['@'] = 'a';
    t['$'] = 's';
    t['!'] = 'i';
    t['|'] = 'l';
    t['+'] = 't';
    return t;
}
constexpr std::array<char, 128> kLeet = make_leet_table();

bool is_leet_char(unsigned char c) {
    return c < 128 && kLeet[c] != 0;
}

}  // namespace

std::string decode_embedded(std::string_view clean) {
    // Each round gives at most one whole copy of its input and the decodings of runs within
    // it; later rounds stop at this many bytes in all, so the view stays linear in the text.
    const std::size_t budget = kMaxDecodedPerByte * clean.size() + kDecodedSlack;
    std::string decoded = Scanner(clean).run();
    std::string all = decoded;
    for (int round = 1; round < kDecodeRounds && !decoded.empty() && all.size() < budget; ++round) {
        decoded = Scanner(decoded).run();
        std::size_t keep = std::min(decoded.size(), budget - all.size());
        while (keep > 0 && keep < decoded.size() &&
               (static_cast<unsigned char>(decoded[keep]) & 0xC0) == 0x80)
            --keep;
        all.append(decoded, 0, keep);
    }
    return all;
}

namespace {

// What may stand between the letters of "i g n o r e", "i.g.n.o.r.e" or "i-g-n-o-r-e".
bool is_spacing(char c) {
    return c == ' ' || c == '.' || c == '-' || c == '_' || c == '*' || c == '|' || c == '/';
}

// The detector proper: one character at a time, skipping words of two or more letters, over
// t[from, to] (t[to] included; the bytes either side are read as context).
bool has_spaced_run_bytewise(std::string_view t, std::size_t from, std::size_t to) {
    std::size_t run = 0;
    std::size_t gap = 0;
    bool prev_alnum = from > 0 && is_alnum_ascii(static_cast<unsigned char>(t[from - 1]));
    for (std::size_t i = from; i <= to && i < t.size(); ++i) {
        const auto c = static_cast<unsigned char>(t[i]);
        const bool alpha = is_alpha_ascii(c);
        if (alpha && i + 1 < t.size() && is_alpha_ascii(static_cast<unsigned char>(t[i + 1]))) {
            // A word of two or more letters: no letter of its alphanumeric run is single, and
            // each resets the run, so the whole run is skipped at once (up to `to`: no further,
            // or each of many close calls would walk the same long run).
            while (i < to && i + 1 < t.size() &&
                   is_alnum_ascii(static_cast<unsigned char>(t[i + 1]))) {
                ++i;
            }
            run = 0;
            gap = 0;
            prev_alnum = true;
            continue;
        }
        const bool single =
            alpha && !prev_alnum &&
            (i + 1 == t.size() || !is_alpha_ascii(static_cast<unsigned char>(t[i + 1])));
        if (single && (run == 0 || (gap >= 1 && gap <= 3))) {
            if (++run >= kMinSpacedLetters) return true;
            gap = 0;
        } else if (!alpha && is_spacing(static_cast<char>(c))) {
            ++gap;
        } else {
            run = single ? 1 : 0;
            gap = 0;
        }
        prev_alnum = alpha || (c >= '0' && c <= '9');
    }
    return false;
}


// Letters with no letter on either side (a superset of the detector's single letters), as a
// mask over the 64 bytes of t from pos.
uint64_t isolated_letters(std::string_view t, std::size_t pos, const bytes::Block& b) {
    const uint64_t letters = bytes::mask(b.p, bytes::AsciiLetters{}) & b.valid;
    const uint64_t before =
        pos > 0 && is_alpha_ascii(static_cast<unsigned char>(t[pos - 1])) ? 1 : 0;
    const uint64_t after = pos + bytes::kBlock < t.size() &&
                                   is_alpha_ascii(static_cast<unsigned char>(t[pos + bytes::kBlock]))
                               ? 1
                               : 0;
    return letters & ~((letters << 1) | before) & ~((letters >> 1) | (after << 63));
}

}  // namespace

// True if t holds kMinSpacedLetters single letters in a row, each separated by 1..3
// separators: the only case join_spaced_letters rewrites. No allocation.
//
// Such a run is four isolated letters in a row, each 1..3 separators after the last. Ordinary
// text has few isolated letters ("a", "I"), rarely linked so, so the byte-wise detector only
// runs where a block mask finds four linked ones, and only over those (at most 13) bytes:
// started at a run's first letter it finds the run, and started earlier it could only count
// further.
bool has_spaced_run(std::string_view t) {
    static_assert(kMinSpacedLetters == 4, "the quick test keeps the last three letters");
    std::size_t recent[3] = {};  // the last three isolated letters, oldest first
    std::size_t linked = 0;      // isolated letters in a row, each 1..3 separators after the last
    unsigned char pad[bytes::kBlock];
    for (std::size_t pos = 0; pos < t.size(); pos += bytes::kBlock) {
        const bytes::Block b = bytes::block_at(t, pos, pad);
        for (uint64_t m = isolated_letters(t, pos, b); m != 0; m &= m - 1) {
            const std::size_t p = pos + static_cast<std::size_t>(__builtin_ctzll(m));
            const std::size_t gap = linked == 0 ? 0 : p - recent[2] - 1;
            bool separated = gap >= 1 && gap <= 3;
            for (std::size_t k = p - gap; separated && k < p; ++k) separated = is_spacing(t[k]);
            linked = separated ? linked + 1 : 1;
            if (linked >= kMinSpacedLetters && has_spaced_run_bytewise(t, recent[0], p)) {
                return true;
            }
            recent[0] = recent[1];
            recent[1] = recent[2];
            recent[2] = p;
        }
    }
    return false;
}

std::optional<std::string> join_spaced_letters(std::string_view t) {
    if (!has_spaced_run(t)) return std::nullopt;
    std::string out;
    out.reserve(t.size());
    bool changed = false;
    std::size_t i = 0;
    auto single_letter_at = [&](std::size_t p) {
        if (p >= t.size() || !is_alpha_ascii(static_cast<unsigned char>(t[p]))) return false;
        const bool left_ok = p == 0 || is_spacing(t[p - 1]);
        const bool right_ok = p + 1 == t.size() || is_spacing(t[p + 1]) || t[p + 1] == '\n';
        return left_ok && right_ok;
    };
    unsigned char pad[bytes::kBlock];
    // The next isolated letter (no letter either side) from p on, a block at a time: single
    // letters are among them, and the bytes before one are copied as they are.
    auto next_isolated = [&](std::size_t p) {
        for (; p < t.size(); p += bytes::kBlock) {
            const bytes::Block b = bytes::block_at(t, p, pad);
            if (const uint64_t m = isolated_letters(t, p, b); m != 0) {
                return p + static_cast<std::size_t>(__builtin_ctzll(m));
            }
        }
        return t.size();
    };
    while (i < t.size()) {
        std::size_t next = next_isolated(i);
        while (next < t.size() && !single_letter_at(next)) next = next_isolated(next + 1);
        out.append(t.substr(i, next - i));
        i = next;
        if (i == t.size()) break;
        // Collect a run: letter (sep{1,3} letter)*; the narrowest gap is the letter gap.
        std::string joined(1, t[i]);
        std::size_t j = i + 1;
        std::size_t end = j;
        std::size_t letters = 1;
        std::size_t narrow_gap = SIZE_MAX;
        std::string gaps;       // gap width before each subsequent letter
        std::string gap_marks;  // and the gap's first byte
        while (true) {
            std::size_t k = j;
            while (k < t.size() && is_spacing(t[k]) && k - j < 4) ++k;
            const std::size_t gap = k - j;
            if (gap == 0 || gap > 3 || !single_letter_at(k)) break;
            narrow_gap = std::min(narrow_gap, gap);
            gaps.push_back(static_cast<char>(gap));
            gap_marks.push_back(t[j]);
            joined.push_back(t[k]);
            ++letters;
            j = k + 1;
            end = j;
        }
        if (letters < kMinSpacedLetters) {
            out.append(t.substr(i, end - i));
            i = end;
            continue;
        }
        // The letters' own mark: the commonest in the narrowest gaps. A gap as narrow but of
        // another mark is a word boundary too ("i-g-n-o-r-e a-l-l": '-' joins, ' ' divides).
        std::array<std::size_t, 256> marks{};
        unsigned char letter_mark = 0;
        for (std::size_t k = 0; k < gaps.size(); ++k) {
            if (static_cast<std::size_t>(gaps[k]) != narrow_gap) continue;
            const auto m = static_cast<unsigned char>(gap_marks[k]);
            if (++marks[m] > marks[letter_mark]) letter_mark = m;
        }
        out.push_back(joined[0]);
        for (std::size_t k = 1; k < joined.size(); ++k) {
            if (static_cast<std::size_t>(gaps[k - 1]) > narrow_gap ||
                static_cast<unsigned char>(gap_marks[k - 1]) != letter_mark) {
                out.push_back(' ');
            }
            out.push_back(joined[k]);
        }
        changed = true;
        i = end;
    }
    if (!changed) return std::nullopt;
    return out;
}

namespace {

bool is_edge_mark(unsigned char c) {
    return c == '!' || c == '|' || c == '+';
}

// Reads the word of letters and stand-ins that starts at t[i] as unleet() does, rewriting it
// into out (a copy of t made on the first change). Returns the end of the word.
std::size_t unleet_word(std::string_view t, std::size_t i, std::string& out, bool& changed) {
    std::size_t j = i;
    std::size_t letters = 0;
    std::size_t leet = 0;
    std::size_t trailing = 0;  // sentence punctuation after a word is not leet ("hi!")
    // Nor is a pipe, bang or plus before one: "<|im_start|>", "!important".
    std::size_t leading = 0;
    while (i + leading < t.size() && is_edge_mark(static_cast<unsigned char>(t[i + leading]))) {
        ++leading;
    }
    std::size_t run = 0;      // stand-ins in a row
    std::size_t longest = 0;  // four or more in a row are a number or a code ("+0000|a")
    bool at = false;
    while (j < t.size()) {
        const auto d = static_cast<unsigned char>(t[j]);
        if (is_alpha_ascii(d)) {
            ++letters;
            trailing = 0;
            run = 0;
        } else if (is_leet_char(d)) {
            ++leet;
            trailing = (d == '!' || d == '|' || d == '+' || d == '$') ? trailing + 1 : 0;
            longest = std::max(longest, ++run);
            at = at || d == '@';
        } else {
            break;
        }
        ++j;
    }
    // "name@example.com": an address, its "@" is no letter.
    const bool address =
        at && j + 1 < t.size() && t[j] == '.' && is_alpha_ascii(static_cast<unsigned char>(t[j + 1]));
    // A word with letters and stand-ins, the letters in the majority ("h4ck3r", not
    // "2024" or "$5").
    leading = std::min(leading, j - i - trailing);  // a word of marks only: counted once
    leet -= trailing + leading;
    // In a word already written with stand-ins, a bang before it and a dollar after it are
    // letters too: "!gn0r3", "!n$truct!0n$" (still not "!important", "$5" or "h4ck3r!").
    std::size_t from = i + leading;
    std::size_t to = j - trailing;
    if (leet > 0) {
        for (; from > i && t[from - 1] == '!'; --from) ++leet;
        for (; to < j && t[to] == '$'; ++to) ++leet;
    }
    if (leet > 0 && letters >= 2 && letters >= leet && longest < 4 && !address) {
        if (!changed) out.assign(t);  // copy only once a word needs rewriting
        for (std::size_t k = from; k < to; ++k) {
            const auto d = static_cast<unsigned char>(t[k]);
            if (is_leet_char(d)) out[k] = kLeet[d];
        }
        changed = true;
    }
    return j;
}

bool is_word_char(unsigned char c) {
    return is_alpha_ascii(c) || is_leet_char(c);
}

constexpr std::array<bool, 256> make_token_table() {
    std::array<bool, 256> t{};
    for (int c = 0; c < 128; ++c) {
        const auto u = static_cast<unsigned char>(c);
        t[u] = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
               kLeet[u] != 0;
    }
    return t;
}
constexpr std::array<bool, 256> kTokenChar = make_token_table();

bool is_token_char(unsigned char c) {
    return kTokenChar[c];
}

// If the word starting at t[start] lies in a token longer than kMaxLeetToken, the end of that
// token; otherwise 0. The token is not looked for before done (the end of what unleet() has
// read, never inside a long token).
std::size_t long_token_end(std::string_view t, std::size_t start, std::size_t done) {
    auto token = [&](std::size_t k) { return is_token_char(static_cast<unsigned char>(t[k])); };
    std::size_t a = start;
    while (a > done && start - a <= kMaxLeetToken && token(a - 1)) --a;
    std::size_t b = start;
    while (b < t.size() && b - a <= kMaxLeetToken && token(b)) ++b;
    if (b - a <= kMaxLeetToken) return 0;
    while (b < t.size() && token(b)) ++b;
    return b;
}

}  // namespace

// Only a word holding both a letter and a stand-in can change, and in such a word some
// stand-in touches a letter. Block masks find those stand-ins; each one's word is read from
// its start, as a left-to-right walk over all words would read it.
std::optional<std::string> unleet(std::string_view t) {
    using bytes::only;
    using Digits = bytes::Class<bytes::Range{'0', '9'}>;
    using NotLeetDigits = bytes::Class<only('2'), only('6')>;
    using LeetMarks = bytes::Class<only('@'), only('$'), only('!'), only('|'), only('+')>;
    std::string out;
    bool changed = false;
    std::size_t done = 0;  // words before this have been read
    unsigned char pad[bytes::kBlock];
    for (std::size_t pos = 0; pos < t.size(); pos += bytes::kBlock) {
        if (done >= pos + bytes::kBlock) {  // inside a long token already read: jump past it
            pos += (done - pos) / bytes::kBlock * bytes::kBlock - bytes::kBlock;
            continue;
        }
        const bytes::Block b = bytes::block_at(t, pos, pad);
        const uint64_t leet =
            ((bytes::mask(b.p, Digits{}) & ~bytes::mask(b.p, NotLeetDigits{})) |
             bytes::mask(b.p, LeetMarks{})) &
            b.valid;
        if (leet == 0) continue;
        const uint64_t letters = bytes::mask(b.p, bytes::AsciiLetters{}) & b.valid;
        const uint64_t before =
            pos > 0 && is_alpha_ascii(static_cast<unsigned char>(t[pos - 1])) ? 1 : 0;
        const uint64_t after =
            pos + bytes::kBlock < t.size() &&
                    is_alpha_ascii(static_cast<unsigned char>(t[pos + bytes::kBlock]))
                ? 1
                : 0;
        const uint64_t touching =
            leet & ((letters << 1) | before | (letters >> 1) | (after << 63));
        for (uint64_t m = touching; m != 0; m &= m - 1) {
            std::size_t start = pos + static_cast<std::size_t>(__builtin_ctzll(m));
            if (start < done) continue;
            while (start > done && is_word_char(static_cast<unsigned char>(t[start - 1]))) {
                --start;
            }
            if (const std::size_t end = long_token_end(t, start, done); end != 0) {
                done = end;  // base64, hex, a key: skipped whole
                continue;
            }
            done = unleet_word(t, start, out, changed);
        }
    }
    if (!changed) return std::nullopt;
    return out;
}

}  // namespace closedpaw::injection

namespace closedpaw::injection {

namespace {

// Common words in ROT13 and written backwards. None is itself a word or a common abbreviation
// in English ("dna", "and" backwards, is one; so are "ton", "won", "saw", "tub" and "era", and
// "or" is "be" in ROT13), so a text that holds several of them was written so.
constexpr std::array<std::string_view, 42> kRot13Words = {
    "gur",          "naq",       "lbh",      "lbhe",   "nyy",       "guvf",     "gung",
    "jvgu",         "sbe",       "abg",      "jung",   "sebz",      "unir",     "jvyy",
    "gurer",        "gurl",      "jnf",      "ohg",    "pna",       "nal",      "ner",
    "abj",          "vtaber",    "cerivbhf", "cebzcg", "flfgrz",    "cyrnfr",   "gryy",
    "vafgehpgvbaf", "qvfertneq", "sbetrg",   "ehyrf",  "frperg",    "cnffjbeq", "fraq",
    "fubj",         "cevag",     "erirny",   "hfre",   "nffvfgnag", "xrl",      "xrlf",
};
constexpr std::array<std::string_view, 36> kMirrorWords = {
    "eht",    "uoy",       "ruoy",         "lla",      "siht",   "taht",   "htiw",  "rof",
    "tahw",   "morf",      "evah",         "lliw",     "ereht",  "yeht",   "nac",   "yna",
    "erongi", "suoiverp",  "snoitcurtsni", "tpmorp",   "metsys", "esaelp", "llet",  "dragersid",
    "tegrof", "selur",     "terces",       "drowssap", "dnes",   "wohs",   "tnirp", "laever",
    "resu",   "tnatsissa", "yek",          "syek",
};
static_assert(kRot13Words.size() <= 64 && kMirrorWords.size() <= 64,
              "distinct words are counted in 64-bit masks");

// Text with every ASCII letter turned 13 places.
std::string rot13(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 'a' && u <= 'z') c = static_cast<char>('a' + (u - 'a' + 13) % 26);
        if (u >= 'A' && u <= 'Z') c = static_cast<char>('A' + (u - 'A' + 13) % 26);
    }
    return out;
}

// Text backwards, character by character: the bytes reversed, then the bytes of each
// multi-byte character (now continuation bytes first) put back in order.
std::string reversed_by_characters(std::string_view text) {
    std::string out(text.rbegin(), text.rend());
    for (std::size_t i = 0; i < out.size();) {
        if ((static_cast<unsigned char>(out[i]) & 0xC0) != 0x80) {
            ++i;
            continue;
        }
        std::size_t e = i;
        while (e < out.size() && e - i < 3 && (static_cast<unsigned char>(out[e]) & 0xC0) == 0x80) {
            ++e;
        }
        // out[e] should be the lead byte; invalid UTF-8 is left as it falls.
        if (e < out.size() && static_cast<unsigned char>(out[e]) >= 0xC0) {
            std::reverse(out.begin() + static_cast<std::ptrdiff_t>(i),
                         out.begin() + static_cast<std::ptrdiff_t>(e + 1));
            ++e;
        }
        i = e;
    }
    return out;
}

// Text with each run of ASCII letters written backwards in place.
std::string words_reversed(std::string_view text) {
    std::string out(text);
    std::size_t i = 0;
    while (i < out.size()) {
        if (!is_alpha_ascii(static_cast<unsigned char>(out[i]))) {
            ++i;
            continue;
        }
        std::size_t e = i;
        while (e < out.size() && is_alpha_ascii(static_cast<unsigned char>(out[e]))) ++e;
        std::reverse(out.begin() + static_cast<std::ptrdiff_t>(i),
                     out.begin() + static_cast<std::ptrdiff_t>(e));
        i = e;
    }
    return out;
}

}  // namespace

const std::vector<std::string_view>& turned_words() {
    static const std::vector<std::string_view> words = [] {
        std::vector<std::string_view> w(kRot13Words.begin(), kRot13Words.end());
        w.insert(w.end(), kMirrorWords.begin(), kMirrorWords.end());
        return w;
    }();
    return words;
}

std::vector<std::string> turned_views(std::string_view text, const std::vector<WordHit>& hits) {
    uint64_t rot13_seen = 0;
    uint64_t mirror_seen = 0;
    std::vector<std::size_t> rot13_at;   // where each such word ends, in order
    std::vector<std::size_t> mirror_at;  // and each mirrored one
    for (const WordHit& h : hits) {
        if (h.end == 0 || h.end > text.size()) continue;
        if (h.word < kRot13Words.size()) {
            rot13_seen |= uint64_t{1} << h.word;
            rot13_at.push_back(h.end - 1);
        } else if (h.word < kRot13Words.size() + kMirrorWords.size()) {
            mirror_seen |= uint64_t{1} << (h.word - kRot13Words.size());
            mirror_at.push_back(h.end - 1);
        }
    }
    std::sort(rot13_at.begin(), rot13_at.end());
    std::sort(mirror_at.begin(), mirror_at.end());
    // Only the stretches around the words found are turned: the rest reads as it did.
    auto turned = [&](const std::vector<std::size_t>& at, auto piece) {
        return joined_stretches(text, stretches_around(text, listed_rewrites(at, text.size())),
                                piece);
    };
    std::vector<std::string> views;
    if (static_cast<std::size_t>(__builtin_popcountll(rot13_seen)) >= kMinTurnedWords) {
        views.push_back(turned(rot13_at, rot13));
    }
    if (static_cast<std::size_t>(__builtin_popcountll(mirror_seen)) >= kMinTurnedWords) {
        views.push_back(turned(mirror_at, words_reversed));
        // Each stretch backwards holds what the same stretch of the whole text backwards does.
        views.push_back(turned(mirror_at, reversed_by_characters));
    }
    return views;
}

}  // namespace closedpaw::injection
