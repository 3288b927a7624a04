#include "action_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace closedpaw::front {

namespace {
constexpr std::size_t kMaxJournal = 512u << 20;
constexpr std::size_t kCompactAfter = 64u << 20;
}  // namespace

Result<ActionStore> ActionStore::open(const std::string& dir, std::size_t keep_finished) {
    ActionStore s;
    s.path_ = dir + "/actions.journal";
    s.keep_finished_ = keep_finished;
    auto text = read_file(s.path_, kMaxJournal);
    if (!text && text.error().code != Errc::NotFound) return std::move(text).error();
    if (text) {
        std::size_t pos = 0;
        while (pos < text->size()) {
            auto nl = text->find('\n', pos);
            if (nl == std::string::npos) {
                ++s.skipped_;  // torn tail: never acknowledged
                break;
            }
            auto j = nlohmann::json::parse(text->begin() + static_cast<long>(pos),
                                           text->begin() + static_cast<long>(nl), nullptr, false);
            pos = nl + 1;
            auto a = Action::from_json(j);
            if (!a) {
                ++s.damaged_;  // a whole line that does not read: damage, not a crash
                continue;
            }
            std::string id = a->id;
            s.actions_[id] = std::move(*a);
        }
    }
    // Compaction rewrites the journal; a damaged one is kept aside first, for whoever looks.
    if (s.damaged_ > 0) {
        // Never over an earlier copy: each damaged journal found is evidence of its own.
        s.damaged_copy_ = s.path_ + ".damaged";
        struct stat st {};
        for (int n = 1; ::lstat(s.damaged_copy_.c_str(), &st) == 0; ++n) {
            if (n > 999) return make_error(Errc::Failed, "too many damaged journal copies kept");
            s.damaged_copy_ = s.path_ + ".damaged." + std::to_string(n);
        }
        CP_TRY(write_file_atomic(s.damaged_copy_, *text));
    }
    CP_TRY(s.compact());
    return s;
}

const Action* ActionStore::find(const std::string& id) const {
    auto it = actions_.find(id);
    return it == actions_.end() ? nullptr : &it->second;
}

void ActionStore::put(const Action& a) {
    if (undo_.count(a.id) == 0) {  // the action as it was before this batch, to discard() to
        auto it = actions_.find(a.id);
        undo_[a.id] = it == actions_.end() ? std::nullopt : std::optional<Action>(it->second);
    }
    actions_[a.id] = a;
    pending_ += a.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void ActionStore::discard() {
    for (auto& [id, before] : undo_) {
        if (before)
            actions_[id] = std::move(*before);
        else
            actions_.erase(id);
    }
    undo_.clear();
    pending_.clear();
}

Result<void> ActionStore::commit() {
    if (pending_.empty()) return {};
    // A write that fails (a full disk) is cut back off the journal and the batch discarded, so
    // the next line is not appended to a torn one and memory says what the disk says.
    struct stat st {};
    const bool sized = ::fstat(fd_.get(), &st) == 0;
    auto fail = [&](Error e) -> Result<void> {
        if (sized && ::ftruncate(fd_.get(), st.st_size) != 0)
            e.message += "; the torn batch could not be cut off (it is dropped at the next start)";
        discard();
        return e;
    };
    if (auto w = write_all(fd_.get(), pending_); !w) return fail(std::move(w).error());
    if (::fdatasync(fd_.get()) != 0) return fail(Error::from_errno("fdatasync " + path_));
    appended_bytes_ += pending_.size();
    pending_.clear();
    undo_.clear();
    if (appended_bytes_ > kCompactAfter) return compact();
    return {};
}

Result<void> ActionStore::compact() {
    // Keep every unfinished action and the newest finished ones.
    std::vector<const Action*> finished;
    for (const auto& [id, a] : actions_)
        if (is_terminal(a.status)) finished.push_back(&a);
    if (finished.size() > keep_finished_) {
        std::sort(finished.begin(), finished.end(),
                  [](auto* x, auto* y) { return x->updated_usec < y->updated_usec; });
        std::vector<std::string> drop;
        for (std::size_t i = 0; i < finished.size() - keep_finished_; ++i)
            drop.push_back(finished[i]->id);
        for (const auto& id : drop) actions_.erase(id);
    }
    std::string all;
    for (const auto& [id, a] : actions_)
        all += a.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    CP_TRY(write_file_atomic(path_, all));
    UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return Error::from_errno("open " + path_);
    fd_ = std::move(fd);
    appended_bytes_ = 0;
    return {};
}

}  // namespace closedpaw::front
