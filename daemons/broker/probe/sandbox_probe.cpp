// The start-up probe: the broker decides a runtime is usable only after this statically
// linked program ran inside it, under the same bundle shape as a skill, and answered.
#include <unistd.h>

#include <cstdio>

int main() {
    std::printf("closedpaw-sandbox-probe ok uid=%u\n", static_cast<unsigned>(::getuid()));
    return 0;
}
