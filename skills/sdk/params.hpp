// Typed, bounded access to a request's params and settings. Every error names the field
// ("params.path: must be a string of at most 4096 bytes") so the caller can fix the request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace closedpaw::skill {

// A view of one JSON object with a name for error messages ("params", "settings").
class Fields {
  public:
    Fields(const nlohmann::json& object, std::string what) : obj_(object), what_(std::move(what)) {}

    // Fails naming the first key that is not allowed.
    Result<void> only_keys(std::initializer_list<std::string_view> allowed) const;

    Result<std::string> require_string(std::string_view key, std::size_t max_bytes) const;
    Result<std::optional<std::string>> optional_string(std::string_view key,
                                                       std::size_t max_bytes) const;
    Result<std::optional<std::int64_t>> optional_int(std::string_view key, std::int64_t min,
                                                     std::int64_t max) const;
    Result<std::optional<bool>> optional_bool(std::string_view key) const;
    Result<std::optional<std::vector<std::string>>> optional_string_array(
        std::string_view key, std::size_t max_items, std::size_t max_bytes_each) const;

    // "what.key: message", as an InvalidArgument error.
    Error error(std::string_view key, const std::string& message) const;

  private:
    const nlohmann::json* find(std::string_view key) const;

    const nlohmann::json& obj_;
    std::string what_;
};

}  // namespace closedpaw::skill
