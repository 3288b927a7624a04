#include "event_loop.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <sdbus-c++/IConnection.h>
#include <csignal>
#include <ctime>
#include <limits>
#include <stdexcept>

namespace closedpaw {

EventLoop::EventLoop() {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    signal_fd_.reset(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!signal_fd_) throw std::runtime_error("signalfd failed");
    wake_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake_fd_) throw std::runtime_error("eventfd failed");

    // Watchdog: ping at half the interval systemd asked for, from the loop itself.
    uint64_t usec = 0;
    if (sd_watchdog_enabled(/* unset_environment= */ 0, &usec) > 0 && usec > 0) {
        add_timer(
            std::chrono::milliseconds(usec / 2000), [] { sd_notify(0, "WATCHDOG=1"); },
            /* repeat= */ true);
    }
}

void EventLoop::attach_bus(sdbus::IConnection& bus) {
    bus_ = &bus;
}

void EventLoop::watch_fd(int fd, short events, std::function<void(short)> handler) {
    fds_[fd] = {events, std::move(handler)};
}

void EventLoop::unwatch_fd(int fd) {
    fds_.erase(fd);
}

EventLoop::TimerId EventLoop::add_timer(std::chrono::milliseconds delay, std::function<void()> fn,
                                        bool repeat) {
    TimerId id = next_timer_++;
    timers_[id] = Timer{Clock::now() + delay, delay, repeat, std::move(fn)};
    return id;
}

void EventLoop::cancel_timer(TimerId id) {
    timers_.erase(id);
}

void EventLoop::notify_ready(const std::string& status) {
    sd_notify(0, ("READY=1\nSTATUS=" + status).c_str());
}

void EventLoop::notify_status(const std::string& status) {
    sd_notify(0, ("STATUS=" + status).c_str());
}

void EventLoop::post(std::function<void()> fn) {
    {
        std::lock_guard lock(posted_mutex_);
        posted_.push_back(std::move(fn));
    }
    std::uint64_t one = 1;
    (void)!::write(wake_fd_.get(), &one, sizeof one);
}

void EventLoop::run_posted() {
    std::uint64_t n = 0;
    (void)!::read(wake_fd_.get(), &n, sizeof n);
    std::vector<std::function<void()>> work;
    {
        std::lock_guard lock(posted_mutex_);
        work.swap(posted_);
    }
    for (auto& fn : work) fn();
}

void EventLoop::handle_signal() {
    signalfd_siginfo info{};
    while (::read(signal_fd_.get(), &info, sizeof info) == sizeof info) {
        if (info.ssi_signo == SIGHUP) {
            if (reload_) reload_();
        } else {
            running_ = false;
        }
    }
}

void EventLoop::fire_timers() {
    auto now = Clock::now();
    std::vector<TimerId> due;
    for (auto& [id, t] : timers_)
        if (t.due <= now) due.push_back(id);
    for (auto id : due) {
        auto it = timers_.find(id);
        if (it == timers_.end()) continue;
        auto fn = it->second.fn;  // copy: the callback may cancel or add timers
        if (it->second.repeat)
            it->second.due = now + it->second.interval;
        else
            timers_.erase(it);
        fn();
    }
}

int EventLoop::poll_timeout_ms() const {
    auto now = Clock::now();
    long best = -1;
    for (const auto& [id, t] : timers_) {
        long ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.due - now).count();
        if (ms < 0) ms = 0;
        if (best < 0 || ms < best) best = ms;
    }
    return static_cast<int>(best);
}

int EventLoop::run() {
    running_ = true;
    while (running_) {
        if (bus_ != nullptr) {
            // Drain everything sd-bus already has before sleeping.
            while (bus_->processPendingRequest()) {
                if (!running_) break;
            }
        }
        if (idle_) idle_();
        if (!running_) break;
        std::vector<pollfd> pfds;
        pfds.push_back({signal_fd_.get(), POLLIN, 0});
        pfds.push_back({wake_fd_.get(), POLLIN, 0});
        int timeout = poll_timeout_ms();
        if (bus_ != nullptr) {
            auto pd = bus_->getEventLoopPollData();
            pfds.push_back({pd.fd, pd.events, 0});
            if (pd.timeout_usec != std::numeric_limits<uint64_t>::max()) {
                timespec ts{};
                clock_gettime(CLOCK_MONOTONIC, &ts);
                uint64_t now = static_cast<uint64_t>(ts.tv_sec) * 1000000u +
                               static_cast<uint64_t>(ts.tv_nsec) / 1000u;
                int bus_ms = pd.timeout_usec > now
                                 ? static_cast<int>((pd.timeout_usec - now + 999) / 1000)
                                 : 0;
                if (timeout < 0 || bus_ms < timeout) timeout = bus_ms;
            }
        }
        std::size_t first_extra = pfds.size();
        for (const auto& [fd, h] : fds_) pfds.push_back({fd, h.first, 0});

        int rc = ::poll(pfds.data(), pfds.size(), timeout);
        if (rc < 0 && errno != EINTR) return 1;
        if (pfds[0].revents != 0) handle_signal();
        if (pfds[1].revents != 0) run_posted();
        fire_timers();
        for (std::size_t i = first_extra; i < pfds.size(); ++i) {
            if (pfds[i].revents == 0) continue;
            auto it = fds_.find(pfds[i].fd);
            if (it == fds_.end()) continue;
            auto handler = it->second.second;  // copy: the handler may unwatch itself
            handler(pfds[i].revents);
        }
    }
    if (idle_) idle_();
    sd_notify(0, "STOPPING=1");
    return 0;
}

}  // namespace closedpaw
