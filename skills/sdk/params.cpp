#include "params.hpp"

#include <algorithm>

namespace closedpaw::skill {

const nlohmann::json* Fields::find(std::string_view key) const {
    if (!obj_.is_object()) return nullptr;
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return nullptr;
    return &*it;
}

Error Fields::error(std::string_view key, const std::string& message) const {
    return make_error(Errc::InvalidArgument, what_ + "." + std::string(key) + ": " + message);
}

Result<void> Fields::only_keys(std::initializer_list<std::string_view> allowed) const {
    if (!obj_.is_object()) return make_error(Errc::InvalidArgument, what_ + " must be an object");
    for (const auto& [key, value] : obj_.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            std::string names;
            for (auto a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
            return error(key, "unknown key (expected one of: " + names + ")");
        }
    }
    return {};
}

Result<std::optional<std::string>> Fields::optional_string(std::string_view key,
                                                           std::size_t max_bytes) const {
    const auto* v = find(key);
    if (v == nullptr) return std::optional<std::string>();
    if (!v->is_string() || v->get_ref<const std::string&>().size() > max_bytes)
        return error(key, "must be a string of at most " + std::to_string(max_bytes) + " bytes");
    return std::optional<std::string>(v->get<std::string>());
}

Result<std::string> Fields::require_string(std::string_view key, std::size_t max_bytes) const {
    auto s = optional_string(key, max_bytes);
    if (!s) return std::move(s).error();
    if (!*s) return error(key, "missing (a string is required)");
    return std::move(**s);
}

Result<std::optional<std::int64_t>> Fields::optional_int(std::string_view key, std::int64_t min,
                                                         std::int64_t max) const {
    const auto* v = find(key);
    if (v == nullptr) return std::optional<std::int64_t>();
    bool in_range = false;
    std::int64_t n = 0;
    if (v->is_number_unsigned()) {
        auto u = v->get<std::uint64_t>();
        in_range = u <= static_cast<std::uint64_t>(max);
        n = static_cast<std::int64_t>(std::min<std::uint64_t>(u, static_cast<std::uint64_t>(max)));
        in_range = in_range && n >= min;
    } else if (v->is_number_integer()) {
        n = v->get<std::int64_t>();
        in_range = n >= min && n <= max;
    }
    if (!in_range)
        return error(
            key, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    return std::optional<std::int64_t>(n);
}

Result<std::optional<bool>> Fields::optional_bool(std::string_view key) const {
    const auto* v = find(key);
    if (v == nullptr) return std::optional<bool>();
    if (!v->is_boolean()) return error(key, "must be true or false");
    return std::optional<bool>(v->get<bool>());
}

Result<std::optional<std::vector<std::string>>> Fields::optional_string_array(
    std::string_view key, std::size_t max_items, std::size_t max_bytes_each) const {
    const auto* v = find(key);
    if (v == nullptr) return std::optional<std::vector<std::string>>();
    auto bad = [&] {
        return error(key, "must be an array of at most " + std::to_string(max_items) +
                              " strings of at most " + std::to_string(max_bytes_each) + " bytes");
    };
    if (!v->is_array() || v->size() > max_items) return bad();
    std::vector<std::string> out;
    for (const auto& item : *v) {
        if (!item.is_string() || item.get_ref<const std::string&>().size() > max_bytes_each)
            return bad();
        out.push_back(item.get<std::string>());
    }
    return std::optional<std::vector<std::string>>(std::move(out));
}

}  // namespace closedpaw::skill
