#include "launcher.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "common/privdrop.hpp"

namespace closedpaw::broker {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxLauncherMessage = 96 * 1024;
constexpr std::size_t kMaxControlOutput = 64 * 1024;
constexpr int kMaxPassedFds = 3;

Result<void> send_with_fds(int sock, const std::string& text, const std::vector<int>& fds) {
    iovec iov{const_cast<char*>(text.data()), text.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)] = {};
    if (!fds.empty()) {
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        if (c == nullptr) return make_error(Errc::Failed, "no room for SCM_RIGHTS");
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    ssize_t n;
    do n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0) return Error::from_errno("launcher sendmsg");
    return {};
}

// Receives one message; fds arrive close-on-exec and owned by the caller.
Result<std::optional<std::string>> recv_with_fds(int sock, std::vector<UniqueFd>& fds) {
    std::string buf(kMaxLauncherMessage, '\0');
    iovec iov{buf.data(), buf.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)] = {};
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0) return Error::from_errno("launcher recvmsg");
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            fds.emplace_back(fd);
        }
    }
    if (n == 0) return std::optional<std::string>{};
    if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0)
        return make_error(Errc::Protocol, "launcher message truncated");
    buf.resize(static_cast<std::size_t>(n));
    return std::optional<std::string>{std::move(buf)};
}

// ---- the launcher process -------------------------------------------------------------

struct Child {
    std::uint64_t tag = 0;
    bool is_run = false;
    UniqueFd output;  // control commands: their stdout
    std::string captured;
};

class LauncherProcess {
  public:
    LauncherProcess(int sock, std::map<std::string, const RuntimeBackend*> backends,
                    std::string bundle_root)
        : sock_(sock), backends_(std::move(backends)), bundle_root_(std::move(bundle_root)) {}

    [[noreturn]] void serve() {
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, nullptr);
        UniqueFd sigfd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
        for (;;) {
            std::vector<pollfd> pfds{{sock_, POLLIN, 0}, {sigfd.get(), POLLIN, 0}};
            std::vector<pid_t> order;
            for (auto& [pid, c] : children_) {
                if (c.output) {
                    pfds.push_back({c.output.get(), POLLIN, 0});
                    order.push_back(pid);
                }
            }
            if (::poll(pfds.data(), pfds.size(), -1) < 0 && errno != EINTR) shutdown(1);
            for (std::size_t i = 2; i < pfds.size(); ++i) {
                if (pfds[i].revents != 0) drain_output(children_[order[i - 2]]);
            }
            if (pfds[1].revents != 0) {
                signalfd_siginfo info;
                while (::read(sigfd.get(), &info, sizeof info) == sizeof info) {
                }
                reap();
            }
            if (pfds[0].revents != 0) handle_request();
        }
    }

  private:
    [[noreturn]] void shutdown(int code) {
        for (auto& [pid, c] : children_) ::kill(pid, SIGKILL);
        ::_exit(code);
    }

    void emit(const json& event) {
        if (!send_with_fds(sock_, event.dump(-1, ' ', false, json::error_handler_t::replace), {}))
            shutdown(1);
    }
    void fail(std::uint64_t tag, const std::string& why) {
        emit({{"tag", tag}, {"event", "failed"}, {"message", why}});
    }

    static void drain_output(Child& c) {
        char buf[8192];
        ssize_t n = ::read(c.output.get(), buf, sizeof buf);
        if (n <= 0) {
            c.output.reset();
            return;
        }
        if (c.captured.size() < kMaxControlOutput)
            c.captured.append(buf, std::min<std::size_t>(static_cast<std::size_t>(n),
                                                         kMaxControlOutput - c.captured.size()));
    }

    void reap() {
        for (;;) {
            int status = 0;
            rusage ru{};
            pid_t pid = ::wait4(-1, &status, WNOHANG, &ru);
            if (pid <= 0) return;
            auto it = children_.find(pid);
            if (it == children_.end()) continue;
            Child& c = it->second;
            while (c.output) drain_output(c);
            auto ms = [](const timeval& tv) {
                return static_cast<std::uint64_t>(tv.tv_sec) * 1000 +
                       static_cast<std::uint64_t>(tv.tv_usec) / 1000;
            };
            emit({{"tag", c.tag},
                  {"event", "exited"},
                  {"pid", pid},
                  {"status", status},
                  {"cpu_user_ms", ms(ru.ru_utime)},
                  {"cpu_system_ms", ms(ru.ru_stime)},
                  {"max_rss_kb", ru.ru_maxrss},
                  {"output", c.captured}});
            children_.erase(it);
        }
    }

    // Forks and execs argv with the given stdio; returns the child's pid.
    Result<pid_t> spawn(const std::vector<std::string>& argv, int in, int out, int err) {
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        char env_path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
        char* envp[] = {env_path, nullptr};
        pid_t pid = ::fork();
        if (pid < 0) return Error::from_errno("fork");
        if (pid == 0) {
            // Only async-signal-safe calls from here on.
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, nullptr);
            ::signal(SIGPIPE, SIG_DFL);  // an ignored signal would stay ignored across exec
            // If the launcher dies (the broker crashed), the runtime goes with it; runsc's
            // attached sandbox then dies with runsc, and start-up deletes what is left.
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(126);
            // Every fd we own is O_CLOEXEC; stdio is the only thing the runtime inherits.
            ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
            ::execve(args[0], args.data(), envp);
            ::_exit(127);
        }
        return pid;
    }

    const RuntimeBackend* backend(const json& req) {
        auto name = req.value("runtime", std::string());
        auto it = backends_.find(name);
        return it == backends_.end() ? nullptr : it->second;
    }

    void handle_request() {
        std::vector<UniqueFd> fds;
        auto msg = recv_with_fds(sock_, fds);
        if (!msg || !*msg) shutdown(0);  // the broker is gone
        json req = json::parse(**msg, nullptr, false);
        if (!req.is_object() || !req.contains("tag") || !req["tag"].is_number_unsigned()) return;
        std::uint64_t tag = req["tag"].get<std::uint64_t>();
        std::string op = req.value("op", std::string());
        std::string id = req.value("container", std::string());

        if (op == "kill") {
            for (auto& [pid, c] : children_)
                if (c.tag == tag && c.is_run) ::kill(pid, SIGKILL);
            return;
        }
        const RuntimeBackend* rt = backend(req);
        if (rt == nullptr) return fail(tag, "unknown runtime");
        if (op == "run") {
            std::string bundle = req.value("bundle", std::string());
            if (fds.size() != 3) return fail(tag, "run needs exactly three stdio fds");
            if (!valid_container_id(id) || !launcher_bundle_ok(bundle_root_, id, bundle))
                return fail(tag, "refused: container id or bundle path not the broker's");
            auto pid = spawn(rt->run_argv(id, bundle), fds[0].get(), fds[1].get(), fds[2].get());
            if (!pid) return fail(tag, pid.error().message);
            children_[*pid] = Child{tag, true, {}, {}};
            emit({{"tag", tag}, {"event", "started"}, {"pid", *pid}});
            return;
        }
        if (op == "delete" || op == "list") {
            if (op == "delete" && !valid_container_id(id))
                return fail(tag, "refused: not a container id of the broker");
            int p[2];
            if (::pipe2(p, O_CLOEXEC) != 0) return fail(tag, "pipe failed");
            UniqueFd rd(p[0]), wr(p[1]);
            UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
            auto argv = op == "delete" ? rt->delete_argv(id) : rt->list_argv();
            auto pid = spawn(argv, null.get(), wr.get(), null.get());
            if (!pid) return fail(tag, pid.error().message);
            children_[*pid] = Child{tag, false, std::move(rd), {}};
            emit({{"tag", tag}, {"event", "started"}, {"pid", *pid}});
            return;
        }
        fail(tag, "unknown launcher operation");
    }

    int sock_;
    std::map<std::string, const RuntimeBackend*> backends_;
    std::string bundle_root_;
    std::map<pid_t, Child> children_;
};

}  // namespace

bool launcher_bundle_ok(const std::string& bundle_root, const std::string& container_id,
                        const std::string& bundle) {
    return bundle == bundle_root + "/" + container_id;
}

Launcher::~Launcher() {
    sock_.reset();  // the launcher exits on EOF, killing its children
    if (pid_ > 0) {
        int status;
        ::waitpid(pid_, &status, 0);
    }
}

Result<Launcher> Launcher::start(const std::map<std::string, const RuntimeBackend*>& backends,
                                 const std::string& bundle_root,
                                 const std::vector<cap_value_t>& keep_caps) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return Error::from_errno("socketpair");
    UniqueFd ours(sv[0]), theirs(sv[1]);
    pid_t pid = ::fork();
    if (pid < 0) return Error::from_errno("fork launcher");
    if (pid == 0) {
        ours.reset();
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::prctl(PR_SET_NAME, "cp-launcher");
        // Nothing of the broker's but stdio and our socket stays open here.
        ::close_range(3, static_cast<unsigned>(theirs.get()) - 1, 0);
        ::close_range(static_cast<unsigned>(theirs.get()) + 1, ~0U, 0);
        auto dropped = drop_privileges(DropSpec{0, 0, {}, keep_caps});
        if (!dropped) {
            dprintf(2, "closedpaw-brokerd launcher: %s\n", dropped.error().message.c_str());
            ::_exit(1);
        }
        LauncherProcess(theirs.release(), backends, bundle_root).serve();
    }
    Launcher l;
    l.sock_ = std::move(ours);
    l.pid_ = pid;
    return l;
}

Result<void> Launcher::run(std::uint64_t tag, const std::string& runtime,
                           const std::string& container_id, const std::string& bundle, int stdin_fd,
                           int stdout_fd, int stderr_fd) {
    json req{{"tag", tag},
             {"op", "run"},
             {"runtime", runtime},
             {"container", container_id},
             {"bundle", bundle}};
    return send_with_fds(sock_.get(), req.dump(), {stdin_fd, stdout_fd, stderr_fd});
}

Result<void> Launcher::control(std::uint64_t tag, const std::string& runtime, ControlOp op,
                               const std::string& container_id) {
    json req{{"tag", tag},
             {"op", op == ControlOp::Delete ? "delete" : "list"},
             {"runtime", runtime},
             {"container", container_id}};
    return send_with_fds(sock_.get(), req.dump(), {});
}

Result<void> Launcher::kill(std::uint64_t tag) {
    return send_with_fds(sock_.get(), json{{"tag", tag}, {"op", "kill"}}.dump(), {});
}

Result<LaunchEvent> Launcher::read_event() {
    std::vector<UniqueFd> fds;
    auto msg = recv_with_fds(sock_.get(), fds);
    if (!msg) return std::move(msg).error();
    if (!*msg) return make_error(Errc::Unavailable, "the sandbox launcher exited");
    json j = json::parse(**msg, nullptr, false);
    if (!j.is_object()) return make_error(Errc::Protocol, "launcher sent malformed event");
    LaunchEvent e;
    e.tag = j.value("tag", std::uint64_t{0});
    std::string kind = j.value("event", std::string());
    e.pid = j.value("pid", 0);
    if (kind == "started") {
        e.kind = LaunchEvent::Kind::Started;
    } else if (kind == "exited") {
        e.kind = LaunchEvent::Kind::Exited;
        e.wait_status = j.value("status", 0);
        e.usage.cpu_user_ms = j.value("cpu_user_ms", std::uint64_t{0});
        e.usage.cpu_system_ms = j.value("cpu_system_ms", std::uint64_t{0});
        e.usage.max_rss_kb = j.value("max_rss_kb", std::uint64_t{0});
        e.output = j.value("output", std::string());
    } else {
        e.kind = LaunchEvent::Kind::Failed;
        e.message = j.value("message", std::string("launcher failure"));
    }
    return e;
}

Result<LaunchEvent> Launcher::wait_for(std::uint64_t tag, int timeout_ms,
                                       std::vector<LaunchEvent>* deferred) {
    for (;;) {
        pollfd p{sock_.get(), POLLIN, 0};
        int rc = ::poll(&p, 1, timeout_ms);
        if (rc < 0 && errno == EINTR) continue;
        if (rc <= 0) {
            (void)kill(tag);
            return make_error(Errc::Timeout, "the runtime did not finish in time");
        }
        auto e = read_event();
        if (!e) return e;
        if (e->tag == tag && e->kind != LaunchEvent::Kind::Started) return e;
        if (e->tag != tag && deferred != nullptr) deferred->push_back(std::move(*e));
    }
}

}  // namespace closedpaw::broker
