// The rebalance policy: when it acts, which fix it picks, and that it never
// thrashes.
#include <catch2/catch.hpp>

#include <cmath>

extern "C" {
#include "numa/policy.h"
}

namespace {

va_locality rate(double r, unsigned home = 1)
{
    va_locality l{};
    l.source = VA_SOURCE_PAGE_PLACEMENT;
    l.local_rate = r;
    l.home_node = home;
    return l;
}

// 4 vCPUs on node 0, memory 6 GiB on node 1 and 2 GiB on node 0.
va_vm_facts misplaced(unsigned free_on_home)
{
    va_vm_facts f{};
    f.nodes = 2;
    f.vcpus = 4;
    f.vcpus_on_node[0] = 4;
    f.free_pus_on_node[0] = 4;
    f.free_pus_on_node[1] = free_on_home;
    f.bytes_on_node[0] = 2ull << 30;
    f.bytes_on_node[1] = 6ull << 30;
    return f;
}

struct Run {
    va_policy_config c;
    va_policy_state s{};
    Run(va_strategy st = VA_STRATEGY_ADAPTIVE)
    {
        va_policy_config_defaults(&c);
        c.strategy = st;
    }
    va_decision step(double r, const va_vm_facts &f)
    {
        va_locality l = rate(r);
        va_decision d;
        va_policy_step(&c, &s, &l, &f, &d);
        return d;
    }
};

} // namespace

TEST_CASE("acts only after K low samples in a row", "[numa][policy]")
{
    Run p;
    auto f = misplaced(8);
    CHECK(p.step(0.3, f).action == VA_ACTION_NONE);
    CHECK(p.step(0.3, f).action == VA_ACTION_NONE);
    va_decision d = p.step(0.3, f);
    CHECK(d.action == VA_ACTION_MOVE_VCPUS);
    CHECK(d.target_node == 1);
    CHECK(d.vcpus_moved == 4);
    CHECK(std::string(d.why).find("move 4 vCPU") != std::string::npos);
}

TEST_CASE("hovering at the threshold neither triggers nor re-arms", "[numa][policy]")
{
    Run p;
    auto f = misplaced(8);
    p.step(0.5, f);
    p.step(0.5, f);
    // 0.82 is above the threshold but inside the hysteresis band: the streak
    // is kept, not reset; the next low sample completes it.
    CHECK(p.step(0.82, f).action == VA_ACTION_NONE);
    CHECK(p.step(0.5, f).action == VA_ACTION_MOVE_VCPUS);
    Run q;
    q.step(0.5, f);
    q.step(0.5, f);
    q.step(0.9, f); // recovered: streak reset
    CHECK(q.step(0.5, f).action == VA_ACTION_NONE);
}

TEST_CASE("the cheaper fix wins under Adaptive", "[numa][policy]")
{
    SECTION("4 vCPUs (32 MiB-equivalent) are cheaper than 2 GiB of memory")
    {
        Run p;
        auto f = misplaced(8);
        va_decision d{};
        for (int i = 0; i < 3; i++)
            d = p.step(0.2, f);
        CHECK(d.action == VA_ACTION_MOVE_VCPUS);
    }
    SECTION("no room on the memory's node: migrate memory instead")
    {
        Run p;
        auto f = misplaced(2);
        va_decision d{};
        for (int i = 0; i < 3; i++)
            d = p.step(0.2, f);
        CHECK(d.action == VA_ACTION_MIGRATE_MEMORY);
        CHECK(d.target_node == 0);
        CHECK(d.bytes == 6ull << 30);
        CHECK(d.seconds == Approx(24.0)); // 6 GiB at 256 MiB/s
    }
    SECTION("a little remote memory is cheaper than moving vCPUs")
    {
        Run p;
        auto f = misplaced(8);
        f.bytes_on_node[1] = 4ull << 20; // 4 MiB remote < 4 x 8 MiB
        f.bytes_on_node[0] = 1ull << 20;
        va_decision d{};
        for (int i = 0; i < 3; i++)
            d = p.step(0.2, f);
        CHECK(d.action == VA_ACTION_MIGRATE_MEMORY);
    }
}

TEST_CASE("LoadBalanced migrates memory rather than moving vCPUs", "[numa][policy]")
{
    Run p(VA_STRATEGY_LOAD_BALANCED);
    auto f = misplaced(8);
    va_decision d{};
    for (int i = 0; i < 3; i++)
        d = p.step(0.2, f);
    CHECK(d.action == VA_ACTION_MIGRATE_MEMORY);
}

TEST_CASE("restricted fixes are respected", "[numa][policy]")
{
    Run p;
    p.c.allow_move = false;
    auto f = misplaced(8);
    va_decision d{};
    for (int i = 0; i < 3; i++)
        d = p.step(0.2, f);
    CHECK(d.action == VA_ACTION_MIGRATE_MEMORY);
    Run q;
    q.c.allow_migrate = false;
    auto tight = misplaced(2); // no room to move either
    for (int i = 0; i < 3; i++)
        d = q.step(0.2, tight);
    CHECK(d.action == VA_ACTION_NONE);
    CHECK(std::string(d.why).find("no fix") != std::string::npos);
}

TEST_CASE("a fix that works is taken once", "[numa][policy]")
{
    Run p;
    auto f = misplaced(8);
    int actions = 0;
    double r = 0.2;
    for (int t = 0; t < 200; t++) {
        if (p.step(r, f).action != VA_ACTION_NONE) {
            actions++;
            r = 0.95; // the workload responds
        }
    }
    CHECK(actions == 1);
}

TEST_CASE("an oscillating workload cannot make it thrash", "[numa][policy]")
{
    auto f = misplaced(8);
    SECTION("fast oscillation: never K low samples in a row")
    {
        Run p;
        int actions = 0;
        for (int t = 0; t < 1000; t++)
            actions += p.step(t % 2 ? 0.95 : 0.3, f).action != VA_ACTION_NONE;
        CHECK(actions == 0);
    }
    SECTION("slow square wave that ignores every fix: backoff bounds actions")
    {
        // 8 samples low, 8 high, for 1000 samples. Every low phase re-
        // triggers within the relapse window, so the cooldown doubles up to
        // 16 x 5 = 80 samples: at most ~1000/80 actions plus the 4 of the
        // ramp (instead of one per 16-sample cycle, 62).
        Run p;
        int actions = 0, last = -1000, min_gap = 1000;
        for (int t = 0; t < 1000; t++) {
            if (p.step((t / 8) % 2 ? 0.95 : 0.3, f).action != VA_ACTION_NONE) {
                actions++;
                min_gap = std::min(min_gap, t - last);
                last = t;
            }
        }
        CHECK(actions <= 1000 / 80 + 6);
        CHECK(min_gap >= 5);
        CHECK(p.s.backoff_shift == p.c.max_backoff_shift);
    }
}

TEST_CASE("a quiet spell resets the backoff", "[numa][policy]")
{
    Run p;
    auto f = misplaced(8);
    for (int t = 0; t < 200; t++) // a relapsing phase: shift climbs
        p.step((t / 8) % 2 ? 0.95 : 0.3, f);
    REQUIRE(p.s.backoff_shift > 0);
    for (int t = 0; t < 161; t++) // longer than the relapse window
        p.step(0.95, f);
    int first = -1;
    for (int t = 0; t < 10 && first < 0; t++)
        if (p.step(0.3, f).action != VA_ACTION_NONE)
            first = t;
    CHECK(first == 2); // acts on the third low sample, as the first time
    CHECK(p.s.backoff_shift == 0);
}

TEST_CASE("no measurement only ages the cooldown", "[numa][policy]")
{
    Run p;
    auto f = misplaced(8);
    va_decision d;
    for (int i = 0; i < 10; i++)
        va_policy_step(&p.c, &p.s, nullptr, &f, &d);
    CHECK(d.action == VA_ACTION_NONE);
    CHECK(p.s.low_streak == 0);
    va_locality nan_rate = rate(NAN);
    va_policy_step(&p.c, &p.s, &nan_rate, &f, &d);
    CHECK(d.action == VA_ACTION_NONE);
}
