#include "audit_log.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <sstream>

#include "action.hpp"
#include "common/log.hpp"

namespace closedpaw::front {

namespace {

constexpr std::size_t kMaxLogBytes = 1ull << 30;
constexpr std::size_t kRedactLength = 256;

std::string utc_time(std::uint64_t usec) {
    std::time_t t = static_cast<std::time_t>(usec / 1000000);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%06uZ", buf, static_cast<unsigned>(usec % 1000000));
    return out;
}

struct Chain {
    std::vector<nlohmann::json> entries;
    std::string error;  // empty when the chain verifies
    std::uint64_t last_seq = 0;
    std::string last_hash = kGenesisHash;
    std::size_t good_bytes = 0;  // length of the verified prefix
    bool torn_tail = false;      // the file ends in a partial line (a crash mid-write)
};

Chain read_chain(const std::string& path, bool keep_entries) {
    Chain c;
    auto text = read_file(path, kMaxLogBytes);
    if (!text) {
        if (text.error().code != Errc::NotFound) c.error = text.error().message;
        return c;
    }
    std::size_t pos = 0;
    while (pos < text->size()) {
        auto nl = text->find('\n', pos);
        if (nl == std::string::npos) {
            c.torn_tail = true;
            break;
        }
        std::string line = text->substr(pos, nl - pos);
        auto j = nlohmann::json::parse(line, nullptr, false);
        std::uint64_t expected = c.last_seq + 1;
        if (!j.is_object() || !j.contains("hash") || !j.contains("prev") || !j.contains("seq") ||
            !j["hash"].is_string() || !j["prev"].is_string() || !j["seq"].is_number_unsigned()) {
            c.error =
                "entry after seq " + std::to_string(c.last_seq) + " is not a valid audit entry";
            return c;
        }
        if (j["seq"].get<std::uint64_t>() != expected) {
            c.error = "seq " + std::to_string(j["seq"].get<std::uint64_t>()) + " where " +
                      std::to_string(expected) +
                      " was expected (an entry was removed or reordered)";
            return c;
        }
        if (j["prev"].get<std::string>() != c.last_hash) {
            c.error =
                "entry " + std::to_string(expected) + " does not chain to the entry before it";
            return c;
        }
        std::string hash = j["hash"].get<std::string>();
        nlohmann::json body = j;
        body.erase("hash");
        if (audit_hash(c.last_hash, body) != hash) {
            c.error = "entry " + std::to_string(expected) +
                      " was altered (its hash does not match its content)";
            return c;
        }
        c.last_seq = expected;
        c.last_hash = hash;
        c.good_bytes = nl + 1;
        if (keep_entries) c.entries.push_back(std::move(j));
        pos = nl + 1;
    }
    return c;
}

struct Head {
    std::uint64_t seq = 0;
    std::string hash = kGenesisHash;
    bool present = false;
};

Result<Head> read_head(const std::string& path) {
    auto text = read_file(path, 4096);
    if (!text) {
        if (text.error().code == Errc::NotFound) return Head{};
        return std::move(text).error();
    }
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_object() || !j.contains("seq") || !j.contains("hash"))
        return make_error(Errc::Corrupt, path + " is not an audit head");
    try {
        return Head{j["seq"].get<std::uint64_t>(), j["hash"].get<std::string>(), true};
    } catch (const nlohmann::json::exception&) {
        return make_error(Errc::Corrupt, path + " is not an audit head");
    }
}

// The chain against the head: fewer entries than the head names means truncation. One
// committed-but-unheaded batch (a crash between fdatasync and the head update) is accepted
// when the head's entry is in the chain with the head's hash.
std::string check_head(const Chain& c, const Head& h, const std::string& log_path) {
    if (!h.present) return c.last_seq == 0 ? "" : "the head file is missing";
    if (c.last_seq < h.seq)
        return "the log ends at seq " + std::to_string(c.last_seq) + " but the head records seq " +
               std::to_string(h.seq) + ": entries were truncated from " + log_path;
    if (c.last_seq == h.seq && c.last_hash != h.hash)
        return "the last entry differs from the recorded head";
    return "";
}

bool secret_key(const std::string& k) {
    std::string l(k);
    std::transform(l.begin(), l.end(), l.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    for (const char* s : {"key", "token", "secret", "password", "passphrase", "credential",
                          "authorization", "cookie", "content", "data"})
        if (l.find(s) != std::string::npos) return true;
    return false;
}

}  // namespace

std::string audit_hash(const std::string& prev, const nlohmann::json& entry_without_hash) {
    std::string text =
        prev + "\n" +
        entry_without_hash.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    unsigned char out[32];
    crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(text.data()),
                       text.size(), nullptr, 0);
    std::string hex(64, '0');
    sodium_bin2hex(hex.data(), hex.size() + 1, out, sizeof out);
    return hex;
}

nlohmann::json AuditLog::redact(const nlohmann::json& v, int depth) {
    if (depth > 4) return "[nested]";
    if (v.is_object()) {
        auto out = nlohmann::json::object();
        for (auto it = v.begin(); it != v.end(); ++it) {
            if (secret_key(it.key())) {
                std::size_t len =
                    it->is_string() ? it->get_ref<const std::string&>().size() : it->dump().size();
                out[it.key()] = "[redacted, " + std::to_string(len) + " bytes]";
            } else {
                out[it.key()] = redact(*it, depth + 1);
            }
        }
        return out;
    }
    if (v.is_array()) {
        auto out = nlohmann::json::array();
        for (std::size_t i = 0; i < v.size() && i < 16; ++i) out.push_back(redact(v[i], depth + 1));
        if (v.size() > 16) out.push_back("[" + std::to_string(v.size() - 16) + " more]");
        return out;
    }
    if (v.is_string() && v.get_ref<const std::string&>().size() > kRedactLength)
        return v.get_ref<const std::string&>().substr(0, kRedactLength) + "…[" +
               std::to_string(v.get_ref<const std::string&>().size()) + " bytes]";
    return v;
}

nlohmann::json AuditLog::shape(const nlohmann::json& v, int depth) {
    if (depth > 4) return "[nested]";
    if (v.is_object()) {
        auto out = nlohmann::json::object();
        for (auto it = v.begin(); it != v.end(); ++it) out[it.key()] = shape(*it, depth + 1);
        return out;
    }
    if (v.is_array()) return "[array of " + std::to_string(v.size()) + "]";
    if (v.is_string())
        return "[" + std::to_string(v.get_ref<const std::string&>().size()) + " bytes]";
    return v;
}

Result<AuditLog> AuditLog::open(const std::string& dir) {
    AuditLog log;
    log.log_path_ = dir + "/audit.log";
    log.head_path_ = dir + "/audit.head";
    auto chain = read_chain(log.log_path_, false);
    auto head = read_head(log.head_path_);
    if (!head)
        log.broken_ = head.error().message;
    else if (!chain.error.empty())
        log.broken_ = chain.error;
    else
        log.broken_ = check_head(chain, *head, log.log_path_);

    UniqueFd fd(::open(log.log_path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return Error::from_errno("cannot open " + log.log_path_);
    if (log.broken_.empty()) {
        // A torn last line was never acknowledged (its batch never reached fdatasync+head): drop
        // it.
        if (chain.torn_tail && ::ftruncate(fd.get(), static_cast<off_t>(chain.good_bytes)) != 0)
            return Error::from_errno("truncate torn audit tail");
        if (::lseek(fd.get(), 0, SEEK_END) < 0) return Error::from_errno("seek " + log.log_path_);
        log.seq_ = chain.last_seq;
        log.head_hash_ = chain.last_hash;
        if (!head->present || head->seq != chain.last_seq) {
            nlohmann::json h = {{"seq", log.seq_}, {"hash", log.head_hash_}};
            CP_TRY(write_file_atomic(log.head_path_, h.dump() + "\n"));
        }
    }
    log.fd_ = std::move(fd);
    return log;
}

Result<std::uint64_t> AuditLog::append(const AuditEvent& e) {
    if (!broken_.empty())
        return make_error(Errc::Corrupt,
                          "the audit log does not verify (" + broken_ +
                              "); no action can proceed. Move audit.log and audit.head aside "
                              "(keep them as evidence) and restart closedpawd");
    std::uint64_t seq = seq_ + queue_.size() + 1;
    const std::string& prev = queued_entries_.empty()
                                  ? head_hash_
                                  : queued_entries_.back()["hash"].get_ref<const std::string&>();
    nlohmann::json entry = {{"seq", seq},
                            {"time", utc_time(now_usec())},
                            {"action", e.action_id},
                            {"type", e.type},
                            {"skill", e.skill},
                            {"operation", e.operation},
                            {"event", e.event},
                            {"status", e.status},
                            {"level", e.level},
                            {"outcome", e.outcome},
                            {"principal", {{"uid", e.uid}, {"channel_user", e.channel_user}}},
                            {"details", e.details},
                            {"prev", prev}};
    entry["hash"] = audit_hash(prev, entry);
    queue_.push_back(entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    queued_entries_.push_back(std::move(entry));
    return seq;
}

Result<void> AuditLog::commit() {
    if (queue_.empty()) return {};
    std::string batch;
    for (auto& l : queue_) batch += l;
    // Where the log ends now: a failed write (a full disk) is cut back to here, so the log stays
    // the chain it was and the next batch can be written once there is room again.
    struct stat st {};
    const bool sized = ::fstat(fd_.get(), &st) == 0;
    auto fail = [&](Error e) -> Result<void> {
        queue_.clear();
        queued_entries_.clear();
        if (!sized || ::ftruncate(fd_.get(), st.st_size) != 0 || ::fdatasync(fd_.get()) != 0)
            broken_ = "an audit write failed and could not be undone: " + e.message;
        return e;
    };
    if (auto w = write_all(fd_.get(), batch); !w) return fail(std::move(w).error());
    if (::fdatasync(fd_.get()) != 0) return fail(Error::from_errno("fdatasync " + log_path_));
    seq_ += queue_.size();
    head_hash_ = queued_entries_.back()["hash"].get<std::string>();
    queue_.clear();
    queued_entries_.clear();
    // The head is written after the entries are durable and is replaced atomically, so it never
    // names entries the log lacks. It needs no fsync of its own: after a power loss it may lag
    // behind the log, which verification accepts (the chain itself vouches for the extra
    // entries); what it must catch, a log shorter than its head, stays caught.
    // The entries are durable: a head that could not be replaced only lags, which verification
    // accepts, and is replaced with the next batch.
    nlohmann::json h = {{"seq", seq_}, {"hash", head_hash_}};
    if (auto w = write_file_atomic(head_path_, h.dump() + "\n", {.mode = 0600, .sync = false}); !w)
        log::warning("audit.head could not be replaced (" + w.error().message +
                     "); it lags behind the log until the next write");
    return {};
}

std::vector<nlohmann::json> AuditLog::read(std::uint64_t after_seq, std::uint32_t limit) const {
    auto chain = read_chain(log_path_, true);
    std::vector<nlohmann::json> out;
    for (auto& e : chain.entries) {
        if (e["seq"].get<std::uint64_t>() <= after_seq) continue;
        if (out.size() >= limit) break;
        out.push_back(std::move(e));
    }
    return out;
}

AuditVerification AuditLog::verify() const {
    auto chain = read_chain(log_path_, false);
    AuditVerification v;
    v.entries = chain.last_seq;
    if (!chain.error.empty()) {
        v.detail = chain.error;
        return v;
    }
    auto head = read_head(head_path_);
    if (!head) {
        v.detail = head.error().message;
        return v;
    }
    if (chain.torn_tail && chain.last_seq >= head->seq) {
        // Only the unacknowledged tail is partial; the verified part is intact.
    } else if (chain.torn_tail) {
        v.detail = "the log ends in a partial entry before the recorded head";
        return v;
    }
    v.detail = check_head(chain, *head, log_path_);
    v.ok = v.detail.empty();
    if (v.ok)
        v.detail = std::to_string(chain.last_seq) + " entries, chain intact, head " +
                   chain.last_hash.substr(0, 16);
    return v;
}

}  // namespace closedpaw::front
