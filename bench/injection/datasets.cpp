#include "datasets.hpp"

#include <iostream>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#ifndef CLOSEDPAW_SOURCE_ROOT
#error "CLOSEDPAW_SOURCE_ROOT must be defined by the build"
#endif

namespace closedpaw::injection::bench {

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

nlohmann::json read_json(const std::string& path) {
    try {
        return nlohmann::json::parse(read_file(path));
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
}

// RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines.
std::vector<std::vector<std::string>> parse_csv(const std::string& data) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < data.size(); ++i) {
        const char c = data[i];
        if (quoted) {
            if (c == '"' && i + 1 < data.size() && data[i + 1] == '"') {
                field.push_back('"');
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field.push_back(c);
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            row.push_back(std::move(field));
            field.clear();
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
            row.push_back(std::move(field));
            field.clear();
            rows.push_back(std::move(row));
            row.clear();
        } else {
            field.push_back(c);
        }
    }
    if (!field.empty() || !row.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
    }
    return rows;
}

// BIPIA's way of making positives: the attack at the start, in the middle (at a word
// boundary) or at the end of a clean e-mail.
std::string insert_attack(const std::string& email, const std::string& attack, int where) {
    if (where == 0) return attack + "\n" + email;
    if (where == 2) return email + "\n" + attack;
    std::size_t mid = email.size() / 2;
    while (mid < email.size() && email[mid] != ' ' && email[mid] != '\n') ++mid;
    return email.substr(0, mid) + " " + attack + " " + email.substr(mid);
}

}  // namespace

std::string default_datasets_dir() {
    return std::string(CLOSEDPAW_SOURCE_ROOT) + "/../shared/datasets";
}

std::vector<LabelledSet> load_dev_sets(const std::string& dir) {
    std::vector<LabelledSet> sets;

    LabelledSet cse{"CyberSecEval user_input", true, Mode::Input, "12.4%", true, {}};
    for (const auto& row : read_json(dir + "/injection-dev/prompt_injection.json")) {
        cse.samples.push_back({row.at("user_input").get<std::string>(),
                               row.at("injection_variant").get<std::string>()});
    }

    LabelledSet attacks{"BIPIA attacks alone", true, Mode::Output, "0%", true, {}};
    for (const char* file :
         {"/injection-dev/text_attack_train.json", "/injection-dev/code_attack_train.json"}) {
        const nlohmann::json doc = read_json(dir + file);  // items() must not outlive it
        for (const auto& [category, list] : doc.items()) {
            for (const auto& attack : list) {
                attacks.samples.push_back({attack.get<std::string>(), category});
            }
        }
    }

    std::vector<std::string> emails;
    {
        std::ifstream in(dir + "/injection-dev/email_train.jsonl");
        if (!in)
            throw std::runtime_error("cannot read " + dir + "/injection-dev/email_train.jsonl");
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty()) continue;
            emails.push_back(nlohmann::json::parse(line).at("context").get<std::string>());
        }
    }
    if (emails.empty()) throw std::runtime_error("email_train.jsonl holds no e-mails");

    LabelledSet inserted{"BIPIA attacks in e-mails", true, Mode::Output, "n/a", true, {}};
    const char* where_names[] = {"start", "middle", "end"};
    for (std::size_t i = 0; i < attacks.samples.size(); ++i) {
        for (int where = 0; where < 3; ++where) {
            const std::string& email =
                emails[(i * 3 + static_cast<std::size_t>(where)) % emails.size()];
            inserted.samples.push_back({insert_attack(email, attacks.samples[i].text, where),
                                        attacks.samples[i].tag + "@" + where_names[where]});
        }
    }

    LabelledSet xstest{"XSTest safe", false, Mode::Input, "0%", true, {}};
    LabelledSet xstest_unsafe{"XSTest unsafe (not inj.)", false, Mode::Input, "n/a", false, {}};
    const auto rows = parse_csv(read_file(dir + "/benign-dev/xstest_prompts.csv"));
    if (rows.empty()) throw std::runtime_error("xstest_prompts.csv is empty");
    std::size_t prompt_col = SIZE_MAX, label_col = SIZE_MAX, type_col = SIZE_MAX;
    for (std::size_t c = 0; c < rows[0].size(); ++c) {
        if (rows[0][c] == "prompt") prompt_col = c;
        if (rows[0][c] == "label") label_col = c;
        if (rows[0][c] == "type") type_col = c;
    }
    if (prompt_col == SIZE_MAX || label_col == SIZE_MAX || type_col == SIZE_MAX) {
        throw std::runtime_error("xstest_prompts.csv lacks the prompt/label/type columns");
    }
    for (std::size_t r = 1; r < rows.size(); ++r) {
        const auto& row = rows[r];
        if (row.size() <= std::max({prompt_col, label_col, type_col})) continue;
        Sample s{row[prompt_col], row[type_col]};
        (row[label_col] == "safe" ? xstest : xstest_unsafe).samples.push_back(std::move(s));
    }

    LabelledSet mitre{"MITRE-FRR", false, Mode::Input, "0.1%", true, {}};
    for (const auto& row : read_json(dir + "/benign-dev/mitre_frr.json")) {
        mitre.samples.push_back(
            {row.at("mutated_prompt").get<std::string>(), row.value("attack_type", std::string())});
    }

    LabelledSet clean{"Clean e-mails", false, Mode::Output, "8%", true, {}};
    for (const std::string& e : emails) clean.samples.push_back({e, "email"});

    sets.push_back(std::move(cse));
    sets.push_back(std::move(attacks));
    sets.push_back(std::move(inserted));
    sets.push_back(std::move(xstest));
    sets.push_back(std::move(mitre));
    sets.push_back(std::move(clean));
    sets.push_back(std::move(xstest_unsafe));
    return sets;
}

std::optional<std::pair<Defender, std::vector<LabelledSet>>> load_bench_inputs(const std::string& policy_dir,
                                                                               const std::string& datasets_dir) {
    auto defender = Defender::load(policy_dir);
    if (!defender) {
        std::cerr << "cannot load policy: " << defender.error().message << "\n";
        return std::nullopt;
    }
    try {
        return std::pair{std::move(*defender), load_dev_sets(datasets_dir)};
    } catch (const std::exception& e) {
        std::cerr << "cannot load the datasets: " << e.what() << "\n"
                  << "pass --datasets DIR (default " << default_datasets_dir() << ")\n";
        return std::nullopt;
    }
}

}  // namespace closedpaw::injection::bench
