#include "rate_limiter.hpp"

#include <algorithm>

namespace closedpaw::front {

void TokenBucket::refill(Clock::time_point now) {
    double dt = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + dt * rate_);
    last_ = now;
}

bool TokenBucket::would_allow(Clock::time_point now) {
    refill(now);
    return tokens_ >= 1.0;
}

bool TokenBucket::full(Clock::time_point now) {
    refill(now);
    return tokens_ >= burst_;
}

RateLimiter::RateLimiter(double per_uid_per_minute, double per_uid_burst, double global_per_minute,
                         double global_burst)
    : uid_rate_(per_uid_per_minute / 60.0),
      uid_burst_(per_uid_burst),
      global_(global_per_minute / 60.0, global_burst) {}

RateLimiter::Verdict RateLimiter::check(uid_t uid) {
    auto now = TokenBucket::Clock::now();
    // Bounded memory: buckets that refilled completely carry no state worth keeping.
    if (per_uid_.size() > 4096) {
        for (auto it = per_uid_.begin(); it != per_uid_.end();)
            it = it->second.full(now) ? per_uid_.erase(it) : std::next(it);
    }
    auto& mine = per_uid_.try_emplace(uid, uid_rate_, uid_burst_).first->second;
    if (!mine.would_allow(now)) return Verdict::UidLimited;
    if (!global_.would_allow(now)) return Verdict::GlobalLimited;
    mine.take();
    global_.take();
    return Verdict::Allowed;
}

}  // namespace closedpaw::front
