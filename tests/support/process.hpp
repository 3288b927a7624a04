// Child processes for tests: daemons started the way users start them, and clients run as
// another uid. Everything is killed when the handle goes away.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace cptest {

struct RunResult {
    int exit_code = -1;  // -1 if killed by a signal
    int signal = 0;
    std::string out;
    std::string err;
};

struct RunOptions {
    std::optional<std::string> user;  // run as this user (needs root); groups from the user db
    std::vector<std::string> env;     // extra NAME=VALUE entries
    std::string input;                // written to stdin, then closed
    std::chrono::milliseconds timeout{30000};
};

// Runs argv to completion and captures its output.
RunResult run(const std::vector<std::string>& argv, const RunOptions& options = {});

class Process {
  public:
    Process() = default;
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    Process(Process&& o) noexcept;
    Process& operator=(Process&& o) noexcept;
    ~Process();

    // Starts argv with stdout/stderr appended to log_path (kept for failure messages).
    static Process start(const std::vector<std::string>& argv, const std::string& log_path,
                         const std::vector<std::string>& env = {});

    pid_t pid() const { return pid_; }
    bool running();
    // SIGTERM, wait up to timeout, then SIGKILL. Returns the wait status.
    int stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
    void kill9();
    int wait();
    std::string log() const;

  private:
    pid_t pid_ = -1;
    std::string log_path_;
    int status_ = 0;
};

// Runs fn in a child process as user (initgroups, setresgid, setresuid) and returns what fn
// returned. fn typically opens its own bus connection and returns an error name or "ok".
std::string as_user(const std::string& user, const std::function<std::string()>& fn);

bool is_root();
// Test users exist only when scripts/setup-users ran (as root). Returns the reason when not.
std::optional<std::string> missing_test_users();
std::string source_root();
std::string build_root();
// A fresh /tmp/cptest-<tag>-XXXXXX (mode 0755), removed when this process exits
// (CPTEST_KEEP_TEMP=1 keeps them for a post-mortem).
std::string make_temp_dir(const std::string& tag);
// Runs fn with this process's writes beyond limit bytes of a file failing (EFBIG, SIGXFSZ
// ignored), as they fail on a full disk; the limit and the signal's disposition are restored.
void with_file_size_limit(std::uintmax_t limit, const std::function<void()>& fn);
// Polls fn every 20 ms until it returns true or the timeout passes.
bool eventually(const std::function<bool()>& fn,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

}  // namespace cptest
