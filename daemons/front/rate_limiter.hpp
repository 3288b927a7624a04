// Token buckets: one per caller uid and one for everyone. A request takes one token from both.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <unordered_map>

namespace closedpaw::front {

class TokenBucket {
  public:
    using Clock = std::chrono::steady_clock;
    TokenBucket(double per_second, double burst)
        : rate_(per_second), burst_(burst), tokens_(burst), last_(Clock::now()) {}
    bool would_allow(Clock::time_point now);
    void take() { tokens_ -= 1.0; }
    bool full(Clock::time_point now);

  private:
    void refill(Clock::time_point now);
    double rate_, burst_, tokens_;
    Clock::time_point last_;
};

class RateLimiter {
  public:
    RateLimiter(double per_uid_per_minute, double per_uid_burst, double global_per_minute,
                double global_burst);
    enum class Verdict { Allowed, UidLimited, GlobalLimited };
    Verdict check(uid_t uid);

  private:
    double uid_rate_, uid_burst_;
    TokenBucket global_;
    std::unordered_map<uid_t, TokenBucket> per_uid_;
};

}  // namespace closedpaw::front
