#include "paths.hpp"

#include <cstdlib>

namespace closedpaw {

namespace {

// systemd may pass several colon-separated directories; the first is ours.
std::string first_of(const char* env, const std::string& fallback) {
    const char* v = std::getenv(env);
    if (v == nullptr || *v == '\0') return fallback;
    std::string s(v);
    auto colon = s.find(':');
    return colon == std::string::npos ? s : s.substr(0, colon);
}

}  // namespace

std::string state_directory(const std::string& fallback) {
    return first_of("STATE_DIRECTORY", fallback);
}
std::string runtime_directory(const std::string& fallback) {
    return first_of("RUNTIME_DIRECTORY", fallback);
}
std::string credentials_directory() {
    return first_of("CREDENTIALS_DIRECTORY", "");
}

}  // namespace closedpaw
