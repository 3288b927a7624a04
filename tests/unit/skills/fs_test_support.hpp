// Helpers for the filesystem skill's tests: a temporary tree with a workspace inside it,
// files planted by the test (not through the skill), and the resolver strategies to run.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "process.hpp"
#include "resolver.hpp"

namespace cptest {

// Both strategies where the kernel has openat2; the walk alone where it does not.
inline std::vector<closedpaw::fs_skill::ResolveStrategy> resolve_strategies() {
    using closedpaw::fs_skill::ResolveStrategy;
    auto probe = closedpaw::fs_skill::Resolver::open_workspace("/tmp", ResolveStrategy::Openat2);
    if (probe) return {ResolveStrategy::Openat2, ResolveStrategy::Walk};
    return {ResolveStrategy::Walk};
}

inline void plant(const std::string& path, const std::string& content) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

inline std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

// base/ holds the workspace (base/ws) and things outside it (base/outside); removed at the end.
struct TempTree {
    std::string base = make_temp_dir("skills");
    std::string ws = base + "/ws";
    std::string outside = base + "/outside";
    TempTree() {
        std::filesystem::create_directories(ws);
        std::filesystem::create_directories(outside);
    }
    ~TempTree() {
        std::error_code ec;
        std::filesystem::remove_all(base, ec);  // never follows symlinks
    }
    TempTree(const TempTree&) = delete;
    TempTree& operator=(const TempTree&) = delete;
};

}  // namespace cptest
