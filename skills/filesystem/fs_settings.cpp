#include "fs_settings.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "params.hpp"

namespace closedpaw::fs_skill {

namespace {

bool valid_extension(std::string_view e) {
    return !e.empty() && e.size() <= 16 && std::all_of(e.begin(), e.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    });
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

}  // namespace

Result<FsSettings> FsSettings::from_json(const nlohmann::json& settings) {
    skill::Fields f(settings, "settings");
    CP_TRY(f.only_keys({"max_read_bytes", "max_write_bytes", "max_list_entries",
                        "allowed_extensions", "allow_dotfiles", "allow_no_extension"}));
    FsSettings s;
    constexpr auto kBig = std::numeric_limits<std::int64_t>::max();
    struct Cap {
        std::string_view key;
        std::size_t* value;
        std::size_t hard_max;
    };
    for (auto [key, value, hard_max] :
         {Cap{"max_read_bytes", &s.max_read_bytes, kHardMaxReadBytes},
          Cap{"max_write_bytes", &s.max_write_bytes, kHardMaxWriteBytes},
          Cap{"max_list_entries", &s.max_list_entries, kHardMaxListEntries}}) {
        auto v = f.optional_int(key, 1, kBig);
        if (!v) return std::move(v).error();
        if (*v) *value = std::min(static_cast<std::size_t>(**v), hard_max);
    }
    auto exts = f.optional_string_array("allowed_extensions", kMaxExtensions, 16);
    if (!exts) return std::move(exts).error();
    if (*exts) {
        for (const auto& e : **exts) {
            if (!valid_extension(e))
                return f.error("allowed_extensions", "'" + e +
                                                         "' is not a lowercase extension "
                                                         "without the dot ([a-z0-9]{1,16})");
        }
        s.allowed_extensions = std::move(**exts);
    }
    for (auto [key, value] : {std::pair{"allow_dotfiles", &s.allow_dotfiles},
                              {"allow_no_extension", &s.allow_no_extension}}) {
        auto v = f.optional_bool(key);
        if (!v) return std::move(v).error();
        if (*v) *value = **v;
    }
    return s;
}

Result<void> check_components(const std::vector<std::string_view>& components,
                              const FsSettings& settings) {
    if (settings.allow_dotfiles) return {};
    for (auto c : components) {
        if (c.front() == '.')
            return make_error(Errc::AccessDenied,
                              "names starting with '.' (dotfiles) are not allowed by this skill's "
                              "settings");
    }
    return {};
}

Result<void> check_file_name(std::string_view name, const FsSettings& settings) {
    if (name.front() == '.' && !settings.allow_dotfiles)
        return make_error(Errc::AccessDenied,
                          "names starting with '.' (dotfiles) are not allowed by this skill's "
                          "settings");
    auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0) {
        if (settings.allow_no_extension) return {};
        return make_error(Errc::AccessDenied,
                          "files without an extension are not allowed by this skill's settings");
    }
    auto ext = ascii_lower(name.substr(dot + 1));
    if (std::find(settings.allowed_extensions.begin(), settings.allowed_extensions.end(), ext) !=
        settings.allowed_extensions.end())
        return {};
    std::string allowed;
    for (const auto& e : settings.allowed_extensions) allowed += (allowed.empty() ? "" : " ") + e;
    return make_error(Errc::AccessDenied,
                      "the extension '." + ext + "' is not allowed (allowed: " + allowed + ")");
}

}  // namespace closedpaw::fs_skill
