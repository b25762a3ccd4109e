// The Windows platform seam's host-wide operations, under Wine: each CPU's
// busy time (NtQuerySystemInformation) and what Windows cannot do.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

extern "C" {
#include "platform/platform.h"
#include "vmaccel/vmaccel.h"
}

using namespace std::chrono_literals;

TEST_CASE("cpu_times: each online CPU's busy time grows while this thread spins",
          "[windows][platform]")
{
    const va_platform *p = va_platform_os();
    REQUIRE(p->cpu_times != nullptr);
    CHECK_FALSE(p->manual_clock);
    va_cpumask online;
    REQUIRE(p->online_cpus(p, &online) == 0);
    std::vector<uint64_t> before(VA_MAX_CPUS, 1), after(VA_MAX_CPUS, 1);
    REQUIRE(p->cpu_times(p, before.data(), VA_MAX_CPUS) == 0);
    auto until = std::chrono::steady_clock::now() + 300ms;
    volatile unsigned long spins = 0;
    while (std::chrono::steady_clock::now() < until)
        spins = spins + 1;
    REQUIRE(p->cpu_times(p, after.data(), VA_MAX_CPUS) == 0);
    uint64_t grown = 0;
    for (unsigned cpu = 0; cpu < VA_MAX_CPUS; cpu++) {
        if (!va_cpumask_isset(&online, cpu)) {
            CHECK(after[cpu] == 0); // zeroed, not left as it was
            continue;
        }
        CHECK(before[cpu] > 0); // busy since boot
        CHECK(after[cpu] >= before[cpu]);
        grown += after[cpu] - before[cpu];
    }
    CHECK(grown >= 200000000ull); // most of the 300 ms this thread spun, or more
}

TEST_CASE("migrate_pages: ENOTSUP saying Windows cannot", "[windows][platform][errors]")
{
    const va_platform *p = va_platform_os();
    uint64_t left = 7;
    CHECK(p->migrate_pages(p, 1234, 1, &left) == VMACCEL_ENOTSUP);
    CHECK(left == 7);
    CHECK(std::string(vmaccel_error_last()).find("migrate_pages(pid 1234, to node 1): Windows "
                                                 "cannot migrate") == 0);
}
