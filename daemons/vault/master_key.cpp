#include "master_key.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/paths.hpp"

namespace closedpaw::vault {

namespace {

Result<UniqueFd> open_key_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return Error::from_errno("cannot open master key " + path);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return Error::from_errno("stat " + path);
    if (!S_ISREG(st.st_mode)) return make_error(Errc::Config, path + " is not a regular file");
    if (st.st_uid != 0 && st.st_uid != ::geteuid())
        return make_error(Errc::AccessDenied,
                          path + " is owned by uid " + std::to_string(st.st_uid) +
                              "; the master key must be owned by root or the vault");
    if ((st.st_mode & 077) != 0)
        return make_error(Errc::AccessDenied,
                          path + " is readable or writable by group or others; chmod 600 it");
    return fd;
}

Result<void> create_key_file(const std::string& path) {
    SecureBytes key(kKeyBytes);
    randombytes_buf(key.data(), key.size());
    std::string_view bytes(reinterpret_cast<const char*>(key.data()), key.size());
    auto r = write_file_atomic(path, bytes, {.mode = 0600, .sync = true});
    if (!r) return std::move(r).error().prefix("cannot create the master key file");
    return {};
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

Result<bool> init_key_file(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        auto fd = open_key_file(path);  // checks owner and mode
        if (!fd) return std::move(fd).error();
        return false;
    }
    if (errno != ENOENT) return Error::from_errno("stat " + path);
    CP_TRY(create_key_file(path));
    return true;
}

Result<KeyMaterial> prepare_master_key(const VaultConfig& config) {
    KeyMaterial km;
    KeySource source = config.key_source;
    std::string cred_dir = credentials_directory();
    std::string cred_path = cred_dir.empty() ? "" : cred_dir + "/" + config.credential_name;

    if (source == KeySource::Auto) {
        struct stat st {};
        if (!cred_path.empty() && ::stat(cred_path.c_str(), &st) == 0)
            source = KeySource::Credential;
        else
            source = KeySource::KeyFile;
    }
    km.source = source;
    if (source == KeySource::Passphrase) return km;
    if (source == KeySource::Credential) {
        if (cred_path.empty())
            return make_error(Errc::Config,
                              "key_source = \"credential\" but systemd passed no credentials "
                              "(set LoadCredential=" +
                                  config.credential_name + ":... in the unit)");
        km.path = cred_path;
        // systemd makes credentials readable by the service user only; ownership is systemd's.
        UniqueFd fd(::open(cred_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        if (!fd) return Error::from_errno("cannot open credential " + cred_path);
        km.fd = std::move(fd);
    } else {
        km.path = config.key_file;
        struct stat st {};
        if (::lstat(km.path.c_str(), &st) != 0) {
            if (errno != ENOENT) return Error::from_errno("stat " + km.path);
            // A new key opens no existing store: making one would only turn a missing key into
            // a "wrong key", and tempt someone to delete the store to get going again.
            if (struct stat store {}; ::lstat(config.store_path().c_str(), &store) == 0)
                return make_error(Errc::Config,
                                  "the master key file " + km.path + " is missing, but the store " +
                                      config.store_path() +
                                      " exists and no new key could open it. Put the key file "
                                      "back (from your backup); only to start an empty vault, "
                                      "move the store aside");
            CP_TRY(create_key_file(km.path));
        }
        auto fd = open_key_file(km.path);
        if (!fd) return std::move(fd).error();
        km.fd = std::move(*fd);
    }
    auto check = read_master_key(km);
    if (!check) return std::move(check).error();
    return km;
}

Result<SecureBytes> read_master_key(const KeyMaterial& km) {
    if (!km.fd) return make_error(Errc::Locked, "this vault is keyed by a passphrase");
    SecureBytes buf(130);
    ssize_t n = ::pread(km.fd.get(), buf.data(), buf.size(), 0);
    if (n < 0) return Error::from_errno("read master key " + km.path);
    if (n == static_cast<ssize_t>(kKeyBytes)) {
        SecureBytes key(kKeyBytes);
        std::copy(buf.data(), buf.data() + kKeyBytes, key.data());
        return key;
    }
    std::size_t len = static_cast<std::size_t>(n);
    while (len > 0 && (buf.data()[len - 1] == '\n' || buf.data()[len - 1] == '\r')) --len;
    if (len == 2 * kKeyBytes) {
        SecureBytes key(kKeyBytes);
        for (std::size_t i = 0; i < kKeyBytes; ++i) {
            int hi = hex_value(static_cast<char>(buf.data()[2 * i]));
            int lo = hex_value(static_cast<char>(buf.data()[2 * i + 1]));
            if (hi < 0 || lo < 0)
                return make_error(Errc::Config, km.path + " is not 64 hex digits");
            key.data()[i] = static_cast<std::uint8_t>(hi * 16 + lo);
        }
        return key;
    }
    return make_error(Errc::Config, km.path + " must hold 32 raw bytes or 64 hex digits (it has " +
                                        std::to_string(n) + " bytes)");
}

}  // namespace closedpaw::vault
