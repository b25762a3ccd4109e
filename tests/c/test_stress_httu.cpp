// Hardware table updates racing software updates of the same descriptors
// (IHI 0070 3.13: "Agents supporting HTTU update the flags atomically.
// Software must also use atomic primitives to perform its own updates").
//
// Translator threads read and write pages through a small IOTLB, so most
// accesses walk and many update descriptors (AF, dirty). At the same time
// a cleaner makes pages clean and old again (AP[2] = 1, AF = 0, then a
// TLB invalidation), as dirty logging and working-set aging do, and a
// third thread increments a software counter kept in the descriptors'
// software bits [58:55] with compare-and-swap loops.
//
// Invariants:
//  - no software update is lost: each page's counter ends at the number of
//    increments made to it (mod 16); a model that wrote back a descriptor
//    it had read, instead of compare-and-swapping, loses some;
//  - a write that translated left its page dirty and young (AP[2] == 0,
//    AF == 1) unless a clean of that page was in progress or began since
//    the translation started; a read left it young;
//  - every translation gives the page's own output address.
#include "smmu_fixture.hpp"
#include "watchdog.hpp"

#include <chrono>
#include <random>
#include <string>
#include <thread>

using namespace smmu_test;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

const unsigned PAGES = 512;           // one level-3 table
const uint64_t SW_SHIFT = 55, SW_MASK = 0xfull << SW_SHIFT;

uint64_t pa_of(unsigned p) { return 0x100000000ull + ((uint64_t)p << 12); }

struct Race {
    Model m{64};                      // far fewer entries than pages: walks
    Tables t{m.g};
    uint64_t slot[PAGES];
    std::atomic<uint32_t> clean_started[PAGES], clean_done[PAGES], increments[PAGES];
    std::atomic<uint64_t> writes{0}, reads{0}, cleans{0}, bumps{0}, errors{0};
    std::mutex mu;
    std::vector<std::string> seen;
    Clock::time_point until;

    Race()
    {
        for (unsigned p = 0; p < PAGES; p++) {
            // Writable-clean and old: AP = 0b11 with DBM, AF = 0.
            slot[p] = t.page((uint64_t)p << 12, pa_of(p), 3, false, DBM);
            clean_started[p] = clean_done[p] = increments[p] = 0;
        }
        vmaccel_smmu_domain d = s1_domain(t.root, 3);
        d.s1_ha = d.s1_hd = true;
        REQUIRE(vmaccel_smmu_attach(m.s, 1, &d) == 0);
    }
    bool running() const { return Clock::now() < until; }
    void fail(const std::string &s)
    {
        errors++;
        std::lock_guard<std::mutex> l(mu);
        if (seen.size() < 10)
            seen.push_back(s);
    }

    void translator(unsigned seed)
    {
        std::mt19937 rnd(seed);
        while (running()) {
            unsigned p = rnd() % PAGES;
            bool write = rnd() % 2;
            uint32_t done_before = clean_done[p].load();
            vmaccel_smmu_result r;
            int rc = vmaccel_smmu_translate(m.s, 1, NOSS, (uint64_t)p << 12 | 8,
                                           write ? W : R, &r);
            uint64_t d = m.g.r64(slot[p]);
            uint32_t started_after = clean_started[p].load();
            if (rc) {
                fail("page " + std::to_string(p) + ": " + vmaccel_error_last());
                continue;
            }
            (write ? writes : reads)++;
            if (r.pa != (pa_of(p) | 8))
                fail("page " + std::to_string(p) + ": wrong output address");
            bool quiet = started_after == done_before; // no clean in between
            if (quiet && !(d & AF))
                fail("page " + std::to_string(p) + " translated but is not young");
            if (quiet && write && (d & AP2))
                fail("page " + std::to_string(p) + " written but still clean");
        }
    }

    // Makes a page clean and old, keeping the software bits (CAS loop).
    void cleaner()
    {
        std::mt19937 rnd(7);
        while (running()) {
            unsigned p = rnd() % PAGES;
            clean_started[p]++;
            uint64_t *w = m.g.word(slot[p]), old = __atomic_load_n(w, __ATOMIC_SEQ_CST);
            while (!__atomic_compare_exchange_n(w, &old, (old | AP2) & ~AF, false,
                                                __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            }
            if (vmaccel_smmu_invalidate(m.s, VMACCEL_SMMU_INVAL_RANGE, 0, 3,
                                        (uint64_t)p << 12, 4096))
                fail(std::string("invalidate: ") + vmaccel_error_last());
            clean_done[p]++;
            cleans++;
        }
    }

    void bumper()
    {
        std::mt19937 rnd(9);
        while (running()) {
            unsigned p = rnd() % PAGES;
            uint64_t *w = m.g.word(slot[p]), old = __atomic_load_n(w, __ATOMIC_SEQ_CST);
            uint64_t v;
            do
                v = (old & ~SW_MASK) | ((((old >> SW_SHIFT) + 1) & 0xf) << SW_SHIFT);
            while (!__atomic_compare_exchange_n(w, &old, v, false, __ATOMIC_SEQ_CST,
                                                __ATOMIC_SEQ_CST));
            increments[p]++;
            bumps++;
        }
    }
};

} // namespace

TEST_CASE("HTTU updates race software updates of the same descriptors without losing any",
          "[stress][threads][smmu][httu]")
{
    Watchdog dog("stress_httu", 120s);
    Race x;
    x.until = Clock::now() + 2s;
    std::vector<std::thread> threads;
    threads.emplace_back([&] { x.translator(1); });
    threads.emplace_back([&] { x.translator(2); });
    threads.emplace_back([&] { x.cleaner(); });
    threads.emplace_back([&] { x.bumper(); });
    for (auto &t : threads)
        t.join();
    for (const auto &e : x.seen)
        UNSCOPED_INFO(e);
    CHECK(x.errors == 0);
    unsigned lost = 0;
    for (unsigned p = 0; p < PAGES; p++)
        if (((x.m.g.r64(x.slot[p]) >> SW_SHIFT) & 0xf) != (x.increments[p] & 0xf))
            lost++;
    INFO("writes " << x.writes << " reads " << x.reads << " cleans " << x.cleans
                   << " software increments " << x.bumps << " model updates "
                   << x.m.g.cas_calls);
    CHECK(lost == 0);
    // The run did race: many updates by both sides.
    CHECK(x.writes > 1000);
    CHECK(x.cleans > 1000);
    CHECK(x.bumps > 1000);
    CHECK(x.m.g.cas_calls > 1000);
}
