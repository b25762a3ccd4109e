// Page sampling: sample size from the error bound, and the bound holding.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

extern "C" {
#include "numa/sampling.h"
}

TEST_CASE("sample size follows the proportion bound", "[numa][sampling]")
{
    // n0 = 1.96^2 * 0.25 / 0.02^2 = 2401 (the textbook 2 pp / 95% figure).
    CHECK(va_sample_size(UINT64_MAX / 2, 0.02, VA_Z_95) == 2401);
    // A 4 GiB VM of 4 KiB pages: finite-population correction trims it.
    CHECK(va_sample_size(1u << 20, 0.02, VA_Z_95) == 2396);
    CHECK(va_sample_size(1000, 0.02, VA_Z_95) == 707); // 2400.9 / 3.3999 = 706.2
    CHECK(va_sample_size(10, 0.02, VA_Z_95) == 10);
    CHECK(va_sample_size(0, 0.02, VA_Z_95) == 0);
    CHECK(va_sample_size(100, 0.0, VA_Z_95) == 100);   // no bound: all pages
    CHECK(va_sample_size(1u << 20, 0.05, VA_Z_95) == 385);
}

TEST_CASE("sampled pages are distinct, ascending and in range", "[numa][sampling]")
{
    va_rng r;
    va_rng_seed(&r, 42);
    for (uint64_t pop : {1ull, 7ull, 1000ull, 1ull << 20, 3ull << 40}) {
        size_t n = va_sample_size(pop, 0.02, VA_Z_95);
        std::vector<uint64_t> pages(n);
        va_sample_pages(&r, pop, n, pages.data());
        for (size_t i = 0; i < n; i++) {
            CHECK(pages[i] < pop);
            if (i)
                CHECK(pages[i] > pages[i - 1]);
        }
    }
}

TEST_CASE("the estimate is within 2 pp in at least 95% of trials", "[numa][sampling]")
{
    // 1 Mi pages; node 1 holds a scattered 30% of them (by a hash, so no
    // alignment with the sampling strata) and a contiguous 10% block.
    const uint64_t pop = 1u << 20;
    auto on_node1 = [](uint64_t p) {
        uint64_t h = p * 0x9e3779b97f4a7c15ull;
        return (h >> 40) % 100 < 30 || (p >= 500000 && p < 604858);
    };
    uint64_t truth = 0;
    for (uint64_t p = 0; p < pop; p++)
        truth += on_node1(p);
    double share = double(truth) / pop;
    size_t n = va_sample_size(pop, 0.02, VA_Z_95);
    std::vector<uint64_t> pages(n);
    int within = 0, trials = 400;
    va_rng r;
    va_rng_seed(&r, 7);
    for (int t = 0; t < trials; t++) {
        va_sample_pages(&r, pop, n, pages.data());
        size_t hits = 0;
        for (uint64_t p : pages)
            hits += on_node1(p);
        within += std::fabs(double(hits) / n - share) <= 0.02;
    }
    CHECK(within >= trials * 95 / 100);
}

TEST_CASE("the generator is deterministic and unbiased enough", "[numa][sampling]")
{
    va_rng a, b;
    va_rng_seed(&a, 123);
    va_rng_seed(&b, 123);
    for (int i = 0; i < 100; i++)
        CHECK(va_rng_next(&a) == va_rng_next(&b));
    int counts[6] = {0};
    for (int i = 0; i < 60000; i++)
        counts[va_rng_below(&a, 6)]++;
    for (int c : counts)
        CHECK(std::abs(c - 10000) < 500);
}
