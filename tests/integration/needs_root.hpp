// Integration tests act as several uids and start daemons that drop privileges: they need
// root and the test users. Without them the test binary says why and exits 77 (SKIP).
#pragma once

#include <cstdlib>
#include <iostream>

#include "process.hpp"

namespace cptest {

struct NeedsRootAndTestUsers {
    NeedsRootAndTestUsers() {
        if (auto why = missing_test_users()) {
            std::cout << "SKIP: " << *why << "\n";
            std::exit(77);
        }
    }
};

}  // namespace cptest
