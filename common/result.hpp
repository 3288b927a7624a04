// Result<T>: a value or an Error. Library code in common/ returns these and never logs;
// the daemon's top layer decides what to log and what to tell the caller.
#pragma once

#include <cerrno>
#include <ostream>
#include <string>
#include <utility>
#include <variant>

namespace closedpaw {

// Stable error codes. They map one-to-one onto D-Bus error names
// org.closedpaw.Error.<Code> and onto closedpawctl exit codes, so never renumber.
enum class Errc {
    Failed = 1,
    InvalidArgument,
    NotFound,
    AlreadyExists,
    AccessDenied,
    Locked,
    BadPassphrase,
    LimitExceeded,
    Corrupt,
    Io,
    Config,
    Unavailable,
    RateLimited,
    Busy,
    Timeout,
    Protocol,
};

const char* errc_name(Errc code) noexcept;
inline std::ostream& operator<<(std::ostream& os, Errc code) {
    return os << errc_name(code);
}

struct Error {
    Errc code = Errc::Failed;
    std::string message;  // a sentence a person can act on
    int sys_errno = 0;    // the errno behind it, if any

    // "what: strerror(errno)" with the errno kept.
    static Error from_errno(std::string what, int err = errno);
    Error& prefix(const std::string& context) {
        message = context + ": " + message;
        return *this;
    }
};

template <typename T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const& { return std::get<1>(v_); }
    Error&& error() && { return std::get<1>(std::move(v_)); }

  private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : err_(std::move(error)), failed_(true) {}  // NOLINT

    bool ok() const noexcept { return !failed_; }
    explicit operator bool() const noexcept { return ok(); }
    const Error& error() const& { return err_; }
    Error&& error() && { return std::move(err_); }

  private:
    Error err_;
    bool failed_ = false;
};

inline Error make_error(Errc code, std::string message) {
    return Error{code, std::move(message), 0};
}

}  // namespace closedpaw

// Propagate an error from an expression returning Result<...>.
#define CP_TRY(expr)                                         \
    do {                                                     \
        auto&& cp_try_r_ = (expr);                           \
        if (!cp_try_r_) return std::move(cp_try_r_).error(); \
    } while (0)
