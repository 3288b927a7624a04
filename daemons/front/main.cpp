// closedpawd: where every request enters. Start-up: config, policy and skills (may need root
// to read), drop to the closedpaw user, open the action store and audit log, fail what was
// caught executing by a crash, join the bus, load seccomp, serve.
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <sdbus-c++/sdbus-c++.h>
#include <thread>

#include "action_manager.hpp"
#include "common/daemon_args.hpp"
#include "common/event_loop.hpp"
#include "common/log.hpp"
#include "common/privdrop.hpp"
#include "common/seccomp.hpp"
#include "executor.hpp"
#include "front_config.hpp"
#include "injection/defender.hpp"
#include "manager_bus.hpp"

using namespace closedpaw;
using namespace closedpaw::front;

namespace {

int fail(const std::string& what, const Error& e) { return startup_failure(what, e); }

// Asks the broker for its runtime every 30 s on its own thread (the broker may be slow or
// down; the bus loop must not wait for it).
class RuntimeWatcher {
public:
    RuntimeWatcher(Executor& ex, EventLoop& loop, ManagerBus& bus) : thread_([&ex, &loop, &bus, this] {
        std::unique_lock l(m_);
        while (!stop_) {
            l.unlock();
            std::string rt = ex.runtime();
            loop.post([&bus, rt] { bus.set_runtime(rt); });
            l.lock();
            cv_.wait_for(l, std::chrono::seconds(30), [this] { return stop_; });
        }
    }) {}
    ~RuntimeWatcher() {
        {
            std::lock_guard l(m_);
            stop_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
    log::init("closedpawd");
    auto parsed = parse_daemon_args(argc, argv, "closedpawd", std::string(CLOSEDPAW_SYSCONFDIR) + "/closedpawd.toml");
    if (auto* rc = std::get_if<int>(&parsed)) return *rc;
    const auto& args = std::get<DaemonArgs>(parsed);
    if (sodium_init() < 0) return fail("startup", make_error(Errc::Failed, "libsodium failed to initialise"));
    auto config = args.load_config() ? load_front_config(args.config_path) : Result(default_front_config());
    if (!config) return fail("configuration", config.error());

    std::optional<UserIdentity> user;
    if (::geteuid() == 0 && !config->user.empty()) {
        auto u = lookup_user(config->user);
        if (!u) return fail("configuration", u.error());
        user = *u;
    }
    if (auto r = ensure_directory(config->state_directory, 0700); !r) return fail("state directory", r.error());
    if (user && ::chown(config->state_directory.c_str(), user->uid, user->gid) != 0)
        return fail("state directory", Error::from_errno("chown " + config->state_directory));
    auto policy = load_policy(config->policy_file, config->policy_dir);
    if (!policy) return fail("policy", policy.error());
    auto seccomp = load_seccomp_policy(config->seccomp_profile);
    if (!seccomp) return fail("seccomp profile", seccomp.error());

    // The compiled pattern set is cached in the state directory (validated on load, rebuilt
    // when the patterns change), so a restart does not recompile it.
    auto defender = injection::Defender::load(config->injection_policy_dir,
                                              config->state_directory + "/injection-patterns.cache");
    if (!defender) return fail("prompt-injection policy", defender.error());

    DropSpec drop{user ? user->uid : ::geteuid(), user ? user->gid : ::getegid(), {}, {}};
    if (auto r = drop_privileges(drop); !r) return fail("dropping privileges", r.error());

    auto skills = SkillRegistry::load(config->skill_dir, config->state_directory + "/skills.json");
    if (!skills) return fail("skills", skills.error());
    for (const auto& e : skills->load_errors()) log::warning("skill not loaded: " + e.message);
    auto store = ActionStore::open(config->state_directory, config->keep_finished_actions);
    if (!store) return fail("action store", store.error());
    if (store->skipped_lines() > 0)
        log::warning("action store: skipped a torn last line (a write cut short by a crash)");
    if (store->damaged_lines() > 0)
        log::error("action store: " + std::to_string(store->damaged_lines()) +
                   " line(s) of the journal do not read as actions (damaged or edited); those "
                   "actions are lost. The journal as found is kept in " + store->damaged_copy());
    auto audit = AuditLog::open(config->state_directory);
    if (!audit) return fail("audit log", audit.error());
    if (!audit->broken().empty())
        log::error("the audit log does not verify: " + audit->broken() + "; actions will fail until it is moved aside",
                   {{"MESSAGE_ID", std::string(log::kSecurityEventId)}});

    ActionManager manager(*config, std::move(*policy), std::move(*store), std::move(*audit), std::move(*skills));
    manager.set_text_scan([&d = *defender](std::string_view text, bool output) {
        auto v = d.scan(text, output ? injection::Mode::Output : injection::Mode::Input);
        TextVerdict t{v.flagged, v.score, RiskLevel::Low, v.categories};
        switch (v.level) {
            case injection::Level::None:
            case injection::Level::Low: t.level = RiskLevel::Low; break;
            case injection::Level::Medium: t.level = RiskLevel::Medium; break;
            case injection::Level::High: t.level = RiskLevel::High; break;
            case injection::Level::Critical: t.level = RiskLevel::Critical; break;
        }
        return t;
    });
    try {
        EventLoop loop;
        Executor executor(config->broker_socket, /* workers= */ 2, [&loop, &manager](const std::string& id, SkillOutcome o) {
            loop.post([&manager, id, o = std::move(o)]() mutable { manager.executed(id, std::move(o)); });
        });
        manager.set_executor(&executor);
        manager.recover();
        manager.flush();

        auto bus = sdbus::createSystemBusConnection();
        ManagerBus adaptor(*bus, manager);
        loop.attach_bus(*bus);
        loop.on_idle([&] { manager.flush(); });
        loop.add_timer(std::chrono::seconds(1), [&] { manager.expire_due(); }, /* repeat= */ true);
        RuntimeWatcher watcher(executor, loop, adaptor);
        if (auto r = apply_seccomp(*seccomp); !r) return fail("seccomp", r.error());
        // The name is taken only once the filter is in place: a client (or a test reading
        // /proc) that sees closedpawd on the bus sees it confined.
        bus->requestName(kBusName);
        std::string status = std::to_string(manager.pending_count()) + " pending, " +
                             std::to_string(manager.skills().skills().size()) + " skills";
        log::info("serving " + std::string(kBusName) + " (" + status + ")");
        EventLoop::notify_ready("Serving, " + status);
        loop.run();
        bus->releaseName(kBusName);
    } catch (const sdbus::Error& e) {
        return fail("D-Bus", make_error(Errc::Unavailable, e.getName() + ": " + e.getMessage()));
    }
    log::info("stopped");
    return 0;
}
