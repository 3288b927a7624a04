// The prompt-injection defender: the API closedpawd (and closedpaw-scan) call.
//
// A Defender is built once from the policy directory (policy/injection/: thresholds, view
// weights, categories and the pattern set as TOML) and then scans text in two modes: direct
// user input, and untrusted tool/skill/web output (indirect injection). scan() is const and
// thread-safe; each call normalises the text into views, matches every view with one
// linear-time Hyperscan database and scores the combined evidence.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace closedpaw::injection {

enum class Mode { Input, Output };
// How load() got its pattern database.
enum class CacheUse {
    None,     // no cache path given: compiled
    Loaded,   // read from the cache file
    Written,  // compiled (no usable cache) and the cache file written
    Unsaved,  // compiled (no usable cache); writing the cache file failed
};
enum class Level { None = 0, Low, Medium, High, Critical };

const char* mode_name(Mode mode) noexcept;
const char* cache_use_name(CacheUse use) noexcept;
const char* level_name(Level level) noexcept;
// "input"/"output" -> Mode; anything else is InvalidArgument.
Result<Mode> parse_mode(std::string_view name);
inline std::ostream& operator<<(std::ostream& os, Level level) {
    return os << level_name(level);
}
inline std::ostream& operator<<(std::ostream& os, Mode mode) {
    return os << mode_name(mode);
}
inline std::ostream& operator<<(std::ostream& os, CacheUse use) {
    return os << cache_use_name(use);
}

struct Verdict {
    bool flagged = false;
    double score = 0.0;  // 0..1
    Level level = Level::None;
    std::vector<std::string> categories;  // sorted names of the categories that contributed
    bool truncated = false;               // only the first policy.max_scan_bytes were scanned
    // A long text (64 KiB or more) whose verdict became critical before it was read to the
    // end: the level is final, but score and categories are those of the part read.
    bool stopped_early = false;
};

struct PolicyData;
class PatternSet;
class Normalizer;

class Defender {
  public:
    // Loads policy_dir/defender.toml and policy_dir/patterns.d/*.toml, validates them and
    // compiles the pattern set. Errors name the file, line and key.
    static Result<Defender> load(const std::string& policy_dir);
    // The same, reusing the compiled pattern database kept in cache_path when that file was
    // built from this very pattern set and only this user could have written it (see
    // db_cache.hpp); otherwise compiles and (re)writes the file. A missing, foreign, corrupt or
    // unwritable cache never makes loading fail: cache_use() says what happened.
    static Result<Defender> load(const std::string& policy_dir, const std::string& cache_path);
    // The installed policy directory (CLOSEDPAW_DATADIR/policy/injection).
    static std::string default_policy_dir();

    Defender(Defender&&) noexcept;
    Defender& operator=(Defender&&) noexcept;
    ~Defender();

    Verdict scan(std::string_view text, Mode mode) const;

    std::size_t pattern_count() const;
    std::size_t category_count() const;
    // Bytes held by the compiled pattern database (hs_database_size) and one scratch space.
    std::size_t compiled_bytes() const;
    CacheUse cache_use() const { return cache_use_; }

  private:
    Defender(std::unique_ptr<PolicyData> policy, std::unique_ptr<PatternSet> patterns,
             std::unique_ptr<Normalizer> normalizer);

    std::unique_ptr<PolicyData> policy_;
    std::unique_ptr<PatternSet> patterns_;
    std::unique_ptr<Normalizer> normalizer_;
    CacheUse cache_use_ = CacheUse::None;
};

}  // namespace closedpaw::injection
