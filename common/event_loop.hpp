// A small single-threaded event loop: the D-Bus connection, extra fds, timers, and the
// signals a daemon must handle (SIGTERM/SIGINT stop, SIGHUP reload). It also speaks to
// systemd: READY/STATUS/STOPPING notifications and watchdog pings from the loop itself, so a
// hung loop is noticed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "fd.hpp"

namespace sdbus {
class IConnection;
}

namespace closedpaw {

class EventLoop {
  public:
    using Clock = std::chrono::steady_clock;
    using TimerId = std::uint64_t;

    EventLoop();  // blocks SIGTERM, SIGINT, SIGHUP and SIGPIPE for the process
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    void attach_bus(sdbus::IConnection& bus);
    void watch_fd(int fd, short events, std::function<void(short revents)> handler);
    void unwatch_fd(int fd);
    TimerId add_timer(std::chrono::milliseconds delay, std::function<void()> fn,
                      bool repeat = false);
    void cancel_timer(TimerId id);
    void on_reload(std::function<void()> fn) { reload_ = std::move(fn); }
    // Runs each time the loop has drained its work and is about to sleep (and once at stop):
    // the place to flush buffered writes after replies went out.
    void on_idle(std::function<void()> fn) { idle_ = std::move(fn); }

    // Thread-safe: runs fn on the loop's thread soon (workers hand results back this way).
    void post(std::function<void()> fn);

    // Runs until stop() or a stop signal; returns 0.
    int run();
    void stop() { running_ = false; }

    static void notify_ready(const std::string& status);
    static void notify_status(const std::string& status);

  private:
    struct Timer {
        Clock::time_point due;
        std::chrono::milliseconds interval;
        bool repeat;
        std::function<void()> fn;
    };

    void handle_signal();
    void run_posted();
    void fire_timers();
    int poll_timeout_ms() const;

    UniqueFd signal_fd_;
    UniqueFd wake_fd_;  // eventfd written by post()
    std::mutex posted_mutex_;
    std::vector<std::function<void()>> posted_;
    sdbus::IConnection* bus_ = nullptr;
    std::map<int, std::pair<short, std::function<void(short)>>> fds_;
    std::map<TimerId, Timer> timers_;
    TimerId next_timer_ = 1;
    std::function<void()> reload_;
    std::function<void()> idle_;
    bool running_ = false;
};

}  // namespace closedpaw
