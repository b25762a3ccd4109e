// The "no fix" reasons told per VM (runtime/numa/told.h): each once until
// the VM is acted on, also when reasons take turns.
#include <catch2/catch.hpp>

extern "C" {
#include "numa/told.h"
}

TEST_CASE("told: a reason is told once, even when two take turns", "[numa][told]")
{
    va_told t = {};
    const char *a = "no room for its vCPUs on node 1, which holds most of its memory";
    const char *b = "no room for its vCPUs on node 2, which holds most of its memory";
    CHECK(va_told_first(&t, a));
    CHECK(va_told_first(&t, b));
    for (int period = 0; period < 10; period++) { // a wide VM's clients alternate
        CHECK_FALSE(va_told_first(&t, a));
        CHECK_FALSE(va_told_first(&t, b));
    }
    va_told_clear(&t); // acted on: the next "no fix" is news again
    CHECK(va_told_first(&t, a));
    CHECK_FALSE(va_told_first(&t, a));
}

TEST_CASE("told: the oldest of more reasons than it keeps is told again", "[numa][told]")
{
    va_told t = {};
    char why[32];
    for (int i = 0; i <= VA_TOLD_KEPT; i++) { // one more than it keeps
        snprintf(why, sizeof why, "reason %d", i);
        CHECK(va_told_first(&t, why));
    }
    CHECK(va_told_first(&t, "reason 0")); // pushed out by reason 8
    CHECK_FALSE(va_told_first(&t, "reason 8"));
}
