#include "defender.hpp"

#include <algorithm>
#include <functional>
#include <optional>
#include <vector>

#include "db_cache.hpp"
#include "decoders.hpp"
#include "normalizer.hpp"
#include "pattern_set.hpp"
#include "policy.hpp"
#include "repeats.hpp"
#include "scorer.hpp"

#ifndef CLOSEDPAW_DATADIR
#error "CLOSEDPAW_DATADIR must be defined by the build"
#endif

namespace closedpaw::injection {

namespace {

// Texts at least this long are read only until their verdict is critical (see scan()).
constexpr std::size_t kStopWhenCriticalFrom = 64 * 1024;

// Cuts at most max bytes without splitting a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, std::size_t max) {
    if (s.size() <= max) return s;
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return s.substr(0, n);
}

}  // namespace

const char* mode_name(Mode mode) noexcept {
    return mode == Mode::Input ? "input" : "output";
}

const char* cache_use_name(CacheUse use) noexcept {
    switch (use) {
        case CacheUse::None:
            return "none";
        case CacheUse::Loaded:
            return "loaded";
        case CacheUse::Written:
            return "written";
        case CacheUse::Unsaved:
            return "unsaved";
    }
    return "none";
}

const char* level_name(Level level) noexcept {
    switch (level) {
        case Level::None:
            return "none";
        case Level::Low:
            return "low";
        case Level::Medium:
            return "medium";
        case Level::High:
            return "high";
        case Level::Critical:
            return "critical";
    }
    return "none";
}

Result<Mode> parse_mode(std::string_view name) {
    if (name == "input") return Mode::Input;
    if (name == "output") return Mode::Output;
    return make_error(Errc::InvalidArgument,
                      "mode '" + std::string(name) + "' is neither 'input' nor 'output'");
}

std::string Defender::default_policy_dir() {
    return std::string(CLOSEDPAW_DATADIR) + "/policy/injection";
}

Result<Defender> Defender::load(const std::string& policy_dir) {
    return load(policy_dir, std::string());
}

Result<Defender> Defender::load(const std::string& policy_dir, const std::string& cache_path) {
    auto policy = load_policy(policy_dir);
    if (!policy) return std::move(policy).error();
    CacheUse use = CacheUse::None;
    std::unique_ptr<PatternSet> patterns;
    std::string key;
    if (!cache_path.empty()) {
        key = PatternSet::cache_key(*policy, turned_words());
        // Any failure here (no file, foreign file, stale or corrupt content) means: compile.
        if (auto bytes = read_db_cache(cache_path, key)) {
            if (auto set = PatternSet::deserialize(*policy, bytes.value())) {
                patterns = std::move(set).value();
                use = CacheUse::Loaded;
            }
        }
    }
    if (!patterns) {
        auto compiled = PatternSet::compile(*policy, turned_words());
        if (!compiled) return std::move(compiled).error();
        patterns = std::move(compiled).value();
        if (!cache_path.empty()) {
            auto bytes = patterns->serialize();
            use = bytes && write_db_cache(cache_path, key, bytes.value()) ? CacheUse::Written
                                                                          : CacheUse::Unsaved;
        }
    }
    auto normalizer = std::make_unique<Normalizer>();
    std::string why;
    if (!normalizer->ok(&why)) return make_error(Errc::Unavailable, why);
    Defender d(std::make_unique<PolicyData>(std::move(policy).value()), std::move(patterns),
               std::move(normalizer));
    d.cache_use_ = use;
    return d;
}

Defender::Defender(std::unique_ptr<PolicyData> policy, std::unique_ptr<PatternSet> patterns,
                   std::unique_ptr<Normalizer> normalizer)
    : policy_(std::move(policy)),
      patterns_(std::move(patterns)),
      normalizer_(std::move(normalizer)) {}

Defender::Defender(Defender&&) noexcept = default;
Defender& Defender::operator=(Defender&&) noexcept = default;
Defender::~Defender() = default;

std::size_t Defender::pattern_count() const {
    return patterns_->size();
}
std::size_t Defender::category_count() const {
    return policy_->categories.size();
}
std::size_t Defender::compiled_bytes() const {
    return patterns_->compiled_bytes();
}

Verdict Defender::scan(std::string_view text, Mode mode) const {
    Signals signals;
    const std::string_view scanned = utf8_prefix(text, policy_->max_scan_bytes);
    signals.truncated = scanned.size() < text.size();
    signals.text_bytes = scanned.size();

    // A long text that repeats one piece over and over is read with those runs cut to a few
    // KiB: the same phrases are found (repeats.hpp says why), in a fraction of the time.
    std::optional<std::string> shortened;
    if (scanned.size() >= kStopWhenCriticalFrom) shortened = shorten_repeats(scanned);
    Normalized n = normalizer_->normalize(shortened ? std::string_view(*shortened) : scanned);
    signals.invisible_in_words = n.invisible_in_words;
    signals.bidi_controls = n.bidi_controls;

    // A long text stops being read once its verdict is critical: more matches can only add to
    // the score (every term grows with each matched pattern), so the level is the one a whole
    // scan gives, and only the categories found after that point go unlisted. Short texts,
    // nearly all of them, are always read whole.
    std::vector<ViewMatches> views;
    views.reserve(6);
    std::function<bool()> critical;  // empty: read to the end (no allocation for short texts)
    if (scanned.size() >= kStopWhenCriticalFrom) {
        critical = [&] {
            return score_matches(*policy_, mode, views, signals).level == Level::Critical;
        };
    }
    bool stopped = false;
    bool failed = false;
    auto scan_view = [&](View view, std::string_view s, std::vector<WordHit>* words = nullptr) {
        views.push_back(ViewMatches{view, s.size(), {}});
        auto r = patterns_->scan_until(s, views.back().first_end, critical, words);
        // A scan error (scratch allocation) must not pass text unchecked: fail closed.
        if (!r) {
            failed = true;
        } else {
            stopped = r.value();
        }
    };
    // Each further view is built only if reading goes on.
    auto reading = [&] { return !stopped && !failed; };
    std::vector<WordHit> turned;  // words of ROT13 or backwards text, found with the patterns
    scan_view(View::Text, n.text, &turned);
    if (reading()) {
        std::vector<std::size_t> rewritten;
        if (auto skeleton = normalizer_->fold_confusables(n.text, &rewritten)) {
            // One look-alike in a long document: the stretches around it, not a second copy.
            scan_view(View::Skeleton, rewritten_stretches_at(std::move(*skeleton), rewritten));
        }
    }
    // Marks drawn over Latin letters are a disguise of the same kind as look-alike letters.
    if (reading()) {
        if (auto bare = strip_marks_on_latin(n.text)) scan_view(View::Skeleton, *bare);
    }
    if (reading()) {
        if (std::string decoded = decode_embedded(n.clean); !decoded.empty()) {
            scan_view(View::Decoded, normalizer_->fold(strip_invisible(decoded)));
        }
    }
    // ROT13 and backwards text, from the words the text view's scan found: most texts have
    // none, and cost nothing more.
    if (reading()) {
        for (const std::string& forwards : turned_views(n.text, turned)) {
            if (reading()) scan_view(View::Decoded, forwards);
        }
    }
    if (reading() && !n.tags.empty()) {
        scan_view(View::Tags, normalizer_->fold(strip_invisible(n.tags)));
    }
    // Joined from the clean text: collapsing blanks in the text view would erase the wider
    // gaps that mark word ends in "i g n o r e   a l l".
    if (reading()) {
        if (auto joined = join_spaced_letters(n.clean)) {
            scan_view(View::Despaced, normalizer_->fold(*joined));
        }
    }
    if (reading()) {
        if (auto plain = unleet(n.text)) {
            // One for one: the rewritten bytes are where the two differ.
            const std::string_view folded = n.text;
            scan_view(
                View::Leet,
                rewritten_stretches(std::move(*plain), [&](const std::string& v, std::size_t from) {
                    return static_cast<std::size_t>(
                        std::mismatch(folded.begin() + static_cast<std::ptrdiff_t>(from),
                                      folded.end(), v.begin() + static_cast<std::ptrdiff_t>(from))
                            .first -
                        folded.begin());
                }));
        }
    }
    if (failed) {
        Verdict v;
        v.flagged = true;
        v.score = 1.0;
        v.level = Level::Critical;
        v.categories = {"scan_error"};
        return v;
    }
    Verdict v = score_matches(*policy_, mode, views, signals);
    v.stopped_early = stopped;
    return v;
}

}  // namespace closedpaw::injection
