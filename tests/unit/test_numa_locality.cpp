// The locality model on hand-computed cases.
#include <catch2/catch.hpp>

#include <cmath>

extern "C" {
#include "numa/locality.h"
}

namespace {
va_vm_obs two_nodes(uint64_t p0, uint64_t p1, const va_vcpu_obs *v, size_t n)
{
    va_vm_obs o{};
    o.nodes = 2;
    o.pages_on_node[0] = p0;
    o.pages_on_node[1] = p1;
    o.vcpus = v;
    o.nvcpus = n;
    return o;
}
} // namespace

TEST_CASE("placement: a vCPU's rate is the share of pages on its node", "[numa][locality]")
{
    // Memory 80% on node 1; vCPU 0 on node 0 ran 3 ms, vCPU 1 on node 1 ran 1 ms.
    va_vcpu_obs v[2] = {{0, 3000000, false, 0, 0}, {1, 1000000, false, 0, 0}};
    va_vm_obs o = two_nodes(200, 800, v, 2);
    va_locality l;
    double rate[2];
    REQUIRE(va_locality_compute(&o, 0, &l, rate));
    CHECK(l.source == VA_SOURCE_PAGE_PLACEMENT);
    CHECK(rate[0] == Approx(0.2));
    CHECK(rate[1] == Approx(0.8));
    CHECK(l.local_rate == Approx((3 * 0.2 + 1 * 0.8) / 4));  // runtime-weighted
    CHECK(l.home_node == 1);
    CHECK(l.weight == Approx(4000000.0));
}

TEST_CASE("faults win when every running vCPU has them", "[numa][locality]")
{
    va_vcpu_obs v[2] = {{0, 5, true, 90, 10}, {1, 5, true, 30, 70}};
    va_vm_obs o = two_nodes(500, 500, v, 2);
    va_locality l;
    double rate[2];
    REQUIRE(va_locality_compute(&o, 10, &l, rate));
    CHECK(l.source == VA_SOURCE_NUMA_FAULTS);
    CHECK(l.local_rate == Approx(120.0 / 200.0));
    CHECK(rate[1] == Approx(0.3));
    CHECK(l.weight == Approx(10.0));

    SECTION("too few faults: fall back to placement")
    {
        REQUIRE(va_locality_compute(&o, 1000, &l, nullptr));
        CHECK(l.source == VA_SOURCE_PAGE_PLACEMENT);
        CHECK(l.local_rate == Approx(0.5));
    }
    SECTION("one running vCPU without counters: placement")
    {
        v[1].have_faults = false;
        REQUIRE(va_locality_compute(&o, 0, &l, nullptr));
        CHECK(l.source == VA_SOURCE_PAGE_PLACEMENT);
    }
}

TEST_CASE("nothing to go on gives no estimate", "[numa][locality]")
{
    va_vcpu_obs v[1] = {{-1, 0, false, 0, 0}};
    va_vm_obs none = two_nodes(0, 0, v, 1);
    va_locality l;
    CHECK_FALSE(va_locality_compute(&none, 0, &l, nullptr));
    CHECK(l.source == VA_SOURCE_NONE);
    va_vm_obs unplaced = two_nodes(5, 5, v, 1);
    CHECK_FALSE(va_locality_compute(&unplaced, 0, &l, nullptr));
    va_vm_obs bad = unplaced;
    bad.nodes = VA_MAX_NODES + 1;
    CHECK_FALSE(va_locality_compute(&bad, 0, &l, nullptr));
}

TEST_CASE("without runtime every placed vCPU weighs the same", "[numa][locality]")
{
    va_vcpu_obs v[3] = {{0, 0, false, 0, 0}, {0, 0, false, 0, 0}, {1, 0, false, 0, 0}};
    va_vm_obs o = two_nodes(100, 300, v, 3);
    va_locality l;
    REQUIRE(va_locality_compute(&o, 0, &l, nullptr));
    CHECK(l.local_rate == Approx((0.25 + 0.25 + 0.75) / 3));
}
