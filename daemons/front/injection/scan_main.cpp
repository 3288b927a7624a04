// closedpaw-scan: the prompt-injection defender on the command line. Reads one text per line
// (or one JSON string per line with --jsonl) and prints one JSON verdict per line.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "defender.hpp"

namespace {

using closedpaw::injection::Defender;
using closedpaw::injection::Mode;

constexpr std::size_t kMaxLineBytes = 16u << 20;
constexpr double kScoreDecimals = 10000.0;

constexpr int kExitOk = 0;
constexpr int kExitBadLines = 1;  // some lines could not be read; each got an "error" object
constexpr int kExitUsage = 2;
constexpr int kExitPolicy = 3;

void usage(std::ostream& os) {
    os << "Usage: closedpaw-scan [--mode input|output] [--jsonl] [--policy DIR] [FILE]\n"
          "Scans each line of FILE (default: standard input) for prompt injection and prints\n"
          "one JSON verdict per line: {\"flagged\", \"score\", \"level\", \"categories\"}, with\n"
          "\"truncated\": true when only the first part of a long text was scanned, and\n"
          "\"stopped_early\": true when a long text was read only until it was critical (its\n"
          "level is final; its categories are those found by then).\n"
          "  --mode input    text a user typed (direct injection; the default)\n"
          "  --mode output   tool, skill or web output (indirect injection)\n"
          "  --jsonl         each line is a JSON string (so texts may hold newlines)\n"
          "  --policy DIR    policy directory (default: "
       << Defender::default_policy_dir()
       << ")\n"
          "If CACHE_DIRECTORY is set (systemd), the compiled pattern set is kept there in\n"
          "injection-patterns.hsdb and reused while the policy is unchanged.\n"
          "Exit status: 0 all lines scanned, 1 some lines unreadable, 2 usage, 3 bad policy.\n";
}

nlohmann::json verdict_json(const closedpaw::injection::Verdict& v) {
    nlohmann::json j;
    j["flagged"] = v.flagged;
    j["score"] = std::round(v.score * kScoreDecimals) / kScoreDecimals;
    j["level"] = closedpaw::injection::level_name(v.level);
    j["categories"] = v.categories;
    if (v.truncated) j["truncated"] = true;
    if (v.stopped_early) j["stopped_early"] = true;
    return j;
}

}  // namespace

int main(int argc, char** argv) {
    Mode mode = Mode::Input;
    bool jsonl = false;
    std::string policy_dir = Defender::default_policy_dir();
    std::string input_path;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&](const char* name) -> const char* {
            if (i + 1 >= argc) {
                std::cerr << "closedpaw-scan: " << name << " needs a value\n";
                std::exit(kExitUsage);
            }
            return argv[++i];
        };
        if (arg == "--mode") {
            auto m = closedpaw::injection::parse_mode(value("--mode"));
            if (!m) {
                std::cerr << "closedpaw-scan: " << m.error().message << "\n";
                return kExitUsage;
            }
            mode = *m;
        } else if (arg == "--jsonl") {
            jsonl = true;
        } else if (arg == "--policy") {
            policy_dir = value("--policy");
        } else if (arg == "-h" || arg == "--help") {
            usage(std::cout);
            return kExitOk;
        } else if (arg == "--version") {
            std::cout << "closedpaw-scan " << CLOSEDPAW_VERSION << "\n";
            return kExitOk;
        } else if (!arg.empty() && arg[0] == '-' && arg != "-") {
            std::cerr << "closedpaw-scan: unknown option '" << arg << "' (see --help)\n";
            return kExitUsage;
        } else if (input_path.empty()) {
            input_path = arg;
        } else {
            std::cerr << "closedpaw-scan: only one input file may be given\n";
            return kExitUsage;
        }
    }

    // Under systemd (CacheDirectory=) the compiled pattern database is kept between runs.
    std::string cache_path;
    if (const char* dirs = std::getenv("CACHE_DIRECTORY"); dirs != nullptr && dirs[0] == '/') {
        const std::string first(dirs, std::strcspn(dirs, ":"));
        cache_path = first + "/injection-patterns.hsdb";
    }
    auto defender = Defender::load(policy_dir, cache_path);
    if (!defender) {
        std::cerr << "closedpaw-scan: cannot load the injection policy: "
                  << defender.error().message << "\n"
                  << "closedpaw-scan: pass --policy DIR to use another policy directory\n";
        return kExitPolicy;
    }

    std::ifstream file;
    std::istream* in = &std::cin;
    if (!input_path.empty() && input_path != "-") {
        file.open(input_path, std::ios::binary);
        if (!file) {
            std::cerr << "closedpaw-scan: cannot open " << input_path << "\n";
            return kExitUsage;
        }
        in = &file;
    }

    std::ios::sync_with_stdio(false);
    int status = kExitOk;
    std::string line;
    std::size_t number = 0;
    while (std::getline(*in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::string text;
        std::string error;
        if (line.size() > kMaxLineBytes) {
            error = "line " + std::to_string(number) + " is longer than " +
                    std::to_string(kMaxLineBytes) + " bytes";
        } else if (jsonl) {
            try {
                auto j = nlohmann::json::parse(line);
                if (!j.is_string()) {
                    error = "line " + std::to_string(number) + " is not a JSON string";
                } else {
                    text = j.get<std::string>();
                }
            } catch (const nlohmann::json::exception& e) {
                error = "line " + std::to_string(number) + " is not valid JSON: " + e.what();
            }
        } else {
            text = std::move(line);
        }
        if (!error.empty()) {
            status = kExitBadLines;
            std::cout << nlohmann::json{{"error", error}}.dump() << '\n';
            continue;
        }
        // Invalid UTF-8 is replaced rather than thrown on.
        std::cout << verdict_json(defender->scan(text, mode))
                         .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                  << '\n';
    }
    return status;
}
