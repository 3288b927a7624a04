#include "action_store.hpp"

#include <fcntl.h>
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
                ++s.skipped_;
                continue;
            }
            std::string id = a->id;
            s.actions_[id] = std::move(*a);
        }
    }
    CP_TRY(s.compact());
    return s;
}

const Action* ActionStore::find(const std::string& id) const {
    auto it = actions_.find(id);
    return it == actions_.end() ? nullptr : &it->second;
}

void ActionStore::put(const Action& a) {
    actions_[a.id] = a;
    pending_ += a.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<void> ActionStore::commit() {
    if (pending_.empty()) return {};
    std::string out;
    out.swap(pending_);
    CP_TRY(write_all(fd_.get(), out));
    if (::fdatasync(fd_.get()) != 0) return Error::from_errno("fdatasync " + path_);
    appended_bytes_ += out.size();
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
