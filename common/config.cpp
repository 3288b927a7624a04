#include "config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <sstream>

#include "fd.hpp"

namespace closedpaw {

Result<ConfigFile> ConfigFile::parse(std::string_view text, const std::string& name_for_errors) {
    ConfigFile cf;
    cf.path_ = name_for_errors;
    try {
        cf.table_ = std::make_shared<toml::table>(toml::parse(text, name_for_errors));
    } catch (const toml::parse_error& e) {
        const auto& b = e.source().begin;
        return make_error(Errc::Config, name_for_errors + ":" + std::to_string(b.line) + ":" +
                                            std::to_string(b.column) + ": " +
                                            std::string(e.description()));
    }
    return cf;
}

Result<ConfigFile> ConfigFile::load(const std::string& path, std::size_t max_bytes) {
    auto text = read_file(path, max_bytes);
    if (!text) {
        auto e = std::move(text).error();
        e.code = e.code == Errc::NotFound ? Errc::NotFound : Errc::Config;
        return e;
    }
    return parse(*text, path);
}

TableView ConfigFile::root() const {
    return TableView(table_, table_.get(), path_, "");
}

TableView::TableView(std::shared_ptr<const toml::table> owner, const toml::table* table,
                     std::string file, std::string prefix)
    : owner_(std::move(owner)), table_(table), file_(std::move(file)), prefix_(std::move(prefix)) {}

std::string TableView::dotted(std::string_view key) const {
    return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
}

const toml::node* TableView::find(std::string_view key) const {
    return table_->get(key);
}

std::string TableView::location(const toml::node* node) const {
    const auto& src = node != nullptr ? node->source() : table_->source();
    if (src.begin.line == 0) return file_;
    return file_ + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
}

Error TableView::error(std::string_view key, const std::string& message) const {
    return make_error(Errc::Config,
                      location(find(key)) + ": key '" + dotted(key) + "': " + message);
}

Result<void> TableView::only_keys(std::initializer_list<std::string_view> allowed) const {
    for (const auto& [k, v] : *table_) {
        if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end()) {
            std::string list;
            for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
            return make_error(Errc::Config, location(&v) + ": key '" + dotted(k.str()) +
                                                "': unknown key (allowed: " + list + ")");
        }
    }
    return {};
}

bool TableView::has(std::string_view key) const {
    return find(key) != nullptr;
}

std::vector<std::string> TableView::keys() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : *table_) out.emplace_back(k.str());
    return out;
}

Result<std::optional<std::string>> TableView::get_string(std::string_view key) const {
    const auto* n = find(key);
    if (n == nullptr) return std::optional<std::string>{};
    if (!n->is_string()) return error(key, "expected a string");
    return std::optional<std::string>{n->as_string()->get()};
}

Result<std::string> TableView::require_string(std::string_view key) const {
    auto v = get_string(key);
    if (!v) return std::move(v).error();
    if (!*v) return error(key, "missing required key");
    return std::move(**v);
}

Result<std::optional<std::int64_t>> TableView::get_int(std::string_view key, std::int64_t min,
                                                       std::int64_t max) const {
    const auto* n = find(key);
    if (n == nullptr) return std::optional<std::int64_t>{};
    if (!n->is_integer()) return error(key, "expected an integer");
    auto v = n->as_integer()->get();
    if (v < min || v > max)
        return error(key, "value " + std::to_string(v) + " is outside " + std::to_string(min) +
                              ".." + std::to_string(max));
    return std::optional<std::int64_t>{v};
}

Result<std::optional<double>> TableView::get_double(std::string_view key, double min,
                                                    double max) const {
    const auto* n = find(key);
    if (n == nullptr) return std::optional<double>{};
    double v;
    if (n->is_floating_point())
        v = n->as_floating_point()->get();
    else if (n->is_integer())
        v = static_cast<double>(n->as_integer()->get());
    else
        return error(key, "expected a number");
    if (!(v >= min && v <= max)) {
        std::ostringstream s;
        s << "value " << v << " is outside " << min << ".." << max;
        return error(key, s.str());
    }
    return std::optional<double>{v};
}

Result<std::optional<bool>> TableView::get_bool(std::string_view key) const {
    const auto* n = find(key);
    if (n == nullptr) return std::optional<bool>{};
    if (!n->is_boolean()) return error(key, "expected true or false");
    return std::optional<bool>{n->as_boolean()->get()};
}

Result<std::optional<std::vector<std::string>>> TableView::get_string_array(
    std::string_view key) const {
    const auto* n = find(key);
    if (n == nullptr) return std::optional<std::vector<std::string>>{};
    if (!n->is_array()) return error(key, "expected an array of strings");
    std::vector<std::string> out;
    for (const auto& el : *n->as_array()) {
        if (!el.is_string()) return error(key, "expected an array of strings");
        out.push_back(el.as_string()->get());
    }
    return std::optional<std::vector<std::string>>{std::move(out)};
}

Result<std::optional<std::vector<std::int64_t>>> TableView::get_int_array(
    std::string_view key) const {
    const auto* n = find(key);
    if (n == nullptr) return std::optional<std::vector<std::int64_t>>{};
    if (!n->is_array()) return error(key, "expected an array of integers");
    std::vector<std::int64_t> out;
    for (const auto& el : *n->as_array()) {
        if (!el.is_integer()) return error(key, "expected an array of integers");
        out.push_back(el.as_integer()->get());
    }
    return std::optional<std::vector<std::int64_t>>{std::move(out)};
}

Result<std::optional<TableView>> TableView::get_table(std::string_view key) const {
    const auto* n = find(key);
    if (n == nullptr) return std::optional<TableView>{};
    if (!n->is_table()) return error(key, "expected a table");
    return std::optional<TableView>{TableView(owner_, n->as_table(), file_, dotted(key))};
}

Result<std::vector<TableView>> TableView::get_table_array(std::string_view key) const {
    const auto* n = find(key);
    std::vector<TableView> out;
    if (n == nullptr) return out;
    if (!n->is_array_of_tables())
        return error(key, "expected an array of tables ([[" + dotted(key) + "]])");
    std::size_t i = 0;
    for (const auto& el : *n->as_array()) {
        out.emplace_back(owner_, el.as_table(), file_,
                         dotted(key) + "[" + std::to_string(i++) + "]");
    }
    return out;
}

}  // namespace closedpaw
