#include "code_point_table.hpp"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

namespace closedpaw::injection {

namespace {

const icu::Normalizer2* nfkc_casefold() {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCCasefoldInstance(status);
    return U_SUCCESS(status) ? nfkc : nullptr;
}

}  // namespace

uint16_t classify(UChar32 c) {
    uint16_t f = 0;
    const int8_t type = u_charType(c);
    if (type == U_CONTROL_CHAR && c != '\n' && c != '\t' && c != '\r') f |= cp::kDroppedControl;
    const bool bidi_control = u_hasBinaryProperty(c, UCHAR_BIDI_CONTROL) != 0;
    if (type == U_FORMAT_CHAR || bidi_control ||
        u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT)) {
        f |= cp::kInvisible;
    }
    if (bidi_control) f |= cp::kBidiControl;
    if (u_isalpha(c)) f |= cp::kLetter;
    if (type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK) f |= cp::kMark;
    if (u_hasBinaryProperty(c, UCHAR_ALPHABETIC) || u_isdigit(c)) f |= cp::kWordChar;
    // Without the normaliser's data no boundary is claimed, and fold() leaves all to ICU.
    if (const icu::Normalizer2* nfkc = nfkc_casefold(); nfkc != nullptr) {
        if (nfkc->hasBoundaryBefore(c)) f |= cp::kBoundaryBefore;
        if (nfkc->hasBoundaryAfter(c)) f |= cp::kBoundaryAfter;
    }
    return f;
}

const CodePointTable& CodePointTable::get() {
    static const CodePointTable table;
    return table;
}

CodePointTable::CodePointTable() : flags_(kSize), folds_(kSize) {
    const icu::Normalizer2* nfkc = nfkc_casefold();
    std::string one;
    std::string folded;
    for (UChar32 c = 0; c < kSize; ++c) {
        uint16_t f = classify(c);
        if (nfkc != nullptr && !U16_IS_SURROGATE(c)) {  // (UTF-8 never decodes to a surrogate)
            one.clear();
            char buf[U8_MAX_LENGTH];
            int32_t n = 0;
            U8_APPEND_UNSAFE(buf, n, c);
            one.assign(buf, static_cast<std::size_t>(n));
            folded.clear();
            UErrorCode status = U_ZERO_ERROR;
            if (nfkc->isInert(c)) {
                folded = one;
            } else {
                icu::StringByteSink<std::string> sink(&folded);
                nfkc->normalizeUTF8(0, icu::StringPiece(one.data(), n), sink, nullptr, status);
            }
            if (U_SUCCESS(status) && folded.size() <= kLengthMask) {
                f |= cp::kFoldCached;
                if (folded == one) {
                    f |= cp::kFoldsToSelf;
                } else {
                    folds_[static_cast<std::size_t>(c)] = static_cast<uint32_t>(pool_.size())
                                                              << kLengthBits |
                                                          static_cast<uint32_t>(folded.size());
                    pool_ += folded;
                }
                if (folded.find_first_of(" \t") != std::string::npos) f |= cp::kFoldHasBlank;
            }
        }
        constexpr uint16_t kCopied = cp::kBoundaryBefore | cp::kFoldCached | cp::kFoldsToSelf;
        if ((f & kCopied) == kCopied && (f & cp::kFoldHasBlank) == 0) f |= cp::kCopiedByFold;
        flags_[static_cast<std::size_t>(c)] = f;
    }
}

}  // namespace closedpaw::injection
