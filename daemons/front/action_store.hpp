// Durable actions: an append-only journal (one JSON line per change, the action's whole state),
// replayed at start (last line per id wins; a torn last line from a crash is ignored) and
// compacted then. Changes are queued and made durable together with commit() (fdatasync).
#pragma once

#include <map>
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
    Result<void> commit();
    std::size_t skipped_lines() const { return skipped_; }

  private:
    Result<void> compact();

    std::string path_;
    std::size_t keep_finished_ = 1000;
    UniqueFd fd_;
    std::map<std::string, Action> actions_;
    std::string pending_;
    std::size_t appended_bytes_ = 0;
    std::size_t skipped_ = 0;
};

}  // namespace closedpaw::front
