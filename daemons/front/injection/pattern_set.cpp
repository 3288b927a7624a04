#include "pattern_set.hpp"

#include <hs/hs.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "normalizer.hpp"

namespace closedpaw::injection {

namespace {

// Views are case-folded already; CASELESS also covers upper-case in a pattern. Byte mode (no
// HS_FLAG_UTF8): patterns spell non-ASCII letters as literals, never in classes. SINGLEMATCH:
// one report per pattern is all the scorer uses.
constexpr unsigned kPatternFlags = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH;
// Words are reported at every occurrence.
constexpr unsigned kWordFlags = HS_FLAG_CASELESS;

struct ScanContext {
    std::vector<uint32_t>* first_end;
    const std::function<bool()>* stop;  // null: read the whole text
    std::vector<WordHit>* words;        // null: word hits are not wanted
};

// Words have the ids after the patterns'.
int on_match(unsigned int id, unsigned long long /*from*/, unsigned long long to,
             unsigned int /*flags*/, void* ctx) {
    auto* c = static_cast<ScanContext*>(ctx);
    if (id >= c->first_end->size()) {
        if (c->words != nullptr) {
            c->words->push_back(WordHit{static_cast<uint32_t>(id - c->first_end->size()),
                                        static_cast<uint32_t>(to)});
        }
        return 0;
    }
    auto& slot = (*c->first_end)[id];
    if (slot != kNoMatch) return 0;
    slot = static_cast<uint32_t>(to);
    // Non-zero ends the scan (HS_SCAN_TERMINATED); otherwise other patterns may still match.
    return c->stop != nullptr && (*c->stop)() ? 1 : 0;
}

}  // namespace

std::string compiled_expression(std::string_view regex) {
    static_assert(kInnerCapital == '\x1e', "the mark is spelled \\x1e below");
    std::string out;
    out.reserve(regex.size() + 16);
    bool in_class = false;
    bool class_has_blank = false;
    std::size_t class_start = 0;  // where the class's first member starts in regex
    std::size_t class_out = 0;    // and in out
    for (std::size_t i = 0; i < regex.size(); ++i) {
        const char c = regex[i];
        if (c == '\\' && i + 1 < regex.size()) {
            const char e = regex[i + 1];
            ++i;
            if (in_class) {
                class_has_blank |= e == 's';
                out += '\\';
                out += e;
            } else if (e == 's') {
                out += "[\\s\\x1e]";
            } else if (e == 'S') {
                out += "[^\\s\\x1e]";
            } else {
                out += '\\';
                out += e;
            }
            continue;
        }
        if (in_class) {
            if (c == ']') {  // (a ']' first among the members was copied with the '[')
                // First in the class, where it cannot make a range of "_-".
                if (class_has_blank) out.insert(class_out, "\\x1e");
                in_class = false;
            }
            class_has_blank |= c == ' ';
            out += c;
            continue;
        }
        if (c == '[') {
            in_class = true;
            class_has_blank = false;
            class_start = i + 1;
            if (class_start < regex.size() && regex[class_start] == '^') ++class_start;
            // The mark goes first among the members, after a ']' that is one.
            std::size_t members = class_start;
            if (members < regex.size() && regex[members] == ']') ++members;
            out.append(regex.substr(i, members - i));
            i = members - 1;
            class_out = out.size();
        } else if (c == ' ') {
            out += "[ \\x1e]";
        } else {
            out += c;
        }
    }
    return out;
}

namespace {

// A word as a whole-word expression; nothing if it is not lower-case ASCII letters.
std::optional<std::string> word_expression(std::string_view word) {
    if (word.empty() ||
        !std::all_of(word.begin(), word.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
        return std::nullopt;
    }
    return "\\b" + std::string(word) + "\\b";
}

}  // namespace

Result<std::unique_ptr<PatternSet>> PatternSet::compile(
    const PolicyData& policy, const std::vector<std::string_view>& words) {
    if (hs_valid_platform() != HS_SUCCESS) {
        return make_error(Errc::Unavailable,
                          "this CPU lacks the SSSE3 instructions Hyperscan needs");
    }
    std::vector<std::string> compiled;
    for (const Pattern& p : policy.patterns) compiled.push_back(compiled_expression(p.regex));
    for (std::string_view w : words) {
        auto e = word_expression(w);
        if (!e) {
            return make_error(Errc::InvalidArgument,
                              "'" + std::string(w) + "' is not a word of lower-case letters");
        }
        compiled.push_back(std::move(*e));
    }
    std::vector<const char*> expressions;
    std::vector<unsigned int> flags;
    std::vector<unsigned int> ids;
    for (std::size_t i = 0; i < compiled.size(); ++i) {
        expressions.push_back(compiled[i].c_str());
        flags.push_back(i < policy.patterns.size() ? kPatternFlags : kWordFlags);
        ids.push_back(static_cast<unsigned int>(i));
    }
    auto set = std::unique_ptr<PatternSet>(new PatternSet());
    set->count_ = policy.patterns.size();
    hs_compile_error_t* error = nullptr;
    if (hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                         static_cast<unsigned int>(expressions.size()), HS_MODE_BLOCK, nullptr,
                         &set->db_, &error) != HS_SUCCESS) {
        std::string message = error != nullptr ? error->message : "unknown error";
        const int index = error != nullptr ? error->expression : -1;
        hs_free_compile_error(error);
        if (index >= 0 && static_cast<std::size_t>(index) < policy.pattern_tables.size()) {
            return policy.pattern_tables[static_cast<std::size_t>(index)].error(
                "regex", "Hyperscan cannot compile it: " + message);
        }
        return make_error(Errc::Config, "compiling the injection pattern set: " + message);
    }
    if (auto r = set->init_scratch(); !r) return std::move(r).error();
    return set;
}

Result<void> PatternSet::init_scratch() {
    if (hs_alloc_scratch(db_, &prototype_) != HS_SUCCESS) {
        return make_error(Errc::Failed, "cannot allocate Hyperscan scratch space");
    }
    return {};
}

std::string PatternSet::cache_key(const PolicyData& policy,
                                  const std::vector<std::string_view>& words) {
    hs_platform_info_t platform{};
    hs_populate_platform(&platform);
    std::string key = std::string("hyperscan ") + hs_version() + "\ncpu " +
                      std::to_string(platform.tune) + " " + std::to_string(platform.cpu_features) +
                      "\nflags " + std::to_string(kPatternFlags) + " " +
                      std::to_string(kWordFlags) + "\nmode block\n";
    for (const Pattern& p : policy.patterns) {
        const std::string expression = compiled_expression(p.regex);
        key += std::to_string(expression.size()) + ":" + expression + "\n";
    }
    for (std::string_view w : words) key += "word " + std::string(w) + "\n";
    return key;
}

Result<std::string> PatternSet::serialize() const {
    char* bytes = nullptr;
    std::size_t length = 0;
    if (hs_serialize_database(db_, &bytes, &length) != HS_SUCCESS) {
        return make_error(Errc::Failed, "cannot serialize the pattern database");
    }
    std::string out(bytes, length);
    std::free(bytes);
    return out;
}

Result<std::unique_ptr<PatternSet>> PatternSet::deserialize(const PolicyData& policy,
                                                            std::string_view bytes) {
    if (hs_valid_platform() != HS_SUCCESS) {
        return make_error(Errc::Unavailable,
                          "this CPU lacks the SSSE3 instructions Hyperscan needs");
    }
    auto set = std::unique_ptr<PatternSet>(new PatternSet());
    set->count_ = policy.patterns.size();
    const hs_error_t rc = hs_deserialize_database(bytes.data(), bytes.size(), &set->db_);
    if (rc != HS_SUCCESS) {
        set->db_ = nullptr;
        return make_error(Errc::Corrupt, "Hyperscan rejects the cached database (code " +
                                             std::to_string(rc) + ")");
    }
    if (auto r = set->init_scratch(); !r) return std::move(r).error();
    return set;
}

PatternSet::~PatternSet() {
    for (hs_scratch* s : pool_) hs_free_scratch(s);
    if (prototype_ != nullptr) hs_free_scratch(prototype_);
    if (db_ != nullptr) hs_free_database(db_);
}

hs_scratch* PatternSet::acquire() const {
    {
        std::lock_guard<std::mutex> lock(pool_mutex_);
        if (!pool_.empty()) {
            hs_scratch* s = pool_.back();
            pool_.pop_back();
            return s;
        }
    }
    hs_scratch* s = nullptr;
    if (hs_clone_scratch(prototype_, &s) != HS_SUCCESS) return nullptr;
    return s;
}

void PatternSet::release(hs_scratch* s) const {
    std::lock_guard<std::mutex> lock(pool_mutex_);
    pool_.push_back(s);
}

Result<void> PatternSet::scan(std::string_view text, std::vector<uint32_t>& first_end,
                              std::vector<WordHit>* words) const {
    auto r = run_scan(text, first_end, nullptr, words);
    if (!r) return std::move(r).error();
    return {};
}

Result<bool> PatternSet::scan_until(std::string_view text, std::vector<uint32_t>& first_end,
                                    const std::function<bool()>& stop,
                                    std::vector<WordHit>* words) const {
    return run_scan(text, first_end, stop ? &stop : nullptr, words);
}

Result<bool> PatternSet::run_scan(std::string_view text, std::vector<uint32_t>& first_end,
                                  const std::function<bool()>* stop,
                                  std::vector<WordHit>* words) const {
    first_end.assign(count_, kNoMatch);
    hs_scratch* scratch = acquire();
    if (scratch == nullptr) return make_error(Errc::Failed, "cannot allocate Hyperscan scratch");
    ScanContext ctx{&first_end, stop, words};
    const hs_error_t rc = hs_scan(db_, text.data(), static_cast<unsigned int>(text.size()), 0,
                                  scratch, on_match, &ctx);
    release(scratch);
    if (rc == HS_SCAN_TERMINATED) return true;
    if (rc != HS_SUCCESS) {
        return make_error(Errc::Failed, "Hyperscan scan failed with code " + std::to_string(rc));
    }
    return false;
}

std::size_t PatternSet::compiled_bytes() const {
    std::size_t db = 0;
    std::size_t scratch = 0;
    hs_database_size(db_, &db);
    hs_scratch_size(prototype_, &scratch);
    return db + scratch;
}

}  // namespace closedpaw::injection
