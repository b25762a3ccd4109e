// The manager's SMMU under concurrent use, checked for coherence rather
// than just for not crashing: stage-1 page tables in guest memory are
// remapped while other threads translate through them (mostly on the
// lock-free IOTLB hit path), a stream is attached and detached over and
// over, partitioning is switched and recomputed, statistics and reports
// are read, and the manager's loop repartitions on its timer.
//
// Invariants (from smmu.h):
//  - once vmaccel_smmu_invalidate has returned, no translation that starts
//    afterwards returns the mapping it invalidated (and never one that was
//    not written yet);
//  - while a stream is attached (attach returned, detach not called) its
//    translations succeed; once detach has returned and until the next
//    attach, they fault;
//  - a stream translated by one thread has exact counters: hits + misses
//    equal the number of translations;
//  - nothing deadlocks (a watchdog fails the test instead of hanging).
#include "shim.h"
#include "smmu_fixture.hpp"
#include "watchdog.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

const uint64_t BASE = 0x40000000;
const unsigned PAGES = 4096;        // 16 MiB of IOVA: 8 level-3 tables
const uint64_t MARK = 1ull << 44;   // every output address has it
const uint32_t VMAX = (1u << 20) - 1; // versions fit in PA bits 24..43
const uint16_t ASID_A = 5, ASID_B = 6;
const uint32_t SID_A = 1, SID_B = 3, SID_CYCLED = 2;

// Output address of page p in its version v.
uint64_t pa_of(unsigned p, uint32_t v) { return MARK | (uint64_t)v << 24 | (uint64_t)p << 12; }

// Guest RAM; every word is read and written atomically, since the model
// walks the tables while the remapper changes them.
struct Ram {
    std::vector<uint64_t> w = std::vector<uint64_t>(64 << 10); // 512 KiB
    uint64_t next = BASE;

    uint64_t alloc()
    {
        uint64_t a = next;
        next += 4096;
        REQUIRE(next - BASE <= w.size() * 8);
        return a;
    }
    uint64_t ld(uint64_t a) { return __atomic_load_n(&w[(a - BASE) / 8], __ATOMIC_SEQ_CST); }
    void st(uint64_t a, uint64_t v) { __atomic_store_n(&w[(a - BASE) / 8], v, __ATOMIC_SEQ_CST); }

    static int read(void *ctx, uint64_t addr, void *buf, size_t len)
    {
        Ram *r = static_cast<Ram *>(ctx);
        if (addr < BASE || addr - BASE > r->w.size() * 8 || len > r->w.size() * 8 - (addr - BASE))
            return -1;
        auto *out = static_cast<uint8_t *>(buf);
        for (size_t i = 0; i < len; i++) {
            uint64_t word = r->ld((addr + i) & ~7ull);
            out[i] = (uint8_t)(word >> 8 * ((addr + i) & 7));
        }
        return 0;
    }
};

// A 39-bit, 4K-granule stage-1 regime (levels 1-3), VMSAv8-64 formats:
// table descriptors 0b11; page descriptors 0b11 with AP[2:1]=01 (read/write
// at EL0 and EL1) at bits 7:6 and AF at bit 10.
struct Tables {
    Ram &ram;
    uint64_t root, l2, l3[PAGES / 512];
    explicit Tables(Ram &r) : ram(r), root(r.alloc()), l2(r.alloc())
    {
        ram.st(root, l2 | 3);
        for (unsigned i = 0; i < PAGES / 512; i++) {
            l3[i] = ram.alloc();
            ram.st(l2 + 8 * i, l3[i] | 3);
        }
    }
    void map(unsigned p, uint32_t v)
    {
        ram.st(l3[p / 512] + 8 * (p % 512), pa_of(p, v) | 3 | 1u << 6 | 1u << 10);
    }
};

struct Errors {
    std::mutex mu;
    std::vector<std::string> seen;
    void add(const std::string &s)
    {
        std::lock_guard<std::mutex> g(mu);
        if (seen.size() < 20)
            seen.push_back(s);
    }
    void check(int rc, const char *what)
    {
        if (rc)
            add(std::string(what) + ": " + vmaccel_strerror(rc) + ": " + vmaccel_error_last());
    }
};

struct Stress {
    vmaccel_manager *m = nullptr;
    vmaccel_smmu *s = nullptr;
    Ram ram;
    Tables tables{ram};
    Errors errors;
    Clock::time_point until;
    // Per page: the newest version written to the tables, and the newest
    // whose invalidation has completed.
    std::vector<std::atomic<uint32_t>> written = std::vector<std::atomic<uint32_t>>(PAGES);
    std::vector<std::atomic<uint32_t>> committed = std::vector<std::atomic<uint32_t>>(PAGES);
    // SID_CYCLED: even = detached, odd = attach in progress or attached;
    // value % 4: 0 detached, 1 attaching, 2 attached, 3 detaching.
    std::atomic<uint64_t> phase{0};
    std::atomic<uint64_t> remaps{0}, attach_cycles{0}, stale_checked{0};
    std::atomic<uint64_t> must_fault{0}, must_hit{0};

    bool running() const { return Clock::now() < until; }

    // One translation of page p through `sid`; checks the result against
    // the versions. Returns the rc.
    int translate(uint32_t sid, unsigned p, uint64_t off, bool must_succeed)
    {
        uint32_t c = committed[p].load();
        vmaccel_smmu_result r{};
        uint64_t iova = (uint64_t)p << 12 | off;
        int rc = vmaccel_smmu_translate(s, sid, VMACCEL_SMMU_NO_SSID, iova,
                                        VMACCEL_SMMU_READ, &r);
        uint32_t w = written[p].load();
        if (rc) {
            if (must_succeed || rc != VMACCEL_EFAULT)
                errors.add("translate sid " + std::to_string(sid) + " page " +
                           std::to_string(p) + ": " + vmaccel_strerror(rc) + ": " +
                           vmaccel_error_last());
            return rc;
        }
        uint32_t g = (uint32_t)(r.pa >> 24) & VMAX;
        char msg[256];
        if ((r.pa & ~(((uint64_t)VMAX << 24) | 0xffffff)) != MARK ||
            ((r.pa >> 12) & 0xfff) != p || (r.pa & 0xfff) != off || r.size != 4096 ||
            !(r.perm & VMACCEL_SMMU_READ)) {
            snprintf(msg, sizeof msg, "sid %u page %u: iova 0x%llx gave pa 0x%llx size %llu",
                     sid, p, (unsigned long long)iova, (unsigned long long)r.pa,
                     (unsigned long long)r.size);
            errors.add(msg);
        } else if (g < c || g > w) {
            snprintf(msg, sizeof msg, "sid %u page %u: version %u, but %u was invalidated "
                     "before the call and %u is the newest written", sid, p, g, c, w);
            errors.add(msg);
        }
        stale_checked++;
        return 0;
    }

    // Remaps pages and invalidates, with every scope in turn.
    void remapper()
    {
        std::mt19937 rnd(1);
        for (unsigned i = 0; running(); i++) {
            // Mostly the readers' hot set, whose entries are cached.
            unsigned p = rnd() % 4 ? rnd() % 64 : rnd() % PAGES;
            uint32_t v = written[p].load() + 1;
            if (v > VMAX)
                continue;
            written[p].store(v);
            tables.map(p, v);
            switch (i % 4) {
            case 0:
                for (uint16_t a : {ASID_A, ASID_B})
                    errors.check(vmaccel_smmu_invalidate(s, VMACCEL_SMMU_INVAL_RANGE, 0, a,
                                                         (uint64_t)p << 12, 4096),
                                 "invalidate range");
                break;
            case 1:
                for (uint16_t a : {ASID_A, ASID_B})
                    errors.check(vmaccel_smmu_invalidate(s, VMACCEL_SMMU_INVAL_ASID, 0, a, 0, 0),
                                 "invalidate asid");
                break;
            case 2:
                errors.check(vmaccel_smmu_invalidate(s, VMACCEL_SMMU_INVAL_VMID, 0, 0, 0, 0),
                             "invalidate vmid");
                break;
            case 3:
                errors.check(vmaccel_smmu_invalidate(s, VMACCEL_SMMU_INVAL_ALL, 0, 0, 0, 0),
                             "invalidate all");
                break;
            }
            committed[p].store(v);
            remaps++;
        }
    }

    // The only translator of `sid`: its counters must be exact.
    uint64_t reader(uint32_t sid, unsigned seed)
    {
        std::mt19937 rnd(seed);
        uint64_t calls = 0;
        while (running()) {
            // Mostly a small hot set (IOTLB hits), sometimes anywhere.
            unsigned p = rnd() % 8 ? rnd() % 64 : rnd() % PAGES;
            translate(sid, p, (rnd() % 512) * 8, true);
            calls++;
        }
        return calls;
    }

    void cycler()
    {
        vmaccel_smmu_domain d = smmu_test::s1_domain(tables.root, ASID_B);
        while (running()) {
            phase++; // attaching
            errors.check(vmaccel_smmu_attach(s, SID_CYCLED, &d), "attach");
            phase++; // attached
            std::this_thread::sleep_for(200us);
            phase++; // detaching
            errors.check(vmaccel_smmu_detach(s, SID_CYCLED), "detach");
            phase++; // detached
            attach_cycles++;
            std::this_thread::sleep_for(100us);
        }
    }

    void cycled_reader()
    {
        std::mt19937 rnd(3);
        while (running()) {
            unsigned p = rnd() % 64;
            uint64_t before = phase.load();
            uint32_t c = committed[p].load();
            vmaccel_smmu_result r{};
            int rc = vmaccel_smmu_translate(s, SID_CYCLED, VMACCEL_SMMU_NO_SSID,
                                            (uint64_t)p << 12, VMACCEL_SMMU_READ, &r);
            uint64_t after = phase.load();
            if (rc && rc != VMACCEL_EFAULT)
                errors.check(rc, "translate on the cycled stream");
            if (before != after)
                continue; // raced with attach or detach: either outcome is right
            if (before % 4 == 2) {
                must_hit++;
                if (rc)
                    errors.add("the attached stream faulted: " + std::string(vmaccel_error_last()));
                else if ((uint32_t)(r.pa >> 24 & VMAX) < c)
                    errors.add("the attached stream returned an invalidated mapping");
            } else if (before % 4 == 0) {
                must_fault++;
                if (rc != VMACCEL_EFAULT)
                    errors.add("the detached stream translated page " + std::to_string(p));
            }
        }
    }

    // Partitioning switched and recomputed, statistics and reports read.
    void housekeeping()
    {
        const vmaccel_format formats[] = {VMACCEL_FORMAT_PROTOBUF, VMACCEL_FORMAT_JSON};
        uint64_t last_a = 0;
        for (unsigned i = 0; running(); i++) {
            if (i % 50 == 0)
                errors.check(vmaccel_smmu_set_partitioning(s, i % 100 != 0, 64 + i % 512),
                             "set_partitioning");
            errors.check(vmaccel_smmu_repartition(s), "repartition");
            vmaccel_smmu_stream_stats st{};
            int rc = vmaccel_smmu_stream_stats_get(s, SID_A, &st);
            if (rc != VMACCEL_ENOENT) {
                errors.check(rc, "stream_stats_get");
                if (!rc && st.hits + st.misses < last_a)
                    errors.add("stream counters went backwards");
                if (!rc)
                    last_a = st.hits + st.misses;
            }
            if (m && i % 20 == 0) {
                vmaccel_buf b = {nullptr, 0};
                errors.check(vmaccel_manager_report(m, formats[i / 20 % 2], &b), "report");
                vmaccel_buf_free(&b);
            }
            vmaccel_buf ev = {nullptr, 0};
            int erc = m ? vmaccel_event_next(m, 0, &ev) : VMACCEL_EAGAIN;
            if (erc && erc != VMACCEL_EAGAIN)
                errors.check(erc, "event_next");
            vmaccel_buf_free(&ev);
            std::this_thread::sleep_for(500us);
        }
    }
};

// Runs the scenario on `smmu` (with manager `m` running its loop, or a
// standalone model when m is NULL) for `secs` seconds.
void run(vmaccel_manager *m, vmaccel_smmu *smmu, unsigned capacity, std::chrono::seconds secs)
{
    Watchdog dog("stress_smmu", 120s);
    Stress x;
    x.m = m;
    x.s = smmu;
    vmaccel_smmu_memory mem = VMACCEL_SMMU_MEMORY_INIT;
    mem.read = Ram::read;
    mem.ctx = &x.ram;
    REQUIRE(vmaccel_smmu_set_memory(x.s, &mem) == 0);
    for (unsigned p = 0; p < PAGES; p++)
        x.tables.map(p, 0);
    vmaccel_smmu_domain a = smmu_test::s1_domain(x.tables.root, ASID_A);
    REQUIRE(vmaccel_smmu_attach(x.s, SID_A, &a) == 0);
    REQUIRE(vmaccel_smmu_attach(x.s, SID_B, &a) == 0); // shares SID_A's IOTLB space
    if (m)
        REQUIRE(vmaccel_manager_start(m) == 0);

    x.until = Clock::now() + secs;
    uint64_t calls_a = 0, calls_b = 0;
    std::vector<std::thread> threads;
    threads.emplace_back([&] { x.remapper(); });
    threads.emplace_back([&] { calls_a = x.reader(SID_A, 11); });
    threads.emplace_back([&] { calls_b = x.reader(SID_B, 12); });
    threads.emplace_back([&] { x.cycler(); });
    threads.emplace_back([&] { x.cycled_reader(); });
    threads.emplace_back([&] { x.housekeeping(); });
    for (auto &t : threads)
        t.join();
    if (m)
        REQUIRE(vmaccel_manager_stop(m) == 0);

    for (const auto &e : x.errors.seen)
        UNSCOPED_INFO(e);
    CHECK(x.errors.seen.empty());
    INFO("remaps " << x.remaps << ", translations " << calls_a << " + " << calls_b
                   << ", attach cycles " << x.attach_cycles << ", checked attached "
                   << x.must_hit << " detached " << x.must_fault);
    // The run did what it claims: remaps, translations on every stream,
    // attach cycles with translations seen in both states.
    CHECK(x.remaps > 100);
    CHECK(calls_a > 1000);
    CHECK(calls_b > 1000);
    CHECK(x.attach_cycles > 10);
    CHECK(x.must_hit > 0);
    CHECK(x.must_fault > 0);
    // One translator per stream: exact counters, and both paths taken.
    for (auto sc : {std::make_pair(SID_A, calls_a), std::make_pair(SID_B, calls_b)}) {
        vmaccel_smmu_stream_stats st{};
        REQUIRE(vmaccel_smmu_stream_stats_get(x.s, sc.first, &st) == 0);
        INFO("sid " << sc.first << ": hits " << st.hits << " misses " << st.misses
                    << " faults " << st.faults << " used " << st.iotlb_used);
        CHECK(st.hits + st.misses == sc.second);
        CHECK(st.faults == 0);
        CHECK(st.hits > 0);
        CHECK(st.misses > 0);
        CHECK(st.iotlb_used <= capacity);
    }
}

} // namespace

TEST_CASE("the manager's SMMU stays coherent while tables, attachments and partitions change",
          "[stress][threads][smmu]")
{
    vmaccel_manager *m = nullptr;
    vmaccel_smmu *smmu = nullptr;
    REQUIRE(shim_manager("pack:1 numa:2 core:2 pu:1", nullptr, &m) == 0);
    REQUIRE(vmaccel_manager_init_smmu(m) == 0);
    REQUIRE(vmaccel_manager_smmu(m, &smmu) == 0);
    run(m, smmu, 4096, 2s); // the default IOTLB; the loop repartitions on its timer
    vmaccel_manager_free(m);
}

TEST_CASE("a small IOTLB evicts and repartitions under concurrent translation, coherently",
          "[stress][threads][smmu]")
{
    vmaccel_smmu_options o = VMACCEL_SMMU_OPTIONS_INIT;
    o.iotlb_entries = 64; // far fewer than the pages read: entries are recycled
    vmaccel_smmu *smmu = nullptr;
    REQUIRE(vmaccel_smmu_new(&o, &smmu) == 0);
    run(nullptr, smmu, 64, 2s);
    vmaccel_smmu_free(smmu);
}
