#include "skill_main.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <iostream>

namespace closedpaw::skill {

namespace {

// stdio may arrive non-blocking (runsc sets O_NONBLOCK on the descriptors it is given), so
// EAGAIN means "wait", not "fail".
bool wait_for(int fd, short events) {
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, -1) >= 0 || errno == EINTR;
}

Result<std::string> read_request(int fd, std::size_t max_bytes) {
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_for(fd, POLLIN)) continue;
            return Error::from_errno("cannot read the request from stdin");
        }
        if (n == 0) return out;
        if (out.size() + static_cast<std::size_t>(n) > max_bytes)
            return make_error(Errc::LimitExceeded,
                              "request is larger than " + std::to_string(max_bytes) + " bytes");
        out.append(buf, static_cast<std::size_t>(n));
    }
}

Result<void> write_result(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_for(fd, POLLOUT)) continue;
            return Error::from_errno("cannot write the result to stdout");
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

}  // namespace

OperationResult dispatch(const Request& request, std::span<const Operation> operations,
                         const Context& context) {
    for (const auto& op : operations) {
        if (op.name != request.operation) continue;
        auto result = op.handler(request, context);
        result.audit.operation = request.operation;
        return result;
    }
    std::string known;
    for (const auto& op : operations) known += (known.empty() ? "" : ", ") + std::string(op.name);
    auto result = OperationResult::refused(make_error(
        Errc::InvalidArgument,
        "unknown operation '" + request.operation + "' (this skill offers: " + known + ")"));
    result.audit.operation = request.operation;
    return result;
}

OperationResult handle_request_text(std::string_view text, std::span<const Operation> operations,
                                    const Context& context) {
    auto request = parse_request(text);
    if (!request) return OperationResult::refused(request.error());
    return dispatch(*request, operations, context);
}

int run_skill(int argc, char** argv, std::span<const Operation> operations, SkillOptions options) {
    try {
        Context context;
        if (argc > 2 || (options.needs_workspace && argc != 2)) {
            std::cerr << (argc > 0 ? argv[0] : "skill")
                      << ": usage: " << (argc > 0 ? argv[0] : "skill")
                      << (options.needs_workspace ? " WORKSPACE" : " [WORKSPACE]")
                      << " < request.json\n";
            return kExitUsage;
        }
        if (argc == 2) context.workspace = argv[1];

        OperationResult result;
        auto text = read_request(STDIN_FILENO, kMaxRequestBytes);
        if (!text)
            result = OperationResult::refused(text.error());
        else
            result = handle_request_text(*text, operations, context);

        auto out = result.serialize();
        if (out.size() + 1 > kMaxReplyBytes) {
            const auto audit = result.audit;
            result = OperationResult::refused(make_error(
                Errc::LimitExceeded,
                "the reply would be " + std::to_string(out.size() + 1) +
                    " bytes; a skill returns at most " + std::to_string(kMaxReplyBytes) +
                    " (JSON escapes quotes, backslashes and control characters, and binary is "
                    "base64): ask for less"));
            result.audit.operation = audit.operation;
            result.audit.path = audit.path;
            out = result.serialize();
        }
        out += '\n';
        if (auto w = write_result(STDOUT_FILENO, out); !w) {
            std::cerr << w.error().message << "\n";
            return kExitInternalError;
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "internal error: " << e.what() << "\n";
        return kExitInternalError;
    }
}

}  // namespace closedpaw::skill
