#include "result.hpp"

#include <cstring>

namespace closedpaw {

const char* errc_name(Errc code) noexcept {
    switch (code) {
        case Errc::Failed:
            return "Failed";
        case Errc::InvalidArgument:
            return "InvalidArgument";
        case Errc::NotFound:
            return "NotFound";
        case Errc::AlreadyExists:
            return "AlreadyExists";
        case Errc::AccessDenied:
            return "AccessDenied";
        case Errc::Locked:
            return "Locked";
        case Errc::BadPassphrase:
            return "BadPassphrase";
        case Errc::LimitExceeded:
            return "LimitExceeded";
        case Errc::Corrupt:
            return "Corrupt";
        case Errc::Io:
            return "Io";
        case Errc::Config:
            return "Config";
        case Errc::Unavailable:
            return "Unavailable";
        case Errc::RateLimited:
            return "RateLimited";
        case Errc::Busy:
            return "Busy";
        case Errc::Timeout:
            return "Timeout";
        case Errc::Protocol:
            return "Protocol";
    }
    return "Failed";
}

Error Error::from_errno(std::string what, int err) {
    Errc code = Errc::Io;
    if (err == EACCES || err == EPERM) code = Errc::AccessDenied;
    if (err == ENOENT) code = Errc::NotFound;
    if (err == EEXIST) code = Errc::AlreadyExists;
    return Error{code, std::move(what) + ": " + std::strerror(err), err};
}

}  // namespace closedpaw
