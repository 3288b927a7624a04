// closedpaw-skill-filesystem: read, list, write, delete and create_dir beneath the workspace
// given as argv[1]. Runs inside the broker's sandbox; see resolver.hpp for the guarantees.
#include "fs_operations.hpp"
#include "skill_main.hpp"

int main(int argc, char** argv) {
    auto operations = closedpaw::fs_skill::filesystem_operations();
    return closedpaw::skill::run_skill(argc, argv, operations, {/* needs_workspace= */ true});
}
