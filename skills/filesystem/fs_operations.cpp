#include "fs_operations.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "encoding.hpp"
#include "params.hpp"

namespace closedpaw::fs_skill {

namespace {

using skill::OperationResult;

// Params are bounded by the request cap; the resolver gives the precise path errors.
constexpr std::size_t kMaxPathParamBytes = 64 * 1024;
constexpr mode_t kFileMode = 0644;
constexpr mode_t kDirMode = 0755;

const char* file_type(mode_t mode) {
    if (S_ISREG(mode)) return "file";
    if (S_ISDIR(mode)) return "directory";
    if (S_ISLNK(mode)) return "symlink";
    if (S_ISFIFO(mode)) return "fifo";
    if (S_ISSOCK(mode)) return "socket";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "device";
    return "special file";
}

// Files the skill touches must be plain files with one name: a hardlink planted in the
// workspace may share its inode with a file outside it.
Result<void> check_plain_file(const struct stat& st) {
    if (S_ISDIR(st.st_mode))
        return make_error(Errc::InvalidArgument, "the path is a directory, not a file");
    if (!S_ISREG(st.st_mode))
        return make_error(Errc::AccessDenied, std::string("the path is a ") +
                                                  file_type(st.st_mode) + ", not a regular file");
    if (st.st_nlink > 1)
        return make_error(Errc::AccessDenied,
                          "the file has other hard links (it may be shared with a file outside "
                          "the workspace) and is refused");
    return {};
}

// A file made read-only, or one that belongs to another user, is kept as it is: the skill
// replaces or removes only a file its own user could write in place. (Renaming over a file and
// unlinking it need only the directory's permission, which would ignore the file's own.)
Result<void> check_changeable(const struct stat& st) {
    const uid_t me = ::geteuid();
    if (st.st_uid != me)
        return make_error(Errc::AccessDenied, "the file belongs to uid " +
                                                  std::to_string(st.st_uid) + ", not to uid " +
                                                  std::to_string(me) + " the skill runs as; "
                                                  "it is left as it is");
    if ((st.st_mode & S_IWUSR) == 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return make_error(Errc::AccessDenied, std::string("the file is read-only (mode ") + mode +
                                                  "); it is left as it is");
    }
    return {};
}

// Path param plus the name rules; returns the path.
Result<std::string> checked_path(const skill::Fields& p, const FsSettings& settings, bool is_file,
                                 bool allow_root = false) {
    std::string path;
    if (allow_root) {
        auto given = p.optional_string("path", kMaxPathParamBytes);
        if (!given) return std::move(given).error();
        path = given->value_or("");
    } else {
        auto required = p.require_string("path", kMaxPathParamBytes);
        if (!required) return std::move(required).error();
        path = std::move(*required);
    }
    auto parts = split_workspace_path(path, allow_root);
    if (!parts) return std::move(parts).error();
    CP_TRY(check_components(*parts, settings));
    if (is_file) CP_TRY(check_file_name(parts->back(), settings));
    return path;
}

// The path as the caller gave it, for the result of a refusal (when it was a string).
std::optional<std::string> given_path(const nlohmann::json& params) {
    auto it = params.find("path");
    if (it == params.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
}

Result<std::string> temp_name() {
    unsigned char bytes[8];
    if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes))
        return Error::from_errno("getrandom");
    static const char* hex = "0123456789abcdef";
    std::string name = ".cp-write-";
    for (auto b : bytes) {
        name += hex[b >> 4];
        name += hex[b & 0xf];
    }
    return name + ".tmp";
}

// Writes data to a fresh temp file in dir, then renames it over name: readers see the old
// content or the new, never a torn file, and a crash leaves at most a stray dotfile.
// The new file gets mode (the replaced file's permissions, or kFileMode for a new one).
Result<void> replace_atomically(int dir, const std::string& name, std::string_view data,
                                mode_t mode) {
    auto tmp = temp_name();
    if (!tmp) return std::move(tmp).error();
    UniqueFd fd(::openat(dir, tmp->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                         0600));
    if (!fd) return Error::from_errno("cannot create a temporary file");
    auto fail = [&](Error e) -> Result<void> {
        ::unlinkat(dir, tmp->c_str(), 0);
        return e;
    };
    if (::fchmod(fd.get(), mode) != 0) return fail(Error::from_errno("fchmod"));
    if (auto w = write_all(fd.get(), data); !w) return fail(std::move(w).error());
    if (::fsync(fd.get()) != 0) return fail(Error::from_errno("fsync"));
    fd.reset();
    if (::renameat(dir, tmp->c_str(), dir, name.c_str()) != 0) {
        int err = errno;
        if (err == EISDIR)
            return fail(make_error(Errc::InvalidArgument, "the path is a directory, not a file"));
        return fail(Error::from_errno("cannot rename the temporary file into place", err));
    }
    if (::fsync(dir) != 0) return Error::from_errno("fsync of the directory");
    return {};
}

}  // namespace

Result<FilesystemSkill> FilesystemSkill::open(const std::string& workspace,
                                              const nlohmann::json& settings,
                                              ResolveStrategy strategy) {
    auto s = FsSettings::from_json(settings);
    if (!s) return std::move(s).error();
    if (workspace.empty()) return make_error(Errc::InvalidArgument, "no workspace was given");
    auto r = Resolver::open_workspace(workspace, strategy);
    if (!r) return std::move(r).error();
    return FilesystemSkill(std::move(*r), std::move(*s));
}

OperationResult FilesystemSkill::read(const nlohmann::json& params) const {
    skill::Fields p(params, "params");
    if (auto k = p.only_keys({"path"}); !k) return OperationResult::refused(k.error());
    auto path = checked_path(p, settings_, /* is_file= */ true);
    if (!path) return OperationResult::refused(path.error(), given_path(params));

    // The path is resolved to a handle that opens nothing (O_PATH) and its type checked first:
    // opening a device or a fifo is itself an action (a tape rewinds, a watchdog arms). The
    // handle's own inode is then opened for reading through /proc/self/fd, so no rename in
    // between can swap in something else.
    auto handle = resolver_.open(*path, O_PATH);
    if (!handle) return OperationResult::refused(handle.error(), *path);
    struct stat st {};
    if (::fstat(handle->get(), &st) != 0)
        return OperationResult::refused(Error::from_errno("cannot stat the file"), *path);
    if (auto ok = check_plain_file(st); !ok) return OperationResult::refused(ok.error(), *path);
    const std::string self = "/proc/self/fd/" + std::to_string(handle->get());
    UniqueFd fd(::open(self.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!fd) return OperationResult::refused(Error::from_errno("cannot open the file"), *path);
    if (struct stat again {}; ::fstat(fd.get(), &again) != 0 || again.st_dev != st.st_dev ||
                              again.st_ino != st.st_ino)
        return OperationResult::refused(
            make_error(Errc::AccessDenied, "the file changed while it was opened"), *path);
    if (static_cast<std::uint64_t>(st.st_size) > settings_.max_read_bytes)
        return OperationResult::refused(
            make_error(Errc::LimitExceeded, "the file is " + std::to_string(st.st_size) +
                                                " bytes; reads are limited to " +
                                                std::to_string(settings_.max_read_bytes)),
            *path);
    // The size was checked above; the cap holds even if the file grows meanwhile.
    auto content = read_all(fd.get(), settings_.max_read_bytes);
    if (!content) {
        auto e = std::move(content).error();
        if (e.code == Errc::LimitExceeded)
            e.message = "the file grew past the read limit of " +
                        std::to_string(settings_.max_read_bytes) + " bytes";
        return OperationResult::refused(e, *path);
    }

    auto size = content->size();
    // Anything but plain text travels as base64, which bounds the reply at 4/3 of the file
    // (a JSON string of control characters would be six times its size).
    bool text = skill::is_plain_text(*content);
    nlohmann::json data = {
        {"content", text ? std::move(*content) : skill::base64_encode(*content)},
        {"encoding", text ? "utf-8" : "base64"},
        {"size", size},
    };
    return OperationResult::ok(std::move(data), *path, size);
}

OperationResult FilesystemSkill::list(const nlohmann::json& params) const {
    skill::Fields p(params, "params");
    if (auto k = p.only_keys({"path"}); !k) return OperationResult::refused(k.error());
    auto path = checked_path(p, settings_, /* is_file= */ false, /* allow_root= */ true);
    if (!path) return OperationResult::refused(path.error(), given_path(params));

    auto fd = resolver_.open_directory(*path);
    if (!fd) return OperationResult::refused(fd.error(), *path);
    DIR* dir = ::fdopendir(fd->get());
    if (dir == nullptr)
        return OperationResult::refused(Error::from_errno("cannot list the directory"), *path);
    fd->release();  // owned by dir now

    auto entries = nlohmann::json::array();
    bool truncated = false;
    while (auto* e = ::readdir(dir)) {
        std::string_view name = e->d_name;
        if (name == "." || name == "..") continue;
        if (name.front() == '.' && !settings_.allow_dotfiles) continue;
        if (entries.size() >= settings_.max_list_entries) {
            truncated = true;
            break;
        }
        struct stat st {};
        if (::fstatat(::dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone
        nlohmann::json entry = {{"name", name}, {"type", file_type(st.st_mode)}};
        if (S_ISREG(st.st_mode)) entry["size"] = st.st_size;
        entries.push_back(std::move(entry));
    }
    ::closedir(dir);
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
        return a["name"].template get_ref<const std::string&>() <
               b["name"].template get_ref<const std::string&>();
    });
    auto count = entries.size();
    auto result = OperationResult::ok({{"entries", std::move(entries)}, {"truncated", truncated}},
                                      path->empty() ? "." : *path);
    result.audit.extra["entries"] = count;
    return result;
}

OperationResult FilesystemSkill::write(const nlohmann::json& params) const {
    skill::Fields p(params, "params");
    if (auto k = p.only_keys({"path", "content", "encoding"}); !k)
        return OperationResult::refused(k.error());
    auto path = checked_path(p, settings_, /* is_file= */ true);
    if (!path) return OperationResult::refused(path.error(), given_path(params));
    auto encoding = p.optional_string("encoding", 16);
    if (!encoding) return OperationResult::refused(encoding.error(), *path);
    auto enc = encoding->value_or("utf-8");
    if (enc != "utf-8" && enc != "base64")
        return OperationResult::refused(p.error("encoding", "must be \"utf-8\" or \"base64\""),
                                        *path);
    auto text = p.require_string("content", skill::kMaxRequestBytes);
    if (!text) return OperationResult::refused(text.error(), *path);
    std::string content;
    if (enc == "base64") {
        auto decoded = skill::base64_decode(*text);
        if (!decoded) return OperationResult::refused(decoded.error(), *path);
        content = std::move(*decoded);
    } else {
        content = std::move(*text);  // JSON strings are UTF-8 already
    }
    if (content.size() > settings_.max_write_bytes)
        return OperationResult::refused(
            make_error(Errc::LimitExceeded, "the content is " + std::to_string(content.size()) +
                                                " bytes; writes are limited to " +
                                                std::to_string(settings_.max_write_bytes)),
            *path);

    auto parent = resolver_.open_parent(*path);
    if (!parent) return OperationResult::refused(parent.error(), *path);
    struct stat st {};
    bool created =
        ::fstatat(parent->dir.get(), parent->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0;
    if (created && errno != ENOENT)
        return OperationResult::refused(Error::from_errno("cannot stat the target"), *path);
    if (!created) {
        if (auto ok = check_plain_file(st); !ok) return OperationResult::refused(ok.error(), *path);
        if (auto ok = check_changeable(st); !ok) return OperationResult::refused(ok.error(), *path);
    }
    // An overwritten file keeps its permissions (a 0600 file stays private); no set-id bits.
    const mode_t mode = created ? kFileMode : (st.st_mode & 0777);
    if (auto w = replace_atomically(parent->dir.get(), parent->name, content, mode); !w)
        return OperationResult::refused(w.error(), *path);
    return OperationResult::ok({{"size", content.size()}, {"created", created}}, *path,
                               content.size());
}

OperationResult FilesystemSkill::remove(const nlohmann::json& params) const {
    skill::Fields p(params, "params");
    if (auto k = p.only_keys({"path"}); !k) return OperationResult::refused(k.error());
    // The name rules come after the type check, so deleting a directory says so plainly.
    auto path = checked_path(p, settings_, /* is_file= */ false);
    if (!path) return OperationResult::refused(path.error(), given_path(params));

    auto parent = resolver_.open_parent(*path);
    if (!parent) return OperationResult::refused(parent.error(), *path);
    struct stat st {};
    if (::fstatat(parent->dir.get(), parent->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        return OperationResult::refused(Error::from_errno("cannot delete the file"), *path);
    if (S_ISDIR(st.st_mode))
        return OperationResult::refused(
            make_error(Errc::InvalidArgument, "the path is a directory; delete removes files only"),
            *path);
    if (auto ok = check_file_name(parent->name, settings_); !ok)
        return OperationResult::refused(ok.error(), *path);
    if (auto ok = check_plain_file(st); !ok) return OperationResult::refused(ok.error(), *path);
    if (auto ok = check_changeable(st); !ok) return OperationResult::refused(ok.error(), *path);
    // Whatever a racer swaps in meanwhile, unlinkat removes a name in this directory only,
    // and never a directory (no AT_REMOVEDIR).
    if (::unlinkat(parent->dir.get(), parent->name.c_str(), 0) != 0)
        return OperationResult::refused(Error::from_errno("cannot delete the file"), *path);
    if (::fsync(parent->dir.get()) != 0)
        return OperationResult::refused(Error::from_errno("fsync of the directory"), *path);
    return OperationResult::ok({{"deleted", true}}, *path, static_cast<std::uint64_t>(st.st_size));
}

OperationResult FilesystemSkill::create_dir(const nlohmann::json& params) const {
    skill::Fields p(params, "params");
    if (auto k = p.only_keys({"path"}); !k) return OperationResult::refused(k.error());
    auto path = checked_path(p, settings_, /* is_file= */ false);
    if (!path) return OperationResult::refused(path.error(), given_path(params));

    auto parent = resolver_.open_parent(*path);
    if (!parent) return OperationResult::refused(parent.error(), *path);
    if (::mkdirat(parent->dir.get(), parent->name.c_str(), kDirMode) == 0) {
        if (::fsync(parent->dir.get()) != 0)
            return OperationResult::refused(Error::from_errno("fsync of the directory"), *path);
        return OperationResult::ok({{"created", true}}, *path);
    }
    int err = errno;
    struct stat st {};
    if (err == EEXIST &&
        ::fstatat(parent->dir.get(), parent->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISDIR(st.st_mode))
        return OperationResult::ok({{"created", false}}, *path);
    if (err == EEXIST)
        return OperationResult::refused(
            make_error(Errc::AlreadyExists, "the path exists and is not a directory"), *path);
    return OperationResult::refused(Error::from_errno("cannot create the directory", err), *path);
}

std::vector<skill::Operation> filesystem_operations(ResolveStrategy strategy) {
    using Method = skill::OperationResult (FilesystemSkill::*)(const nlohmann::json&) const;
    auto op = [strategy](std::string_view name, Method method) {
        return skill::Operation{
            name, [strategy, method](const skill::Request& req, const skill::Context& ctx) {
                auto fs = FilesystemSkill::open(ctx.workspace, req.settings, strategy);
                if (!fs) return skill::OperationResult::refused(fs.error());
                auto result = ((*fs).*method)(req.params);
                result.audit.extra["resolver"] = resolve_strategy_name(fs->resolver().strategy());
                return result;
            }};
    };
    return {op("read", &FilesystemSkill::read), op("list", &FilesystemSkill::list),
            op("write", &FilesystemSkill::write), op("delete", &FilesystemSkill::remove),
            op("create_dir", &FilesystemSkill::create_dir)};
}

}  // namespace closedpaw::fs_skill
