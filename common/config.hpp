// TOML configuration and policy loading (toml++). Every error names the file, the line and
// the dotted key, so an admin can fix the file without reading our source.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"

namespace toml {
inline namespace v3 {
class table;
class node;
}  // namespace v3
}  // namespace toml

namespace closedpaw {

class TableView;

// A parsed TOML file; keeps the tree alive for the TableViews made from it.
class ConfigFile {
  public:
    static Result<ConfigFile> load(const std::string& path, std::size_t max_bytes = 1 << 20);
    static Result<ConfigFile> parse(std::string_view text, const std::string& name_for_errors);

    TableView root() const;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
    std::shared_ptr<toml::table> table_;
};

// A read-only view of one table with typed, range-checked getters.
class TableView {
  public:
    TableView(std::shared_ptr<const toml::table> owner, const toml::table* table, std::string file,
              std::string prefix);

    // Fails naming the first key that is not one of the allowed ones.
    Result<void> only_keys(std::initializer_list<std::string_view> allowed) const;
    bool has(std::string_view key) const;
    std::vector<std::string> keys() const;

    Result<std::optional<std::string>> get_string(std::string_view key) const;
    Result<std::string> require_string(std::string_view key) const;
    Result<std::optional<std::int64_t>> get_int(std::string_view key, std::int64_t min,
                                                std::int64_t max) const;
    Result<std::optional<double>> get_double(std::string_view key, double min, double max) const;
    Result<std::optional<bool>> get_bool(std::string_view key) const;
    Result<std::optional<std::vector<std::string>>> get_string_array(std::string_view key) const;
    Result<std::optional<std::vector<std::int64_t>>> get_int_array(std::string_view key) const;
    Result<std::optional<TableView>> get_table(std::string_view key) const;
    Result<std::vector<TableView>> get_table_array(std::string_view key) const;

    // "file:line:column: key 'a.b': message" (line of the key if present, else of the table).
    Error error(std::string_view key, const std::string& message) const;
    const std::string& file() const { return file_; }
    const toml::table& raw() const { return *table_; }
    std::string dotted(std::string_view key) const;

  private:
    const toml::node* find(std::string_view key) const;
    std::string location(const toml::node* node) const;

    std::shared_ptr<const toml::table> owner_;
    const toml::table* table_;
    std::string file_;
    std::string prefix_;
};

}  // namespace closedpaw
