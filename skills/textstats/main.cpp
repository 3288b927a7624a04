// closedpaw-skill-textstats: word, line and character counts of the request's text.
#include "skill_main.hpp"
#include "text_stats.hpp"

int main(int argc, char** argv) {
    auto operations = closedpaw::textstats::textstats_operations();
    return closedpaw::skill::run_skill(argc, argv, operations, {/* needs_workspace= */ false});
}
