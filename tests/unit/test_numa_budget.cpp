// The migration budget: never faster than its rate, never more than a burst.
#include <catch2/catch.hpp>

extern "C" {
#include "numa/budget.h"
}

TEST_CASE("the budget refills at its rate up to the burst", "[numa][budget]")
{
    va_budget b;
    const uint64_t MiB = 1 << 20, s = 1000000000ull;
    va_budget_init(&b, 256 * MiB, 64 * MiB, 0);
    CHECK(va_budget_take(&b, 100 * MiB, 4096, 0) == 64 * MiB); // burst only
    CHECK(va_budget_take(&b, 1, 1, 0) == 0);
    CHECK(va_budget_available(&b, s / 4) == 64 * MiB);        // 0.25 s x 256 MiB/s
    CHECK(va_budget_available(&b, 10 * s) == 64 * MiB);       // capped
    CHECK(va_budget_take(&b, 10000, 4096, 10 * s) == 8192);   // whole pages
}

TEST_CASE("over a long run the spend matches the rate", "[numa][budget]")
{
    va_budget b;
    va_budget_init(&b, 100 << 20, 8 << 20, 0);
    uint64_t spent = 0;
    for (uint64_t t = 0; t <= 60000; t += 7) // every 7 ms for 60 s
        spent += va_budget_take(&b, 1 << 30, 4096, t * 1000000ull);
    double mib_per_s = double(spent) / (1 << 20) / 60.0;
    CHECK(mib_per_s <= 100.0 + 8.0 / 60.0 + 0.01); // rate plus the first burst
    CHECK(mib_per_s >= 99.0);
}

TEST_CASE("a clock stepping back grants nothing extra", "[numa][budget]")
{
    va_budget b;
    va_budget_init(&b, 1 << 20, 1 << 20, 5000000000ull);
    CHECK(va_budget_take(&b, 1 << 20, 1, 5000000000ull) == 1 << 20);
    CHECK(va_budget_take(&b, 1 << 20, 1, 1000000000ull) == 0);
}
