// closedpaw-injection-eval: detection rates of the prompt-injection defender on the dev sets.
// Prints, for each set, the rate flagged at the shipped thresholds beside the original
// detector's, then the threshold that keeps the pooled benign FPR at or below 1% and the rates
// there. Not a test: it reports numbers, it does not judge them.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "datasets.hpp"
#include "defender.hpp"

#ifndef CLOSEDPAW_SOURCE_ROOT
#error "CLOSEDPAW_SOURCE_ROOT must be defined by the build"
#endif

using namespace closedpaw::injection;
using namespace closedpaw::injection::bench;

namespace {

constexpr double kTargetFpr = 0.01;

struct Scored {
    const LabelledSet* set;
    std::vector<Verdict> verdicts;
};

double rate_at(const Scored& s, double threshold) {
    if (s.verdicts.empty()) return 0.0;
    std::size_t n = 0;
    for (const Verdict& v : s.verdicts) n += v.score >= threshold ? 1 : 0;
    return static_cast<double>(n) / static_cast<double>(s.verdicts.size());
}

std::size_t flagged_count(const Scored& s) {
    std::size_t n = 0;
    for (const Verdict& v : s.verdicts) n += v.flagged ? 1 : 0;
    return n;
}

double flagged_rate(const Scored& s) {
    return s.verdicts.empty()
               ? 0.0
               : static_cast<double>(flagged_count(s)) / static_cast<double>(s.verdicts.size());
}

// The lowest score threshold at which at most kTargetFpr of the pooled benign texts flag.
double threshold_for_fpr(const std::vector<Scored>& scored) {
    std::vector<double> benign;
    for (const Scored& s : scored) {
        if (s.set->positive || !s.set->pooled) continue;
        for (const Verdict& v : s.verdicts) benign.push_back(v.score);
    }
    std::sort(benign.begin(), benign.end(), std::greater<>());
    const auto allowed = static_cast<std::size_t>(kTargetFpr * static_cast<double>(benign.size()));
    // Scores above benign[allowed] flag at most `allowed` benign texts.
    if (allowed >= benign.size()) return 0.0;
    const double edge = benign[allowed];
    return std::nextafter(edge, 2.0);
}

void usage() {
    std::cout << "Usage: closedpaw-injection-eval [--datasets DIR] [--policy DIR] [--verbose]\n"
                 "                               [--misses SET] [--false-positives]\n"
                 "                               [--paragraphs DIR]... [--messages DIR]...\n"
                 "--paragraphs DIR: also scan, as tool output, every paragraph (80 bytes or more)\n"
                 "of the plain-text files under DIR (README*, NEWS*, *.txt, *.md; e.g.\n"
                 "/usr/share/doc) and report the rate flagged. Real manuals and change logs: a\n"
                 "benign set no pattern was written against. Not pooled (it differs by machine).\n"
                 "--messages DIR: also scan, as tool output, every translated message (20 bytes\n"
                 "or more) of the gettext catalogues (*.mo) under DIR (e.g. /usr/share/locale):\n"
                 "program output in a hundred languages. Not pooled either.\n";
}

bool is_plain_text_name(const std::string& name) {
    auto ends = [&](const char* s) {
        const std::string e = s;
        return name.size() >= e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0;
    };
    return name.rfind("README", 0) == 0 || name.rfind("NEWS", 0) == 0 || ends(".txt") ||
           ends(".md");
}

// The regular files under dir that wanted() accepts, in path order, so that two runs on one
// machine scan the same texts.
template <typename Wanted>
std::vector<std::filesystem::path> files_under(const std::string& dir, Wanted wanted) {
    namespace fs = std::filesystem;
    std::vector<fs::path> files;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(
             dir, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && wanted(it->path())) files.push_back(it->path());
    }
    if (ec)
        std::fprintf(stderr, "closedpaw-injection-eval: walking %s: %s\n", dir.c_str(),
                     ec.message().c_str());
    std::sort(files.begin(), files.end());
    return files;
}

// Paragraphs (runs of lines between blank lines) of the plain-text files under dir.
LabelledSet paragraphs_under(const std::string& dir) {
    namespace fs = std::filesystem;
    LabelledSet set{
        "Paragraphs of " + dir + " (benign)", false, Mode::Output, "", /*pooled=*/false, {}};
    const std::vector<fs::path> files = files_under(
        dir, [](const fs::path& f) { return is_plain_text_name(f.filename().string()); });
    constexpr std::size_t kMinParagraph = 80;
    for (const fs::path& f : files) {
        std::ifstream in(f, std::ios::binary);
        std::string line;
        std::string para;
        auto flush = [&] {
            if (para.size() >= kMinParagraph) set.samples.push_back({para, f.string()});
            para.clear();
        };
        while (std::getline(in, line)) {
            if (line.find_first_not_of(" \t\r") == std::string::npos) {
                flush();
            } else {
                para += line;
                para += '\n';
            }
        }
        flush();
    }
    return set;
}

// The translations in one GNU gettext catalogue (.mo): a header (magic, revision, count, the
// offsets of the original and translated string tables), then tables of (length, offset).
// Plural forms are separated by NUL bytes. A malformed file yields what was read before the
// fault.
void read_catalogue(const std::filesystem::path& file, LabelledSet& set) {
    std::ifstream in(file, std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto u32 = [&](std::size_t at, bool swap, uint32_t* out) {
        if (at > data.size() || data.size() - at < 4) return false;
        uint32_t v = 0;
        std::memcpy(&v, data.data() + at, 4);
        *out = swap ? __builtin_bswap32(v) : v;
        return true;
    };
    uint32_t magic = 0;
    if (!u32(0, false, &magic)) return;
    const bool swap = magic == 0xde120495u;
    if (!swap && magic != 0x950412deu) return;
    uint32_t count = 0;
    uint32_t translations = 0;
    if (!u32(8, swap, &count) || !u32(16, swap, &translations)) return;
    constexpr std::size_t kMinMessage = 20;
    for (uint32_t i = 0; i < count; ++i) {
        uint32_t length = 0;
        uint32_t offset = 0;
        const std::size_t entry = translations + std::size_t{8} * i;
        if (!u32(entry, swap, &length) || !u32(entry + 4, swap, &offset)) return;
        if (offset > data.size() || data.size() - offset < length) return;
        std::string_view text(data.data() + offset, length);
        while (!text.empty()) {
            const std::size_t nul = text.find('\0');
            const std::string_view form = text.substr(0, nul);
            if (form.size() >= kMinMessage)
                set.samples.push_back({std::string(form), file.string()});
            if (nul == std::string_view::npos) break;
            text.remove_prefix(nul + 1);
        }
    }
}

// Every translated message of the catalogues under dir.
LabelledSet messages_under(const std::string& dir) {
    namespace fs = std::filesystem;
    LabelledSet set{"Translated messages under " + dir + " (benign)",
                    false,
                    Mode::Output,
                    "",
                    /*pooled=*/false,
                    {}};
    const std::vector<fs::path> files =
        files_under(dir, [](const fs::path& f) { return f.extension() == ".mo"; });
    for (const fs::path& f : files) read_catalogue(f, set);
    return set;
}

}  // namespace

int main(int argc, char** argv) {
    std::string datasets = default_datasets_dir();
    std::string policy = std::string(CLOSEDPAW_SOURCE_ROOT) + "/policy/injection";
    bool verbose = false;
    bool show_fp = false;
    std::string misses_of;
    std::vector<std::string> paragraph_dirs;
    std::vector<std::string> message_dirs;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--datasets" && i + 1 < argc) {
            datasets = argv[++i];
        } else if (a == "--policy" && i + 1 < argc) {
            policy = argv[++i];
        } else if (a == "--verbose") {
            verbose = true;
        } else if (a == "--misses" && i + 1 < argc) {
            misses_of = argv[++i];
        } else if (a == "--false-positives") {
            show_fp = true;
        } else if (a == "--paragraphs" && i + 1 < argc) {
            paragraph_dirs.push_back(argv[++i]);
        } else if (a == "--messages" && i + 1 < argc) {
            message_dirs.push_back(argv[++i]);
        } else {
            usage();
            return a == "--help" || a == "-h" ? 0 : 2;
        }
    }

    auto inputs = load_bench_inputs(policy, datasets);
    if (!inputs) return 1;
    auto& [defender_value, sets] = *inputs;
    auto* defender = &defender_value;
    for (const std::string& dir : paragraph_dirs) sets.push_back(paragraphs_under(dir));
    for (const std::string& dir : message_dirs) sets.push_back(messages_under(dir));

    std::vector<Scored> scored;
    for (const LabelledSet& set : sets) {
        Scored s{&set, {}};
        for (const Sample& sample : set.samples)
            s.verdicts.push_back(defender->scan(sample.text, set.mode));
        scored.push_back(std::move(s));
    }

    const double threshold = threshold_for_fpr(scored);
    std::printf("Prompt-injection defender on %s\n", datasets.c_str());
    std::printf("policy %s: %zu patterns in %zu categories\n\n", policy.c_str(),
                defender->pattern_count(), defender->category_count());
    std::printf(
        "| set | mode | n | kind | ours, shipped thresholds | ours at FPR<=1%% threshold (%.3f) | "
        "original |\n",
        threshold);
    std::printf("|---|---|---:|---|---:|---:|---:|\n");
    for (const Scored& s : scored) {
        std::printf("| %s | %s | %zu | %s | %.1f%% (%zu) | %.1f%% | %s |\n", s.set->name.c_str(),
                    mode_name(s.set->mode), s.verdicts.size(), s.set->positive ? "TPR" : "FPR",
                    100.0 * flagged_rate(s), flagged_count(s), 100.0 * rate_at(s, threshold),
                    s.set->original.c_str());
    }
    std::size_t benign_n = 0;
    std::size_t benign_flagged = 0;
    for (const Scored& s : scored) {
        if (s.set->positive || !s.set->pooled) continue;
        benign_n += s.verdicts.size();
        benign_flagged += flagged_count(s);
    }
    std::printf(
        "\npooled benign (XSTest safe + MITRE-FRR + clean e-mails): %zu texts, FPR %.2f%% at the "
        "shipped thresholds\n",
        benign_n, 100.0 * static_cast<double>(benign_flagged) / static_cast<double>(benign_n));
    std::printf("threshold for pooled FPR <= 1%%: score >= %.4f\n", threshold);

    // The lowest threshold that keeps every benign set (not just the pool) at or below 1%.
    double strict = threshold;
    for (const Scored& s : scored) {
        if (s.set->positive || !s.set->pooled) continue;
        while (rate_at(s, strict) > kTargetFpr) strict = std::nextafter(strict + 0.005, 2.0);
    }
    std::printf("threshold for FPR <= 1%% on every benign set: score >= %.4f\n", strict);

    std::printf("\nRates by threshold (TPR on positives, FPR on benign):\n| threshold |");
    for (const Scored& s : scored) std::printf(" %s |", s.set->name.c_str());
    std::printf("\n|---:|");
    for (std::size_t i = 0; i < scored.size(); ++i) std::printf("---:|");
    std::printf("\n");
    for (double t : {0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, strict}) {
        std::printf("| %.4f |", t);
        for (const Scored& s : scored) std::printf(" %.1f%% |", 100.0 * rate_at(s, t));
        std::printf("\n");
    }

    if (verbose) {
        for (const Scored& s : scored) {
            std::map<std::string, std::pair<std::size_t, std::size_t>> by_tag;
            for (std::size_t i = 0; i < s.verdicts.size(); ++i) {
                std::string tag = s.set->samples[i].tag;
                tag = tag.substr(0, tag.find('@'));
                auto& [hit, n] = by_tag[tag];
                hit += s.verdicts[i].flagged ? 1 : 0;
                ++n;
            }
            if (!s.set->positive) continue;
            std::printf("\n%s by tag (flagged/n):\n", s.set->name.c_str());
            for (const auto& [tag, hn] : by_tag) {
                std::printf("  %-40s %3zu/%-3zu\n", tag.c_str(), hn.first, hn.second);
            }
        }
    }
    for (const Scored& s : scored) {
        const bool dump_misses = s.set->positive && s.set->name == misses_of;
        const bool dump_fp = !s.set->positive && show_fp;
        if (!dump_misses && !dump_fp) continue;
        for (std::size_t i = 0; i < s.verdicts.size(); ++i) {
            const Verdict& v = s.verdicts[i];
            if (dump_misses == v.flagged) continue;
            std::string cats;
            for (const auto& c : v.categories) cats += c + ",";
            std::printf("%s %.3f [%s] %s\n", dump_misses ? "MISS" : "FP", v.score, cats.c_str(),
                        s.set->samples[i].text.substr(0, 300).c_str());
        }
    }
    return 0;
}
