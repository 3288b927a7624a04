#include "process.hpp"

#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef CLOSEDPAW_SOURCE_ROOT
#error "CLOSEDPAW_SOURCE_ROOT must be defined by the build"
#endif

extern char** environ;

namespace cptest {

namespace {

// In the child, after fork: become user (if any), set env, exec. Never returns.
[[noreturn]] void exec_child(const std::vector<std::string>& argv,
                             const std::optional<std::string>& user,
                             const std::vector<std::string>& env) {
    if (user) {
        passwd* pw = ::getpwnam(user->c_str());
        if (pw == nullptr) {
            dprintf(2, "no such user %s\n", user->c_str());
            _exit(126);
        }
        if (::initgroups(pw->pw_name, pw->pw_gid) != 0 ||
            ::setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
            ::setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
            dprintf(2, "cannot become %s: %s\n", user->c_str(), strerror(errno));
            _exit(126);
        }
        ::setenv("HOME", pw->pw_dir, 1);
        ::setenv("USER", pw->pw_name, 1);
    }
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    dprintf(2, "exec %s: %s\n", args[0], strerror(errno));
    _exit(127);
}

}  // namespace

RunResult run(const std::vector<std::string>& argv, const RunOptions& options) {
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC))
        throw std::runtime_error("pipe failed");
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::dup2(in[0], 0);
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
        exec_child(argv, options.user, options.env);
    }
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    std::string input = options.input;
    std::size_t written = 0;
    if (input.empty()) {
        ::close(in[1]);
        in[1] = -1;
    } else {
        ::fcntl(in[1], F_SETFL, O_NONBLOCK);
    }
    RunResult r;
    auto deadline = std::chrono::steady_clock::now() + options.timeout;
    bool out_open = true, err_open = true;
    while (out_open || err_open) {
        std::vector<pollfd> p;
        if (out_open) p.push_back({out[0], POLLIN, 0});
        if (err_open) p.push_back({err[0], POLLIN, 0});
        if (in[1] >= 0) p.push_back({in[1], POLLOUT, 0});
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            ::kill(pid, SIGKILL);
            break;
        }
        if (::poll(p.data(), p.size(), static_cast<int>(left.count())) < 0 && errno != EINTR) break;
        for (auto& pf : p) {
            if (pf.revents == 0) continue;
            if (pf.fd == in[1]) {
                ssize_t n = ::write(in[1], input.data() + written, input.size() - written);
                if (n > 0) written += static_cast<std::size_t>(n);
                if (n < 0 || written == input.size()) {
                    ::close(in[1]);
                    in[1] = -1;
                }
                continue;
            }
            char buf[8192];
            ssize_t n = ::read(pf.fd, buf, sizeof buf);
            if (n <= 0) {
                (pf.fd == out[0] ? out_open : err_open) = false;
                continue;
            }
            (pf.fd == out[0] ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
        }
    }
    if (in[1] >= 0) ::close(in[1]);
    ::close(out[0]);
    ::close(err[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
    return r;
}

Process::Process(Process&& o) noexcept
    : pid_(o.pid_), log_path_(std::move(o.log_path_)), status_(o.status_) {
    o.pid_ = -1;
}

Process& Process::operator=(Process&& o) noexcept {
    if (this != &o) {
        if (pid_ > 0) stop();
        pid_ = o.pid_;
        log_path_ = std::move(o.log_path_);
        status_ = o.status_;
        o.pid_ = -1;
    }
    return *this;
}

Process::~Process() {
    if (pid_ > 0) stop();
}

Process Process::start(const std::vector<std::string>& argv, const std::string& log_path,
                       const std::vector<std::string>& env) {
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0) throw std::runtime_error("cannot open log " + log_path);
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        int devnull = ::open("/dev/null", O_RDONLY);
        ::dup2(devnull, 0);
        ::dup2(log, 1);
        ::dup2(log, 2);
        exec_child(argv, std::nullopt, env);
    }
    ::close(log);
    Process p;
    p.pid_ = pid;
    p.log_path_ = log_path;
    return p;
}

bool Process::running() {
    if (pid_ <= 0) return false;
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
        status_ = st;
        pid_ = -1;
        return false;
    }
    return true;
}

int Process::wait() {
    if (pid_ <= 0) return status_;
    ::waitpid(pid_, &status_, 0);
    pid_ = -1;
    return status_;
}

int Process::stop(std::chrono::milliseconds timeout) {
    if (!running()) return status_;
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!running()) return status_;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill9();
    return status_;
}

void Process::kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    wait();
}

std::string Process::log() const {
    std::ifstream f(log_path_);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

std::string as_user(const std::string& user, const std::function<std::string()>& fn) {
    int p[2];
    if (::pipe(p) != 0) throw std::runtime_error("pipe");
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(p[0]);
        passwd* pw = ::getpwnam(user.c_str());
        std::string out;
        if (pw == nullptr || ::initgroups(pw->pw_name, pw->pw_gid) != 0 ||
            ::setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
            ::setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
            out = "cannot-become-" + user;
        } else {
            try {
                out = fn();
            } catch (const std::exception& e) {
                out = std::string("exception: ") + e.what();
            }
        }
        (void)!::write(p[1], out.data(), out.size());
        _exit(0);
    }
    ::close(p[1]);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    ::close(p[0]);
    ::waitpid(pid, nullptr, 0);
    return out;
}

bool is_root() {
    return ::geteuid() == 0;
}

std::optional<std::string> missing_test_users() {
    if (!is_root()) return "needs root to switch to the test users (CI runs as root)";
    for (const char* u : {"closedpaw", "closedpaw-vault", "cptest-alice", "cptest-bob",
                          "cptest-mallory", "cptest-admin"}) {
        if (::getpwnam(u) == nullptr)
            return std::string("test user ") + u + " is missing: run scripts/setup-users as root";
    }
    return std::nullopt;
}

std::string source_root() {
    return CLOSEDPAW_SOURCE_ROOT;
}
std::string build_root() {
    return CLOSEDPAW_BUILD_ROOT;
}

namespace {

int remove_entry(const char* path, const struct stat*, int type, struct FTW*) {
    (type == FTW_DP ? ::rmdir(path) : ::unlink(path));
    return 0;  // keep going: remove what can be removed
}

// Every directory make_temp_dir created, removed when the test process exits, so a test that
// fails half-way (or forgets) leaves nothing in /tmp. Only the creating process removes them:
// forked children that call exit() must not delete their parent's scratch space.
// FTW_MOUNT keeps the walk on /tmp's filesystem: a mount left behind by a failed test is
// never descended into, so its contents are safe.
class TempDirs {
public:
    void add(std::string dir) {
        std::lock_guard lock(mu_);
        if (dirs_.empty()) owner_ = ::getpid();
        dirs_.push_back(std::move(dir));
    }
    ~TempDirs() {
        if (dirs_.empty() || ::getpid() != owner_ || std::getenv("CPTEST_KEEP_TEMP")) return;
        for (const auto& d : dirs_) {
            ::nftw(d.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
        }
    }

private:
    std::mutex mu_;
    pid_t owner_ = 0;
    std::vector<std::string> dirs_;
};

TempDirs& temp_dirs() {
    static TempDirs dirs;
    return dirs;
}

}  // namespace

std::string make_temp_dir(const std::string& tag) {
    std::string tmpl = "/tmp/cptest-" + tag + "-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    // Other test uids must be able to reach sockets inside.
    ::chmod(tmpl.c_str(), 0755);
    temp_dirs().add(tmpl);
    return tmpl;
}

void with_file_size_limit(std::uintmax_t limit, const std::function<void()>& fn) {
    struct sigaction ignore {}, old_action {};
    ignore.sa_handler = SIG_IGN;
    rlimit old_limit{};
    if (::sigaction(SIGXFSZ, &ignore, &old_action) != 0 || ::getrlimit(RLIMIT_FSIZE, &old_limit) != 0)
        throw std::runtime_error("with_file_size_limit: cannot save the limit");
    rlimit l = old_limit;
    l.rlim_cur = static_cast<rlim_t>(limit);
    if (::setrlimit(RLIMIT_FSIZE, &l) != 0) throw std::runtime_error("setrlimit RLIMIT_FSIZE");
    struct Restore {
        rlimit limit;
        struct sigaction action;
        ~Restore() {
            ::setrlimit(RLIMIT_FSIZE, &limit);
            ::sigaction(SIGXFSZ, &action, nullptr);
        }
    } restore{old_limit, old_action};
    fn();
}

bool eventually(const std::function<bool()>& fn, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (fn()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return fn();
}

}  // namespace cptest
