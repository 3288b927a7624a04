// The launcher (zygote): a small process forked from the broker before the broker confines
// itself. It alone keeps the capabilities runsc needs and a seccomp-free syscall surface
// (runsc and the gVisor sentry need far more syscalls than the broker), and it executes
// nothing but argv vectors built by a RuntimeBackend from fixed, validated requests:
//   run     {runtime, container id, bundle} + stdin/stdout/stderr fds (SCM_RIGHTS)
//   control {runtime, delete|list, container id}
//   kill    {tag}   SIGKILL to a run started by this launcher
// Each request has a tag; the launcher answers with events (started, exited with wait status,
// rusage and captured output, or failed). It exits, killing its children, when the broker's
// end of the socket closes.
#pragma once

#include <sys/capability.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/fd.hpp"
#include "common/result.hpp"
#include "protocol.hpp"
#include "runtime.hpp"

namespace closedpaw::broker {

enum class ControlOp { Delete, List };

struct LaunchEvent {
    enum class Kind { Started, Exited, Failed };
    std::uint64_t tag = 0;
    Kind kind = Kind::Failed;
    pid_t pid = 0;
    int wait_status = 0;
    Resources usage;
    std::string output;   // stdout of a control command (list), capped
    std::string message;  // for Failed
};

class Launcher {
  public:
    Launcher() = default;
    Launcher(Launcher&& o) noexcept : sock_(std::move(o.sock_)), pid_(std::exchange(o.pid_, -1)) {}
    Launcher& operator=(Launcher&&) = delete;
    ~Launcher();

    // Forks the launcher. It drops every capability but keep_caps (bounding set too) and
    // serves until the returned object closes its socket.
    static Result<Launcher> start(const std::map<std::string, const RuntimeBackend*>& backends,
                                  const std::string& bundle_root,
                                  const std::vector<cap_value_t>& keep_caps);

    Result<void> run(std::uint64_t tag, const std::string& runtime, const std::string& container_id,
                     const std::string& bundle, int stdin_fd, int stdout_fd, int stderr_fd);
    Result<void> control(std::uint64_t tag, const std::string& runtime, ControlOp op,
                         const std::string& container_id);
    Result<void> kill(std::uint64_t tag);

    // Reads one event; call when fd() is readable. Fails when the launcher died.
    Result<LaunchEvent> read_event();
    // Blocks until tag's Exited or Failed event (other events are returned through deferred).
    Result<LaunchEvent> wait_for(std::uint64_t tag, int timeout_ms,
                                 std::vector<LaunchEvent>* deferred);

    int fd() const { return sock_.get(); }
    pid_t pid() const { return pid_; }

  private:
    UniqueFd sock_;
    pid_t pid_ = -1;
};

// Exposed for tests: the request validation the launcher applies.
bool launcher_bundle_ok(const std::string& bundle_root, const std::string& container_id,
                        const std::string& bundle);

}  // namespace closedpaw::broker
