#include "db_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "common/fd.hpp"

namespace closedpaw::injection {

namespace {

constexpr std::string_view kMagic = "closedpaw-injection-db 1\n";
constexpr std::size_t kMaxCacheBytes = 256u << 20;

uint64_t fnv1a(std::string_view bytes) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

void put_u64(std::string& out, uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// Reads a little-endian u64 at pos; false if the data ends first.
bool get_u64(std::string_view in, std::size_t& pos, uint64_t& v) {
    if (in.size() - pos < 8) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) {
        v |= static_cast<uint64_t>(static_cast<unsigned char>(in[pos + i])) << (8 * i);
    }
    pos += 8;
    return true;
}

Error corrupt(const std::string& path, const char* why) {
    return make_error(Errc::Corrupt, "pattern database cache " + path + ": " + why);
}

}  // namespace

Result<std::string> read_db_cache(const std::string& path, std::string_view key) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!fd) {
        Error e = Error::from_errno("opening pattern database cache " + path);
        if (errno == ENOENT) e.code = Errc::NotFound;
        return e;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        return Error::from_errno("inspecting pattern database cache " + path);
    }
    if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        return make_error(Errc::AccessDenied,
                          "pattern database cache " + path +
                              " is not a regular file that only this user can write; ignored");
    }
    auto data = read_all(fd.get(), kMaxCacheBytes);
    if (!data) return std::move(data).error();
    const std::string_view in = data.value();
    if (in.substr(0, kMagic.size()) != kMagic) return corrupt(path, "not a cache file");
    std::size_t pos = kMagic.size();
    uint64_t key_len = 0;
    if (!get_u64(in, pos, key_len) || key_len > in.size() - pos) {
        return corrupt(path, "truncated");
    }
    if (in.substr(pos, key_len) != key) return corrupt(path, "built from another pattern set");
    pos += key_len;
    uint64_t db_len = 0;
    if (!get_u64(in, pos, db_len) || db_len > in.size() - pos) return corrupt(path, "truncated");
    const std::string_view db = in.substr(pos, db_len);
    pos += db_len;
    uint64_t sum = 0;
    if (!get_u64(in, pos, sum) || pos != in.size()) return corrupt(path, "truncated or padded");
    if (sum != fnv1a(db)) return corrupt(path, "checksum mismatch");
    return std::string(db);
}

Result<void> write_db_cache(const std::string& path, std::string_view key, std::string_view db) {
    std::string out;
    out.reserve(kMagic.size() + key.size() + db.size() + 24);
    out.append(kMagic);
    put_u64(out, key.size());
    out.append(key);
    put_u64(out, db.size());
    out.append(db);
    put_u64(out, fnv1a(db));
    // A cache is rebuilt if lost: no need to wait for the disk.
    return write_file_atomic(path, out, AtomicWriteOptions{0600, false});
}

}  // namespace closedpaw::injection
