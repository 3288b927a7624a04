// Byte encodings a skill needs to carry file content through JSON: UTF-8 validation (JSON
// strings must be UTF-8) and base64 (RFC 4648, padded) for everything else.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace closedpaw::skill {

// Well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view bytes);
// Valid UTF-8 without control characters other than tab, newline and carriage return: text
// whose JSON encoding is at most twice its size (only '"' and '\\' are escaped).
bool is_plain_text(std::string_view bytes);
// Number of code points in valid UTF-8.
std::size_t utf8_length(std::string_view bytes);

std::string base64_encode(std::string_view bytes);
// Strict: the standard alphabet, padding required, no whitespace.
Result<std::string> base64_decode(std::string_view text);

}  // namespace closedpaw::skill
