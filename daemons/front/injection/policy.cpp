#include "policy.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>

namespace closedpaw::injection {

namespace {

// compiled_expression() (pattern_set.hpp) finds a pattern's blanks outside \Q...\E quoting
// and extended mode; no pattern needs either.
bool uses_quoting_or_extended_mode(std::string_view regex) {
    if (regex.find("\\Q") != std::string_view::npos) return true;
    for (std::size_t at = regex.find("(?"); at != std::string_view::npos;
         at = regex.find("(?", at + 2)) {
        std::size_t backslashes = 0;  // "\\(?x" is an optional '(' and an x
        while (backslashes < at && regex[at - 1 - backslashes] == '\\') ++backslashes;
        if (backslashes % 2 == 1) continue;
        for (std::size_t i = at + 2; i < regex.size(); ++i) {
            const char c = regex[i];
            if (c == 'x') return true;
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-')) break;
        }
    }
    return false;
}

// Views are NFKC_Casefold text, so a letter spelled otherwise in a regex never matches: the
// Thai "คำ" is "คํา" in every view. Returns the first run of non-ASCII text that folds to
// something else, and what it folds to; nothing when the regex is spelled as views are.
std::optional<std::pair<std::string, std::string>> unfolded_literal(std::string_view regex) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCCasefoldInstance(status);
    if (U_FAILURE(status)) return std::nullopt;  // the defender's own check reports this
    for (std::size_t i = 0; i < regex.size();) {
        if (static_cast<unsigned char>(regex[i]) < 0x80) {
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < regex.size() && static_cast<unsigned char>(regex[end]) >= 0x80) ++end;
        const icu::StringPiece run(regex.data() + i, static_cast<int32_t>(end - i));
        if (!nfkc->isNormalizedUTF8(run, status) || U_FAILURE(status)) {
            std::string folded;
            icu::StringByteSink<std::string> sink(&folded);
            status = U_ZERO_ERROR;
            nfkc->normalizeUTF8(0, run, sink, nullptr, status);
            return std::make_pair(std::string(regex.substr(i, end - i)), folded);
        }
        i = end;
    }
    return std::nullopt;
}

constexpr std::size_t kMaxPolicyBytes = 1 << 20;
constexpr std::size_t kMaxPatterns = 4096;
constexpr std::size_t kMaxRegexBytes = 4096;

Result<double> require_double(const TableView& t, std::string_view key, double min, double max) {
    auto v = t.get_double(key, min, max);
    if (!v) return std::move(v).error();
    if (!v->has_value()) return t.error(key, "is required");
    return **v;
}

Result<TableView> require_table(const TableView& t, std::string_view key) {
    auto v = t.get_table(key);
    if (!v) return std::move(v).error();
    if (!v->has_value()) return t.error(key, "table is required");
    return **v;
}

Result<void> load_thresholds(const TableView& root, PolicyData& p) {
    auto t = require_table(root, "thresholds");
    if (!t) return std::move(t).error();
    CP_TRY(t->only_keys({"low", "medium", "high", "critical", "flag_level"}));
    const char* names[] = {"low", "medium", "high", "critical"};
    double previous = 0.0;
    for (int i = 0; i < 4; ++i) {
        auto v = require_double(*t, names[i], 0.0, 1.0);
        if (!v) return std::move(v).error();
        if (*v <= previous) {
            return t->error(names[i], "must be greater than the level below it");
        }
        p.thresholds[i] = previous = *v;
    }
    auto flag = t->require_string("flag_level");
    if (!flag) return std::move(flag).error();
    const std::map<std::string, Level> levels = {{"low", Level::Low},
                                                 {"medium", Level::Medium},
                                                 {"high", Level::High},
                                                 {"critical", Level::Critical}};
    auto it = levels.find(*flag);
    if (it == levels.end()) return t->error("flag_level", "must be low, medium, high or critical");
    p.flag_level = it->second;
    return {};
}

Result<void> load_views(const TableView& root, PolicyData& p) {
    auto t = require_table(root, "views");
    if (!t) return std::move(t).error();
    CP_TRY(t->only_keys({"text", "skeleton", "decoded", "tags", "despaced", "leet"}));
    for (std::size_t i = 0; i < kViewCount; ++i) {
        auto v = require_double(*t, view_name(static_cast<View>(i)), 0.0, 2.0);
        if (!v) return std::move(v).error();
        p.view_weight[i] = *v;
    }
    return {};
}

Result<void> load_categories(const TableView& root, PolicyData& p) {
    auto list = root.get_table_array("category");
    if (!list) return std::move(list).error();
    if (list->empty()) return root.error("category", "at least one [[category]] is required");
    std::set<std::string> seen;
    for (const TableView& t : *list) {
        CP_TRY(t.only_keys({"name", "description", "input", "output", "weak"}));
        Category c;
        auto name = t.require_string("name");
        if (!name) return std::move(name).error();
        if (!seen.insert(*name).second)
            return t.error("name", "duplicate category '" + *name + "'");
        c.name = *name;
        auto description = t.get_string("description");
        if (!description) return std::move(description).error();
        c.description = description->value_or("");
        auto in = require_double(t, "input", 0.0, 2.0);
        if (!in) return std::move(in).error();
        auto out = require_double(t, "output", 0.0, 2.0);
        if (!out) return std::move(out).error();
        c.mode_weight = {*in, *out};
        auto weak = t.get_bool("weak");
        if (!weak) return std::move(weak).error();
        c.weak = weak->value_or(false);
        p.categories.push_back(std::move(c));
    }
    return {};
}

Result<std::size_t> category_index(const PolicyData& p, const TableView& t, std::string_view key) {
    auto name = t.require_string(key);
    if (!name) return std::move(name).error();
    for (std::size_t i = 0; i < p.categories.size(); ++i) {
        if (p.categories[i].name == *name) return i;
    }
    return t.error(key, "unknown category '" + *name + "' (declare it in defender.toml)");
}

Result<void> load_scoring(const TableView& root, PolicyData& p) {
    auto t = require_table(root, "scoring");
    if (!t) return std::move(t).error();
    CP_TRY(
        t->only_keys({"extra_pattern_bonus", "max_category_bonus", "density_weight", "density_cap",
                      "edge_fraction", "edge_weight", "hidden_view_category", "hidden_view_weight",
                      "invisible_weight", "invisible_min", "max_scan_bytes"}));
    struct Field {
        const char* key;
        double* dest;
        double min;
        double max;
    };
    const Field fields[] = {
        {"extra_pattern_bonus", &p.extra_pattern_bonus, 0.0, 1.0},
        {"max_category_bonus", &p.max_category_bonus, 0.0, 1.0},
        {"density_weight", &p.density_weight, 0.0, 1.0},
        {"density_cap", &p.density_cap, 0.0, 1.0},
        {"edge_fraction", &p.edge_fraction, 0.0, 0.5},
        {"edge_weight", &p.edge_weight, 0.5, 2.0},
        {"hidden_view_weight", &p.hidden_view_weight, 0.0, 1.0},
        {"invisible_weight", &p.invisible_weight, 0.0, 1.0},
    };
    for (const Field& f : fields) {
        auto v = require_double(*t, f.key, f.min, f.max);
        if (!v) return std::move(v).error();
        *f.dest = *v;
    }
    auto hidden = category_index(p, *t, "hidden_view_category");
    if (!hidden) return std::move(hidden).error();
    p.hidden_view_category = *hidden;
    auto invisible_min = t->get_int("invisible_min", 1, 1 << 20);
    if (!invisible_min) return std::move(invisible_min).error();
    p.invisible_min = static_cast<std::size_t>(invisible_min->value_or(1));
    auto max_scan = t->get_int("max_scan_bytes", 1024, std::int64_t{1} << 30);
    if (!max_scan) return std::move(max_scan).error();
    if (!max_scan->has_value()) return t->error("max_scan_bytes", "is required");
    p.max_scan_bytes = static_cast<std::size_t>(**max_scan);
    // A weak signal on its own must stay below the flag threshold.
    if (p.invisible_weight >= p.flag_threshold()) {
        return t->error("invisible_weight",
                        "must stay below the flag threshold: a weak signal "
                        "may not flag text on its own");
    }
    if (p.hidden_view_weight >= p.flag_threshold()) {
        return t->error("hidden_view_weight", "must stay below the flag threshold");
    }
    return {};
}

Result<void> load_pattern_file(const std::string& path, PolicyData& p) {
    auto file = ConfigFile::load(path, kMaxPolicyBytes);
    if (!file) return std::move(file).error();
    const TableView root = file->root();
    CP_TRY(root.only_keys({"pattern"}));
    auto list = root.get_table_array("pattern");
    if (!list) return std::move(list).error();
    double max_view = *std::max_element(p.view_weight.begin(), p.view_weight.end());
    for (const TableView& t : *list) {
        CP_TRY(t.only_keys({"id", "category", "weight", "regex", "note"}));
        Pattern pat;
        auto id = t.require_string("id");
        if (!id) return std::move(id).error();
        pat.id = *id;
        auto cat = category_index(p, t, "category");
        if (!cat) return std::move(cat).error();
        pat.category = *cat;
        auto weight = require_double(t, "weight", 0.0, 1.0);
        if (!weight) return std::move(weight).error();
        pat.weight = *weight;
        auto regex = t.require_string("regex");
        if (!regex) return std::move(regex).error();
        if (regex->empty() || regex->size() > kMaxRegexBytes) {
            return t.error("regex", "must be 1.." + std::to_string(kMaxRegexBytes) + " bytes");
        }
        if (uses_quoting_or_extended_mode(*regex)) {
            return t.error("regex",
                           "must not use \\Q...\\E quoting or the x flag: spell the text out");
        }
        if (auto unfolded = unfolded_literal(*regex)) {
            return t.error("regex", "'" + unfolded->first +
                                        "' never occurs in a view, which holds NFKC_Casefold text: "
                                        "spell it '" +
                                        unfolded->second + "'");
        }
        pat.regex = *regex;
        const Category& c = p.categories[pat.category];
        const double strongest =
            pat.weight * max_view * p.edge_weight * std::max(c.mode_weight[0], c.mode_weight[1]);
        if (c.weak && strongest >= p.flag_threshold()) {
            return t.error("weight", "category '" + c.name +
                                         "' is weak: its patterns must stay below the flag "
                                         "threshold on their own");
        }
        if (p.patterns.size() >= kMaxPatterns) return t.error("id", "too many patterns");
        p.patterns.push_back(std::move(pat));
        p.pattern_tables.push_back(t);
    }
    return {};
}

}  // namespace

const char* view_name(View view) noexcept {
    switch (view) {
        case View::Text:
            return "text";
        case View::Skeleton:
            return "skeleton";
        case View::Decoded:
            return "decoded";
        case View::Tags:
            return "tags";
        case View::Despaced:
            return "despaced";
        case View::Leet:
            return "leet";
    }
    return "unknown";
}

Result<PolicyData> load_policy(const std::string& dir) {
    PolicyData p;
    auto main = ConfigFile::load(dir + "/defender.toml", kMaxPolicyBytes);
    if (!main) return std::move(main).error();
    const TableView root = main->root();
    CP_TRY(root.only_keys({"thresholds", "views", "scoring", "category"}));
    CP_TRY(load_thresholds(root, p));
    CP_TRY(load_views(root, p));
    CP_TRY(load_categories(root, p));
    CP_TRY(load_scoring(root, p));

    const std::string pattern_dir = dir + "/patterns.d";
    std::error_code ec;
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(pattern_dir, ec)) {
        if (entry.path().extension() == ".toml") files.push_back(entry.path().string());
    }
    if (ec) return Error{Errc::Config, pattern_dir + ": " + ec.message(), ec.value()};
    std::sort(files.begin(), files.end());
    for (const std::string& f : files) CP_TRY(load_pattern_file(f, p));
    if (p.patterns.empty()) {
        return make_error(Errc::Config, pattern_dir + ": no [[pattern]] in any *.toml file");
    }
    std::set<std::string> ids;
    for (std::size_t i = 0; i < p.patterns.size(); ++i) {
        if (!ids.insert(p.patterns[i].id).second) {
            return p.pattern_tables[i].error("id",
                                             "duplicate pattern id '" + p.patterns[i].id + "'");
        }
    }
    return p;
}

}  // namespace closedpaw::injection
