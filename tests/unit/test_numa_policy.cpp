// The per-VM gate of the rebalance policy: when a VM asks for a fix, and
// that it never thrashes. (Which fix: test_numa_decide.cpp.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

extern "C" {
#include "numa/policy.h"
}

namespace {

struct Gate {
    va_policy_config c;
    va_policy_state s{};
    double error = 0.02;
    Gate() { va_policy_config_defaults(&c); }
    // One period; the engine acts whenever the gate opens.
    bool step(double rate)
    {
        bool open = va_policy_gate(&c, &s, rate, error);
        if (open)
            va_policy_acted(&c, &s);
        return open;
    }
};

} // namespace

TEST_CASE("acts only after K low samples in a row", "[numa][policy]")
{
    Gate g;
    CHECK_FALSE(g.step(0.6));
    CHECK_FALSE(g.step(0.6));
    CHECK(g.step(0.6));
}

TEST_CASE("a clearly misplaced VM is acted on at once", "[numa][policy]")
{
    Gate g;
    CHECK(g.step(0.0)); // 0% +- 2 pp: no need to look again
    Gate h;
    h.error = 0.45;     // the same rate measured too loosely waits
    CHECK_FALSE(h.step(0.0));
    Gate k;
    CHECK_FALSE(k.step(0.39)); // 0.39 + 0.02 is not below 0.5 x 0.8
    CHECK(Gate().step(0.37));
}

TEST_CASE("hovering at the threshold neither triggers nor re-arms", "[numa][policy]")
{
    Gate g;
    g.step(0.5);
    g.step(0.5);
    // 0.82 is above the threshold but inside the hysteresis band: the streak
    // is kept, not reset; the next low sample completes it.
    CHECK_FALSE(g.step(0.82));
    CHECK(g.step(0.5));
    Gate q;
    q.step(0.5);
    q.step(0.5);
    q.step(0.9); // recovered: streak reset
    CHECK_FALSE(q.step(0.5));
}

TEST_CASE("a gate the engine could not act on asks again", "[numa][policy]")
{
    Gate g;
    for (int i = 0; i < 3; i++)
        va_policy_gate(&g.c, &g.s, 0.6, g.error);
    // No action was taken (say the host was full): no cooldown started.
    CHECK(va_policy_gate(&g.c, &g.s, 0.6, g.error));
    CHECK(g.s.actions == 0);
}

TEST_CASE("a fix that works is taken once", "[numa][policy]")
{
    Gate g;
    int actions = 0;
    double r = 0.6;
    for (int t = 0; t < 200; t++)
        if (g.step(r)) {
            actions++;
            r = 0.95; // the workload responds
        }
    CHECK(actions == 1);
}

TEST_CASE("an oscillating workload cannot make it thrash", "[numa][policy]")
{
    SECTION("fast oscillation: never K low samples in a row")
    {
        Gate g;
        int actions = 0;
        for (int t = 0; t < 1000; t++)
            actions += g.step(t % 2 ? 0.95 : 0.6);
        CHECK(actions == 0);
    }
    SECTION("slow square wave that ignores every fix: backoff bounds actions")
    {
        // 8 samples low, 8 high, for 1000 samples. Every low phase re-
        // triggers within the relapse window, so the cooldown doubles up to
        // 16 x 5 = 80 samples: at most ~1000/80 actions plus the 4 of the
        // ramp (instead of one per 16-sample cycle, 62). A clearly
        // misplaced low phase (0.1) acts on its first sample, and is
        // bounded the same way.
        for (double low : {0.6, 0.1}) {
            Gate g;
            int actions = 0, last = -1000, min_gap = 1000;
            for (int t = 0; t < 1000; t++) {
                if (g.step((t / 8) % 2 ? 0.95 : low)) {
                    actions++;
                    min_gap = std::min(min_gap, t - last);
                    last = t;
                }
            }
            CHECK(actions <= 1000 / 80 + 6);
            CHECK(min_gap >= 5);
            CHECK(g.s.backoff_shift == g.c.max_backoff_shift);
        }
    }
}

TEST_CASE("a quiet spell resets the backoff", "[numa][policy]")
{
    Gate g;
    for (int t = 0; t < 200; t++) // a relapsing phase: shift climbs
        g.step((t / 8) % 2 ? 0.95 : 0.6);
    REQUIRE(g.s.backoff_shift > 0);
    for (int t = 0; t < 161; t++) // longer than the relapse window
        g.step(0.95);
    int first = -1;
    for (int t = 0; t < 10 && first < 0; t++)
        if (g.step(0.6))
            first = t;
    CHECK(first == 2); // acts on the third low sample, as the first time
    CHECK(g.s.backoff_shift == 0);
}

TEST_CASE("no measurement only ages the cooldown", "[numa][policy]")
{
    Gate g;
    for (int i = 0; i < 10; i++)
        CHECK_FALSE(g.step(NAN));
    CHECK(g.s.low_streak == 0);
    CHECK(g.s.since_action == 10);
}
