// How deeply a text nests arrays and objects, counted before any JSON parser sees it, so no
// parser or destructor ever recurses through hostile depth. Brackets inside strings do not
// count. Header-only: static skills use it without the rest of common/.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <string_view>

namespace closedpaw {

// The maximum nesting depth of text; stops counting (and returns) once it exceeds stop_above.
inline std::size_t json_text_nesting(std::string_view text,
                                     std::size_t stop_above = std::numeric_limits<std::size_t>::max()) {
    std::size_t depth = 0, deepest = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            deepest = std::max(deepest, ++depth);
            if (deepest > stop_above) return deepest;
        } else if ((c == '}' || c == ']') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

}  // namespace closedpaw
