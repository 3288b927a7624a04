// The filesystem skill's [settings] (handed over by the broker with each request) and the
// name rules they drive. Settings may only tighten the hard caps compiled in here.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace closedpaw::fs_skill {

inline constexpr std::size_t kHardMaxReadBytes = 1u << 20;    // 1 MiB
inline constexpr std::size_t kHardMaxWriteBytes = 10u << 20;  // 10 MiB
inline constexpr std::size_t kHardMaxListEntries = 10000;
inline constexpr std::size_t kMaxExtensions = 64;

struct FsSettings {
    std::size_t max_read_bytes = kHardMaxReadBytes;
    std::size_t max_write_bytes = kHardMaxWriteBytes;
    std::size_t max_list_entries = kHardMaxListEntries;
    std::vector<std::string> allowed_extensions = {"txt", "md", "json", "yaml", "yml", "csv",
                                                   "py",  "js", "html", "css",  "xml"};
    bool allow_dotfiles = false;      // names starting with '.', anywhere in the path
    bool allow_no_extension = false;  // file names without a '.'

    // Keys: max_read_bytes, max_write_bytes, max_list_entries (clamped to the hard caps),
    // allowed_extensions ([a-z0-9]{1,16} each), allow_dotfiles, allow_no_extension.
    // Unknown keys are refused so a typo in skill.toml does not silently loosen nothing.
    static Result<FsSettings> from_json(const nlohmann::json& settings);
};

// Dotfile rule for every component of an already split path.
Result<void> check_components(const std::vector<std::string_view>& components,
                              const FsSettings& settings);
// Dotfile and extension rules for the name of a file the skill reads, writes or deletes.
Result<void> check_file_name(std::string_view name, const FsSettings& settings);

}  // namespace closedpaw::fs_skill
