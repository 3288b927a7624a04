#include "normalizer.hpp"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uspoof.h>
#include <unicode/utf8.h>

namespace closedpaw::injection {

namespace {

constexpr UChar32 kReplacement = 0xFFFD;
constexpr UChar32 kTagFirst = 0xE0000;
constexpr UChar32 kTagLast = 0xE007F;
constexpr UChar32 kSkeletonCacheFirst = 0x80;
constexpr UChar32 kSkeletonCacheEnd = 0x3000;

bool is_ascii(std::string_view s) {
    for (unsigned char c : s) {
        if (c >= 0x80) return false;
    }
    return true;
}

void append_utf8(std::string& out, UChar32 c) {
    char buf[U8_MAX_LENGTH];
    int32_t n = 0;
    UBool error = false;
    U8_APPEND(reinterpret_cast<uint8_t*>(buf), n, U8_MAX_LENGTH, c, error);
    if (!error) out.append(buf, static_cast<std::size_t>(n));
}

// Characters that render as nothing (or reorder text) and so hide text from a reader or a
// pattern: format characters, bidi controls and everything Unicode calls default-ignorable.
bool is_invisible(UChar32 c) {
    return u_charType(c) == U_FORMAT_CHAR || u_hasBinaryProperty(c, UCHAR_BIDI_CONTROL) ||
           u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT);
}

bool is_dropped_control(UChar32 c) {
    return u_charType(c) == U_CONTROL_CHAR && c != '\n' && c != '\t' && c != '\r';
}

const icu::Normalizer2* nfkc_casefold(UErrorCode& status) {
    return icu::Normalizer2::getNFKCCasefoldInstance(status);
}

}  // namespace

std::string strip_invisible(std::string_view raw, std::size_t* invisible_in_words,
                            std::size_t* bidi_controls, std::string* tags) {
    std::string out;
    out.reserve(raw.size());
    const auto* s = reinterpret_cast<const uint8_t*>(raw.data());
    const auto length = static_cast<int32_t>(raw.size());
    bool prev_letter = false;
    std::size_t pending_invisible = 0;  // invisibles seen since the last visible character
    int32_t i = 0;
    auto plain_ascii = [](uint8_t b) {
        return (b >= 0x20 && b < 0x7F) || b == '\n' || b == '\t' || b == '\r';
    };
    auto ascii_letter = [](uint8_t b) { return (b | 0x20) >= 'a' && (b | 0x20) <= 'z'; };
    while (i < length) {
        // ASCII fast path: copy a run of printable ASCII at once.
        if (plain_ascii(s[i])) {
            int32_t j = i;
            while (j < length && plain_ascii(s[j])) ++j;
            if (pending_invisible > 0 && prev_letter && ascii_letter(s[i]) &&
                invisible_in_words != nullptr) {
                *invisible_in_words += pending_invisible;
            }
            pending_invisible = 0;
            out.append(reinterpret_cast<const char*>(s + i), static_cast<std::size_t>(j - i));
            prev_letter = ascii_letter(s[j - 1]);
            i = j;
            continue;
        }
        if (s[i] < 0x80) {  // an ASCII control character: dropped
            ++i;
            continue;
        }
        UChar32 c = 0;
        U8_NEXT(s, i, length, c);
        if (c < 0) c = kReplacement;
        if (c >= kTagFirst && c <= kTagLast) {
            if (tags != nullptr && c >= 0xE0020 && c <= 0xE007E) {
                tags->push_back(static_cast<char>(c - kTagFirst));
            }
            ++pending_invisible;
            continue;
        }
        if (is_dropped_control(c)) continue;
        if (is_invisible(c)) {
            if (bidi_controls != nullptr && u_hasBinaryProperty(c, UCHAR_BIDI_CONTROL)) {
                ++*bidi_controls;
            }
            ++pending_invisible;
            continue;
        }
        const bool letter = u_isalpha(c) != 0;
        if (letter && prev_letter && invisible_in_words != nullptr) {
            *invisible_in_words += pending_invisible;
        }
        pending_invisible = 0;
        prev_letter = letter;
        append_utf8(out, c);
    }
    return out;
}

Normalizer::Normalizer() {
    UErrorCode status = U_ZERO_ERROR;
    nfkc_casefold(status);
    if (U_FAILURE(status)) {
        init_error_ = std::string("ICU NFKC_Casefold data: ") + u_errorName(status);
        return;
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
        bmp_skeletons_[static_cast<std::size_t>(c - kSkeletonCacheFirst)] = skeleton_of(buf, n);
    }
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

// Runs of spaces and tabs become one space, so patterns can spell phrases with plain spaces.
void collapse_blanks(std::string& s) {
    std::size_t w = 0;
    bool blank = false;
    for (char c : s) {
        const bool is_blank = c == ' ' || c == '\t';
        if (is_blank && blank) continue;
        s[w++] = is_blank ? ' ' : c;
        blank = is_blank;
    }
    s.resize(w);
}

}  // namespace

std::string Normalizer::fold(std::string_view clean_utf8) const {
    if (is_ascii(clean_utf8)) {
        // NFKC is the identity on ASCII and case folding is tolower: one pass lowers and
        // collapses blanks (what collapse_blanks does after ICU below).
        std::string out(clean_utf8.size(), '\0');
        char* w = out.data();
        bool blank = false;
        for (const char c : clean_utf8) {
            const bool is_blank = c == ' ' || c == '\t';
            if (is_blank && blank) continue;
            *w++ = is_blank ? ' ' : static_cast<char>(c + ((c >= 'A' && c <= 'Z') ? 32 : 0));
            blank = is_blank;
        }
        out.resize(static_cast<std::size_t>(w - out.data()));
        return out;
    }
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfkc = nfkc_casefold(status);
    std::string out;
    out.reserve(clean_utf8.size());
    icu::StringByteSink<std::string> sink(&out);
    if (U_SUCCESS(status)) {
        nfkc->normalizeUTF8(
            0, icu::StringPiece(clean_utf8.data(), static_cast<int32_t>(clean_utf8.size())), sink,
            nullptr, status);
    }
    // The constructor checked the data; a failure here leaves the clean text to be matched.
    if (U_FAILURE(status)) out.assign(clean_utf8);
    collapse_blanks(out);
    return out;
}

Normalized Normalizer::normalize(std::string_view raw) const {
    Normalized n;
    n.clean = strip_invisible(raw, &n.invisible_in_words, &n.bidi_controls, &n.tags);
    n.text = fold(n.clean);
    return n;
}

std::optional<std::string> Normalizer::fold_confusables(std::string_view text) const {
    if (spoof_ == nullptr || is_ascii(text)) return std::nullopt;
    // Built only once a character changes; until then nothing is copied.
    std::string out;
    bool changed = false;
    std::size_t copied = 0;  // text[0, copied) is in out
    const auto* s = reinterpret_cast<const uint8_t*>(text.data());
    const auto length = static_cast<int32_t>(text.size());
    int32_t i = 0;
    while (i < length) {
        if (s[i] < 0x80) {
            ++i;
            continue;
        }
        const int32_t start = i;
        UChar32 c = 0;
        U8_NEXT(s, i, length, c);
        std::string computed;
        const std::string* skeleton = &computed;
        if (c >= kSkeletonCacheFirst && c < kSkeletonCacheEnd) {
            skeleton = &bmp_skeletons_[static_cast<std::size_t>(c - kSkeletonCacheFirst)];
        } else if (c >= 0) {
            computed = skeleton_of(text.data() + start, i - start);
        }
        if (skeleton->empty()) continue;
        if (!changed) {
            out.reserve(text.size());
            changed = true;
        }
        out.append(text.data() + copied, static_cast<std::size_t>(start) - copied);
        out += *skeleton;
        copied = static_cast<std::size_t>(i);
    }
    if (!changed) return std::nullopt;
    out.append(text.data() + copied, text.size() - copied);
    return out;
}

}  // namespace closedpaw::injection
