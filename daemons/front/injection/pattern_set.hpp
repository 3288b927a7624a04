// The pattern set compiled into one Hyperscan database: every pattern is matched in a single
// linear-time pass over each view, whatever the input (no backtracking engine ever sees
// untrusted text).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "decoders.hpp"
#include "policy.hpp"

struct hs_database;
struct hs_scratch;

namespace closedpaw::injection {

constexpr uint32_t kNoMatch = UINT32_MAX;

// The expression a pattern's regex is compiled as: a blank in it (a literal space, \s, a class
// holding either) also matches kInnerCapital, the mark the text view puts in place of the blanks
// before a capitalised word inside a sentence. Patterns are written with plain spaces; only
// those that name kInnerCapital (as \x1e) treat the mark as a sentence start. (The policy
// loader refuses \Q...\E and (?x), which would hide blanks from it.)
std::string compiled_expression(std::string_view regex);

// Besides the policy's patterns, the set holds a list of words (lower-case ASCII letters) that
// the decoders look for: each whole-word occurrence of one is reported as a WordHit, in the
// same pass, at almost no cost (turned_words() in decoders.hpp).
class PatternSet {
  public:
    // Compile errors name the pattern's file, line and key.
    static Result<std::unique_ptr<PatternSet>> compile(const PolicyData& policy,
                                                       const std::vector<std::string_view>& words);
    // A set from serialize()'s bytes (of a database compiled for cache_key(policy, words));
    // fails (Corrupt) unless Hyperscan accepts them as a database for this library version.
    static Result<std::unique_ptr<PatternSet>> deserialize(const PolicyData& policy,
                                                           std::string_view bytes);
    // Everything the database is compiled from (library version, CPU features, flags, each
    // regex and word): equal keys give equal databases.
    static std::string cache_key(const PolicyData& policy,
                                 const std::vector<std::string_view>& words);
    Result<std::string> serialize() const;
    ~PatternSet();
    PatternSet(const PatternSet&) = delete;
    PatternSet& operator=(const PatternSet&) = delete;

    // first_end[i] = end offset of pattern i's first match in text, kNoMatch if none; each
    // occurrence of a word is appended to *words when words is not null.
    // Thread-safe: each call borrows a scratch space from a pool.
    Result<void> scan(std::string_view text, std::vector<uint32_t>& first_end,
                      std::vector<WordHit>* words = nullptr) const;
    // The same, asking stop() each time a pattern's first match has been recorded in
    // first_end; once it says true the scan ends there, and the result is true. first_end then
    // holds the first matches of the text read so far: each recorded offset is the one a whole
    // scan would give, and patterns not yet matched are kNoMatch.
    Result<bool> scan_until(std::string_view text, std::vector<uint32_t>& first_end,
                            const std::function<bool()>& stop,
                            std::vector<WordHit>* words = nullptr) const;

    std::size_t size() const { return count_; }
    std::size_t compiled_bytes() const;

  private:
    PatternSet() = default;
    Result<void> init_scratch();
    Result<bool> run_scan(std::string_view text, std::vector<uint32_t>& first_end,
                          const std::function<bool()>* stop, std::vector<WordHit>* words) const;
    hs_scratch* acquire() const;
    void release(hs_scratch* s) const;

    hs_database* db_ = nullptr;
    hs_scratch* prototype_ = nullptr;
    std::size_t count_ = 0;
    mutable std::mutex pool_mutex_;
    mutable std::vector<hs_scratch*> pool_;
};

}  // namespace closedpaw::injection
