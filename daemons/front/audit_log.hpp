// The audit log (DESIGN.md §5): append-only JSON lines, each with seq, UTC time, action, type,
// skill, principal, event, status, outcome, redacted details, prev and hash, where
// hash = BLAKE2b-256(prev || canonical entry without hash). The head (last seq and hash) is
// also kept in a separate file, so truncation is detected. Entries are queued and made durable
// together (group commit): write, fdatasync, then the head, atomically.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/fd.hpp"
#include "common/result.hpp"

namespace closedpaw::front {

struct AuditEvent {
    std::string action_id;
    std::string type;
    std::string skill;
    std::string operation;
    std::string event;   // submitted, approved, rejected, expired, executing, completed, failed,
                         // refused, ...
    std::string status;  // the action's status after the event
    std::string level;
    std::string outcome;  // short human-readable result
    uid_t uid = 0;        // who caused the event
    std::string channel_user;
    nlohmann::json details = nlohmann::json::object();  // already redacted by the caller
};

struct AuditVerification {
    bool ok = false;
    std::uint64_t entries = 0;
    std::string detail;
};

class AuditLog {
  public:
    // Opens (or creates) dir/audit.log and dir/audit.head. A log whose chain does not verify is
    // opened read-only: appends fail, so actions fail closed until an admin moves it aside.
    static Result<AuditLog> open(const std::string& dir);

    // Queues an entry; it is durable after the next commit(). Returns its seq.
    Result<std::uint64_t> append(const AuditEvent& event);
    // Writes queued entries, fdatasyncs, and replaces the head file. On failure the queued
    // entries are dropped and the log refuses further appends.
    Result<void> commit();
    bool has_uncommitted() const { return !queue_.empty(); }

    std::vector<nlohmann::json> read(std::uint64_t after_seq, std::uint32_t limit) const;
    // Re-reads the files and recomputes the whole chain.
    AuditVerification verify() const;
    std::uint64_t last_seq() const { return seq_; }
    const std::string& broken() const { return broken_; }

    // Text redaction used for details: secrets-looking keys are replaced, long strings cut.
    static nlohmann::json redact(const nlohmann::json& value, int depth = 0);
    // Keys and sizes only: for text that must not be repeated (a flagged injection).
    static nlohmann::json shape(const nlohmann::json& value, int depth = 0);

  private:
    std::string log_path_, head_path_;
    UniqueFd fd_;
    std::uint64_t seq_ = 0;
    std::string head_hash_;
    std::vector<std::string> queue_;  // serialized lines
    std::vector<nlohmann::json> queued_entries_;
    std::string broken_;  // non-empty: why appends are refused
};

std::string audit_hash(const std::string& prev, const nlohmann::json& entry_without_hash);
inline const std::string kGenesisHash(64, '0');

}  // namespace closedpaw::front
