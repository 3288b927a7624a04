// A hostile skill for the broker's attack tests. It speaks the skill protocol (one JSON
// request on stdin, one OperationResult on stdout) and each operation tries to break out of
// the sandbox, reporting exactly what happened (errno names) so the tests can assert that
// every attempt failed, and why. Statically linked: the bundle holds nothing else.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

using nlohmann::json;

namespace {

std::string errname(int e) {
    switch (e) {
        case EPERM:
            return "EPERM";
        case EACCES:
            return "EACCES";
        case ENOENT:
            return "ENOENT";
        case EROFS:
            return "EROFS";
        case EAGAIN:
            return "EAGAIN";
        case ENOMEM:
            return "ENOMEM";
        case ENETUNREACH:
            return "ENETUNREACH";
        case ECONNREFUSED:
            return "ECONNREFUSED";
        case EINVAL:
            return "EINVAL";
        case ETXTBSY:
            return "ETXTBSY";
        case ENOSYS:
            return "ENOSYS";
        case EBADF:
            return "EBADF";
        case EISDIR:
            return "EISDIR";
        case ETIMEDOUT:
            return "ETIMEDOUT";
        case EHOSTUNREACH:
            return "EHOSTUNREACH";
        case EADDRNOTAVAIL:
            return "EADDRNOTAVAIL";
        default:
            return "errno " + std::to_string(e);
    }
}

// "ok" or the errno name of a failed call.
std::string outcome(long rc) {
    return rc >= 0 ? "ok" : errname(errno);
}

json try_read(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {{"path", path}, {"result", errname(errno)}};
    char buf[256];
    ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    return {{"path", path},
            {"result", n >= 0 ? "read" : errname(errno)},
            {"content", n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : ""}};
}

json try_write(const std::string& path, int flags) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
    if (fd < 0) return {{"path", path}, {"result", errname(errno)}};
    ssize_t n = ::write(fd, "x", 1);
    int e = errno;
    ::close(fd);
    return {{"path", path}, {"result", n == 1 ? "written" : errname(e)}};
}

json op_read_files(const json& p) {
    json out = json::array();
    for (const auto& path : p.value("paths", json::array())) out.push_back(try_read(path));
    return out;
}

json op_write_root() {
    json out = json::array();
    out.push_back(try_write("/pwned", O_WRONLY | O_CREAT));
    out.push_back(try_write("/attacker", O_WRONLY));
    out.push_back(try_write("/skill.toml", O_WRONLY | O_TRUNC));
    out.push_back({{"path", "mkdir /newdir"}, {"result", outcome(::mkdir("/newdir", 0755))}});
    out.push_back({{"path", "unlink /attacker"}, {"result", outcome(::unlink("/attacker"))}});
    out.push_back(try_write("/workspace/not-allowed", O_WRONLY | O_CREAT));  // writes = false
    out.push_back(try_write("/tmp/scratch", O_WRONLY | O_CREAT));            // control: tmpfs works
    return out;
}

json op_write_exe() {
    json out = json::array();
    for (const char* p : {"/proc/1/exe", "/proc/self/exe", "/usr/bin/runsc", "/usr/sbin/runsc",
                          "/proc/1/root/attacker"})
        out.push_back(try_write(p, O_WRONLY));
    return out;
}

json op_connect(const json& p) {
    json out;
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    out["socket"] = outcome(fd);
    if (fd >= 0) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(p.value("port", 0)));
        ::inet_pton(AF_INET, p.value("host", std::string("127.0.0.1")).c_str(), &a.sin_addr);
        int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        out["connect"] = outcome(rc);
        if (rc == 0) {
            char buf[64] = {};
            ssize_t n = ::read(fd, buf, sizeof buf - 1);
            out["banner"] = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
        }
        ::close(fd);
    }
    return out;
}

json op_processes() {
    json pids = json::array();
    DIR* d = ::opendir("/proc");
    if (d == nullptr) return {{"error", errname(errno)}};
    while (auto* e = ::readdir(d)) {
        char* end = nullptr;
        long pid = std::strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0') continue;
        json entry{{"pid", pid}};
        auto comm = try_read("/proc/" + std::to_string(pid) + "/comm");
        entry["comm"] = comm.value("content", "");
        pids.push_back(entry);
    }
    ::closedir(d);
    return {{"self", ::getpid()}, {"pids", pids}};
}

json op_fds() {
    json fds = json::array();
    DIR* d = ::opendir("/proc/self/fd");
    if (d == nullptr) return {{"error", errname(errno)}};
    int self = ::dirfd(d);
    while (auto* e = ::readdir(d)) {
        char* end = nullptr;
        long fd = std::strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0' || fd == self) continue;
        char target[512] = {};
        ssize_t n =
            ::readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), target, sizeof target - 1);
        fds.push_back({{"fd", fd}, {"target", n > 0 ? std::string(target) : ""}});
    }
    ::closedir(d);
    // Also probe descriptors directly, in case /proc hides one.
    json open_beyond_stdio = json::array();
    for (int fd = 3; fd < 1024; ++fd)
        if (fd != self && ::fcntl(fd, F_GETFD) >= 0) open_beyond_stdio.push_back(fd);
    return {{"fds", fds}, {"fcntl_open", open_beyond_stdio}};
}

json op_forkbomb(const json& p) {
    int want = p.value("n", 1000);
    int made = 0;
    std::string first_error;
    for (int i = 0; i < want; ++i) {
        pid_t pid = ::fork();
        if (pid == 0) {
            ::pause();
            ::_exit(0);
        }
        if (pid < 0) {
            first_error = errname(errno);
            break;
        }
        ++made;
    }
    return {{"forked", made}, {"error", first_error}};
}

json op_memory(const json& p) {
    std::size_t want = p.value("mb", std::size_t{1024});
    std::size_t got = 0;
    std::string error;
    std::vector<char*> keep;
    for (; got < want; ++got) {
        char* block = static_cast<char*>(std::malloc(1 << 20));
        if (block == nullptr) {
            error = "ENOMEM";
            break;
        }
        std::memset(block, 0x5a, 1 << 20);  // touch it: really use the memory
        keep.push_back(block);
    }
    return {{"allocated_mb", got}, {"error", error}};
}

// Many processes, each under its own RLIMIT_AS, together past the sandbox's cgroup limit.
json op_memory_children(const json& p) {
    int n = p.value("children", 8);
    std::size_t mb = p.value("mb", std::size_t{40});
    int started = 0;
    for (int i = 0; i < n; ++i) {
        pid_t pid = ::fork();
        if (pid == 0) {
            std::vector<char*> keep;
            for (std::size_t k = 0; k < mb; ++k) {
                char* block = static_cast<char*>(std::malloc(1 << 20));
                if (block == nullptr) break;
                std::memset(block, 0x5a, 1 << 20);
                keep.push_back(block);
            }
            ::pause();
            ::_exit(0);
        }
        if (pid > 0) ++started;
    }
    ::sleep(static_cast<unsigned>(p.value("hold_s", 3)));
    return {{"children", started}, {"survived", true}};
}

json op_syscalls() {
    json out;
    errno = 0;
    out["personality"] = outcome(::personality(0xffffffff));
    errno = 0;
    out["ptrace_traceme"] = outcome(::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr));
    char* argv[] = {const_cast<char*>("/attacker"), nullptr};
    errno = 0;
    out["execve"] = outcome(::execve("/attacker", argv, nullptr));
    out["setuid0"] = outcome(::setuid(0));
    out["uid"] = ::getuid();
    return out;
}

json op_write_workspace(const json& p) {
    std::string path = "/workspace/" + p.value("name", std::string("out.txt"));
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return {{"result", errname(errno)}};
    std::string content = p.value("content", std::string());
    ssize_t n = ::write(fd, content.data(), content.size());
    ::close(fd);
    return {{"result", n == static_cast<ssize_t>(content.size()) ? "written" : errname(errno)}};
}

}  // namespace

int main() {
    std::string input;
    char buf[65536];
    for (ssize_t n; (n = ::read(0, buf, sizeof buf)) > 0;)
        input.append(buf, static_cast<std::size_t>(n));
    json req = json::parse(input, nullptr, false);
    if (req.is_discarded()) {
        std::cout << R"({"success":false,"data":null,"error":"bad request","path":null})";
        return 1;
    }
    const std::string op = req.value("operation", "");
    const json params = req.value("params", json::object());
    json data;
    if (op == "echo") {
        data = {{"params", params},
                {"settings", req.value("settings", json::object())},
                {"argv1_is_workspace", true}};
    } else if (op == "read_files") {
        data = op_read_files(params);
    } else if (op == "write_root") {
        data = op_write_root();
    } else if (op == "write_exe") {
        data = op_write_exe();
    } else if (op == "connect") {
        data = op_connect(params);
    } else if (op == "processes") {
        data = op_processes();
    } else if (op == "fds") {
        data = op_fds();
    } else if (op == "forkbomb") {
        data = op_forkbomb(params);
    } else if (op == "memory") {
        data = op_memory(params);
    } else if (op == "memory_children") {
        data = op_memory_children(params);
    } else if (op == "syscalls") {
        data = op_syscalls();
    } else if (op == "write_workspace") {
        data = op_write_workspace(params);
    } else if (op == "sleep") {
        std::this_thread::sleep_for(std::chrono::milliseconds(params.value("ms", 60000)));
        data = "woke";
    } else if (op == "spin") {
        volatile unsigned long x = 0;
        for (;;) x = x + 1;
    } else if (op == "flood") {
        std::string chunk(65536, 'A');
        for (int i = 0; i < params.value("chunks", 64); ++i) std::cout << chunk;
        return 0;
    } else if (op == "big_reply") {
        data = std::string(params.value("bytes", 900000), 'b');  // a valid, large reply
    } else if (op == "garbage") {
        std::cout << "this is { not json";
        return 0;
    } else if (op == "deep") {
        std::cout << std::string(100000, '[') << std::string(100000, ']');
        return 0;
    } else if (op == "exit_code") {
        std::cerr << "exiting as asked\n";
        return params.value("code", 3);
    } else {
        std::cout << json{
            {"success", false},
            {"data", nullptr},
            {"error", "unknown op"},
            {"path",
             nullptr}}.dump();
        return 2;
    }
    std::cout << json{{"success", true},
                      {"data", data},
                      {"error", nullptr},
                      {"path", nullptr},
                      {"audit", {{"operation", op}}}}
                     .dump();
    return 0;
}
