// The development datasets in ../shared/datasets (see their PROVENANCE.md), read into labelled
// sets of texts for the evaluation and throughput benchmarks.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "defender.hpp"

namespace closedpaw::injection::bench {

struct Sample {
    std::string text;
    std::string tag;  // e.g. the CyberSecEval injection_variant or the BIPIA category
};

struct LabelledSet {
    std::string name;
    bool positive = false;
    Mode mode = Mode::Input;
    std::string original;  // the original Python detector's rate on this set, if published
    bool pooled = true;    // counted in the pooled benign FPR (XSTest unsafe is reported apart)
    std::vector<Sample> samples;
};

// Throws std::runtime_error naming the file on a missing or malformed dataset.
std::vector<LabelledSet> load_dev_sets(const std::string& datasets_dir);

// The default dataset directory: <source root>/../shared/datasets.
std::string default_datasets_dir();

// What every bench starts with: the defender from policy_dir and the dev sets from
// datasets_dir. On failure prints why (and how to point at the data) and returns nothing.
std::optional<std::pair<Defender, std::vector<LabelledSet>>> load_bench_inputs(const std::string& policy_dir,
                                                                               const std::string& datasets_dir);

}  // namespace closedpaw::injection::bench
