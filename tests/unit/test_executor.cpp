#define BOOST_TEST_MODULE executor
#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "executor.hpp"

using namespace closedpaw::front;

// Runs are taken in turn between the users who submitted them: one user's queue of slow runs
// delays another user's run by one run per worker, not by the whole queue. (No broker listens
// here, so each run fails at once; the order they finish in is the order they were taken.)
BOOST_AUTO_TEST_CASE(runs_are_taken_in_turn_between_owners) {
    std::mutex m;
    std::condition_variable cv;
    bool released = false;
    std::vector<std::string> order;
    {
        Executor ex("/nonexistent/closedpaw-broker.sock", 1,
                    [&](const std::string& id, SkillOutcome outcome) {
                        BOOST_TEST(!outcome.success);
                        std::unique_lock l(m);
                        order.push_back(id);
                        cv.notify_all();
                        // The first run holds the only worker until everything is queued.
                        cv.wait(l, [&] { return released; });
                    });
        auto run = [](const std::string& id, uid_t owner) {
            SkillRun r;
            r.action_id = id;
            r.skill = "filesystem";
            r.operation = "read";
            r.owner = owner;
            return r;
        };
        ex.submit(run("a1", 1000));
        {
            std::unique_lock l(m);
            cv.wait(l, [&] { return !order.empty(); });
        }
        for (const char* id : {"a2", "a3", "a4", "a5"}) ex.submit(run(id, 1000));
        ex.submit(run("b1", 1001));
        {
            std::lock_guard l(m);
            released = true;
        }
        cv.notify_all();
        std::unique_lock l(m);
        cv.wait(l, [&] { return order.size() == 6; });
    }
    BOOST_TEST(order == (std::vector<std::string>{"a1", "a2", "b1", "a3", "a4", "a5"}),
               "order: " << [&] {
                   std::string s;
                   for (const auto& id : order) s += id + " ";
                   return s;
               }());
}
