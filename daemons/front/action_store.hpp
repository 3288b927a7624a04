// Durable actions: an append-only journal (one JSON line per change, the action's whole state),
// replayed at start (last line per id wins; a torn last line from a crash is ignored; other
// lines that do not read are reported and the journal as found is kept beside it) and
// compacted then. Changes are queued and made durable together with commit() (fdatasync).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "action.hpp"
#include "common/fd.hpp"
#include "common/result.hpp"

namespace closedpaw::front {

class ActionStore {
  public:
    static Result<ActionStore> open(const std::string& dir, std::size_t keep_finished = 1000);

    const std::map<std::string, Action>& actions() const { return actions_; }
    const Action* find(const std::string& id) const;
    void put(const Action& a);  // in memory now, durable after commit()
    // Makes the batch durable; if that fails, the batch is discarded as discard() does.
    Result<void> commit();
    // Drops the batch: every action put since the last commit is as it was before.
    void discard();
    std::size_t skipped_lines() const { return skipped_; }  // a torn last line (a crash)
    // Whole lines that did not read as an action (the file was damaged or edited), and where
    // the journal as found was kept ("" if none).
    std::size_t damaged_lines() const { return damaged_; }
    const std::string& damaged_copy() const { return damaged_copy_; }

  private:
    Result<void> compact();

    std::string path_;
    std::size_t keep_finished_ = 1000;
    UniqueFd fd_;
    std::map<std::string, Action> actions_;
    std::string pending_;
    std::map<std::string, std::optional<Action>> undo_;  // the batch's actions as they were
    std::size_t appended_bytes_ = 0;
    std::size_t skipped_ = 0;
    std::size_t damaged_ = 0;
    std::string damaged_copy_;
};

}  // namespace closedpaw::front
