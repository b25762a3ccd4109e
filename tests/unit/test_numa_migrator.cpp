// The migrator: windows of pages moved under one byte budget, huge pages
// moved whole, several jobs side by side, a worker thread that can be
// cancelled, and a VMM exiting mid-way.
#include <catch2/catch.hpp>

#include <cerrno>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

extern "C" {
#include "numa/migrator.h"
#include "platform/sim_numa.h"
#include "vmaccel/vmaccel.h"
}

namespace {

const uint64_t BASE = 0x7f0000000000ull, MiB = 1ull << 20;

struct Fixture {
    va_sim *sim = nullptr;
    const va_platform *p = nullptr;
    va_migrator *mg = nullptr;
    Fixture(uint64_t rate, bool threaded, unsigned workers = 1)
    {
        REQUIRE(va_sim_new("0-3", &sim) == 0);
        p = va_sim_platform(sim);
        REQUIRE(va_migrator_new(p, rate, threaded, workers, &mg) == 0);
    }
    ~Fixture()
    {
        va_migrator_free(mg);
        va_sim_free(sim);
    }
    // A process with `mib` of RAM on node 1.
    void process(int pid, uint64_t mib)
    {
        REQUIRE(va_sim_spawn(sim, pid, "qemu") == 0);
        REQUIRE(va_sim_map(sim, pid, BASE, mib * MiB, 1) == 0);
    }
    va_mig_job *job(int pid, uint64_t mib, int pidfd = -1)
    {
        auto *j = static_cast<va_mig_job *>(calloc(1, sizeof(va_mig_job)));
        j->plat = p;
        j->pid = pid;
        j->pidfd = pidfd;
        j->regions = static_cast<va_sample_region *>(calloc(1, sizeof(va_sample_region)));
        j->regions[0] = {BASE, mib * MiB};
        j->nregions = 1;
        j->target_node = 0;
        j->target_os_node = 0;
        j->bytes_wanted = mib * MiB;
        va_migration_begin(&j->mg, pid, 0, 0);
        return j;
    }
    static void release(va_mig_job *j)
    {
        free(j->regions);
        va_vcpu_stop_free(&j->vcpu_stop);
        free(j);
    }
    // Two vCPU threads (pid+1, pid+2) that the job stops while it moves.
    void stop_vcpus(int pid, va_mig_job *j)
    {
        const int tids[2] = {pid + 1, pid + 2};
        REQUIRE(va_sim_add_thread(sim, pid, tids[0], "CPU 0/TCG") == 0);
        REQUIRE(va_sim_add_thread(sim, pid, tids[1], "CPU 1/TCG") == 0);
        REQUIRE(va_vcpu_stop_init(&j->vcpu_stop, tids, 2) == 0);
    }
    // Runs job j inline until it is done.
    void finish(va_mig_job *j)
    {
        va_migrator_submit(mg, j);
        va_migrator_run(mg);
        va_mig_job *done[1];
        REQUIRE(va_migrator_collect(mg, done, 1) == 1);
        REQUIRE(done[0] == j);
    }
    unsigned stops(int tid, bool *now)
    {
        unsigned n = 0;
        REQUIRE(va_sim_thread_stops(sim, tid, &n, now) == 0);
        return n;
    }
    uint64_t pages_on(int pid, int node)
    {
        uint64_t pages[2];
        REQUIRE(va_sim_count_pages(sim, pid, 2, pages) == 0);
        return pages[node];
    }
};

} // namespace

TEST_CASE("migrator: huge pages move whole, none counted as failed", "[numa][migrator]")
{
    Fixture f(1ull << 40, false);
    f.process(100, 64);
    REQUIRE(va_sim_set_huge(f.sim, 100, BASE, true) == 0);
    va_mig_job *j = f.job(100, 64);
    va_migrator_submit(f.mg, j);
    va_migrator_run(f.mg);
    va_mig_job *done[4];
    REQUIRE(va_migrator_collect(f.mg, done, 4) == 1);
    CHECK(done[0] == j);
    CHECK(j->rc == 0);
    CHECK(j->mg.done.pages_moved == 64 * 256);
    CHECK(j->mg.done.pages_failed == 0);
    CHECK(f.pages_on(100, 0) == 64 * 256);
    Fixture::release(j);
}

TEST_CASE("migrator: a huge page is asked about once after it moved, 4 KiB pages each",
          "[numa][migrator]")
{
    Fixture f(1ull << 40, false);
    // 8 huge pages, then 16 MiB of 4 KiB pages, on node 1.
    REQUIRE(va_sim_spawn(f.sim, 100, "qemu") == 0);
    REQUIRE(va_sim_map(f.sim, 100, BASE, 16 * MiB, 1) == 0);
    REQUIRE(va_sim_set_huge(f.sim, 100, BASE, true) == 0);
    REQUIRE(va_sim_map(f.sim, 100, BASE + 16 * MiB, 16 * MiB, 1) == 0);
    va_mig_job *j = f.job(100, 16);
    va_mig_job *k = f.job(100, 16);
    k->regions[0] = {BASE + 16 * MiB, 16 * MiB};
    f.finish(j);
    // The scan asked about the window's 4096 pages; after the heads moved,
    // one probe per huge page: 8 more, not 8 x 511.
    CHECK(va_sim_pages_asked(f.sim) == 4096 + 8);
    CHECK(j->mg.done.pages_moved == 16 * 256);
    f.finish(k);
    // 4 KiB pages: the probes stay behind and the rest move one by one.
    CHECK(va_sim_pages_asked(f.sim) == 2 * (4096 + 8));
    CHECK(k->mg.done.pages_moved == 16 * 256);
    CHECK(k->mg.done.pages_failed == 0);
    CHECK(f.pages_on(100, 0) == 32 * 256);
    Fixture::release(j);
    Fixture::release(k);
}

TEST_CASE("migrator: the budget bounds what moves per second", "[numa][migrator]")
{
    Fixture f(64 * MiB, false); // inline: a second's worth at a time
    f.process(100, 256);
    va_mig_job *j = f.job(100, 256);
    va_migrator_submit(f.mg, j);
    va_migrator_run(f.mg);
    uint64_t first = f.pages_on(100, 0);
    CHECK(first * 4096 <= 80 * MiB); // the bucket, and one window into debt at most
    va_sim_advance(f.sim, 1000000000ull);
    va_migrator_run(f.mg);
    uint64_t second = f.pages_on(100, 0) - first;
    CHECK(second * 4096 <= 64 * MiB + 16 * MiB);
    CHECK(second * 4096 >= 48 * MiB);
    CHECK(va_migrator_pending_bytes(f.mg) == 256 * MiB - f.pages_on(100, 0) * 4096);
    va_migrator_cancel(f.mg, j);
    CHECK(j->rc == VMACCEL_ESTATE);
    Fixture::release(j);
}

TEST_CASE("migrator: two jobs share the budget in turns", "[numa][migrator]")
{
    Fixture f(64 * MiB, false);
    f.process(100, 128);
    f.process(200, 128);
    va_mig_job *a = f.job(100, 128), *b = f.job(200, 128);
    va_migrator_submit(f.mg, a);
    va_migrator_submit(f.mg, b);
    for (int s = 0; s < 2; s++) {
        va_sim_advance(f.sim, 1000000000ull);
        va_migrator_run(f.mg);
    }
    uint64_t pa = f.pages_on(100, 0), pb = f.pages_on(200, 0);
    CHECK(pa > 0);
    CHECK(pb > 0);
    CHECK((pa > pb ? pa - pb : pb - pa) * 4096 <= 16 * MiB); // a window apart at most
    va_migrator_cancel(f.mg, a);
    va_migrator_cancel(f.mg, b);
    Fixture::release(a);
    Fixture::release(b);
}

TEST_CASE("migrator: a job stops at the bytes it was given", "[numa][migrator]")
{
    Fixture f(1ull << 40, false);
    f.process(100, 128);
    va_mig_job *j = f.job(100, 128);
    j->bytes_wanted = 32 * MiB; // the target node had room for this much
    va_migrator_submit(f.mg, j);
    va_migrator_run(f.mg);
    va_mig_job *done[1];
    REQUIRE(va_migrator_collect(f.mg, done, 1) == 1);
    CHECK(j->mg.done.pages_moved * 4096 >= 32 * MiB);
    CHECK(j->mg.done.pages_moved * 4096 <= 48 * MiB); // one window past it at most
    Fixture::release(j);
}

TEST_CASE("migrator: the worker thread moves, is cancelled, and notices an exit",
          "[numa][migrator][thread]")
{
    SECTION("a job finishes as the (sim) clock lets the budget refill")
    {
        Fixture f(64 * MiB, true);
        f.process(100, 128);
        va_mig_job *j = f.job(100, 128);
        va_migrator_submit(f.mg, j);
        va_mig_job *done[1];
        size_t n = 0;
        for (int i = 0; i < 2000 && !n; i++) {
            va_sim_advance(f.sim, 100000000ull);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            n = va_migrator_collect(f.mg, done, 1);
        }
        REQUIRE(n == 1);
        CHECK(j->rc == 0);
        CHECK(f.pages_on(100, 0) == 128 * 256);
        CHECK(va_migrator_observed_rate(f.mg) >= 0);
        Fixture::release(j);
    }
    SECTION("cancel returns once the worker lets go, mid-way")
    {
        Fixture f(16 * MiB, true);
        f.process(100, 256);
        va_mig_job *j = f.job(100, 256);
        va_migrator_submit(f.mg, j);
        va_sim_advance(f.sim, 1000000000ull);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        va_migrator_cancel(f.mg, j);
        uint64_t moved = f.pages_on(100, 0);
        CHECK(moved < 256 * 256);
        va_sim_advance(f.sim, 10000000000ull);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        CHECK(f.pages_on(100, 0) == moved); // nothing after the cancel
        Fixture::release(j);
    }
    SECTION("the VMM exits: the job ends with EGONE")
    {
        Fixture f(16 * MiB, true);
        f.process(100, 256);
        int fd = -1;
        REQUIRE(f.p->pidfd_open(f.p, 100, &fd) == 0);
        va_mig_job *j = f.job(100, 256, fd);
        va_migrator_submit(f.mg, j);
        REQUIRE(va_sim_exit(f.sim, 100) == 0);
        va_mig_job *done[1];
        size_t n = 0;
        for (int i = 0; i < 2000 && !n; i++) {
            va_sim_advance(f.sim, 100000000ull);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            n = va_migrator_collect(f.mg, done, 1);
        }
        REQUIRE(n == 1);
        CHECK(j->rc == VMACCEL_EGONE);
        f.p->pidfd_close(f.p, fd);
        Fixture::release(j);
    }
}

TEST_CASE("migrator: several workers share the windows of jobs", "[numa][migrator][thread]")
{
    Fixture f(1ull << 40, true, 4);
    f.process(100, 256);
    f.process(200, 64);
    REQUIRE(va_sim_set_huge(f.sim, 200, BASE, true) == 0);
    va_mig_job *a = f.job(100, 256), *b = f.job(200, 64);
    va_migrator_submit(f.mg, a);
    va_migrator_submit(f.mg, b);
    va_migrator_wait_idle(f.mg);
    va_mig_job *done[2];
    REQUIRE(va_migrator_collect(f.mg, done, 2) == 2);
    CHECK(a->rc == 0);
    CHECK(b->rc == 0);
    CHECK(a->mg.done.pages_moved == 256 * 256); // every window counted once
    CHECK(b->mg.done.pages_moved == 64 * 256);
    CHECK(a->mg.done.pages_failed + b->mg.done.pages_failed == 0);
    CHECK(f.pages_on(100, 0) == 256 * 256);
    CHECK(f.pages_on(200, 0) == 64 * 256);
    Fixture::release(a);
    Fixture::release(b);
}

TEST_CASE("migrator: migrate_pages moves a whole process at once", "[numa][migrator]")
{
    Fixture f(1ull << 40, false);
    f.process(100, 64);
    va_mig_job *j = f.job(100, 64);
    j->whole_process = true;
    va_migrator_submit(f.mg, j);
    va_migrator_run(f.mg);
    va_mig_job *done[1];
    REQUIRE(va_migrator_collect(f.mg, done, 1) == 1);
    CHECK(j->rc == 0);
    CHECK(j->mg.done.pages_moved == 64 * 256);
    CHECK(f.pages_on(100, 0) == 64 * 256);
    Fixture::release(j);
}

TEST_CASE("migrator: a VM's vCPUs are stopped while each window moves, then let go",
          "[numa][migrator]")
{
    Fixture f(1ull << 40, false);
    f.process(100, 64); // 4 windows of 16 MiB
    va_mig_job *j = f.job(100, 64);
    f.stop_vcpus(100, j);
    f.finish(j);
    CHECK(j->rc == 0);
    CHECK(f.pages_on(100, 0) == 64 * 256);
    // Every page moved while the vCPUs were stopped; each stopped once per
    // window; none is left stopped.
    CHECK(va_sim_pages_moved_stopped(f.sim) == 64 * 256);
    bool now = true;
    CHECK(f.stops(101, &now) == 4);
    CHECK_FALSE(now);
    CHECK(f.stops(102, &now) == 4);
    CHECK_FALSE(now);
    CHECK(j->vcpu_stop.pauses == 4);
    CHECK_FALSE(j->vcpu_stop.off);
    Fixture::release(j);
}

TEST_CASE("migrator: vCPUs that cannot be stopped run on, and the job says why",
          "[numa][migrator]")
{
    Fixture f(1ull << 40, false);
    f.process(100, 32);
    va_mig_job *j = f.job(100, 32);
    f.stop_vcpus(100, j);
    va_sim_deny(f.sim, VA_SIM_THREAD_STOP, VMACCEL_EPERM);
    f.finish(j);
    CHECK(j->rc == 0); // the memory still moved
    CHECK(f.pages_on(100, 0) == 32 * 256);
    CHECK(va_sim_pages_moved_stopped(f.sim) == 0);
    CHECK(j->vcpu_stop.off);
    CHECK(std::string(j->vcpu_stop.why_off).find("denied") != std::string::npos);
    bool now = true;
    CHECK(f.stops(101, &now) == 0);
    CHECK_FALSE(now);
    Fixture::release(j);
}

TEST_CASE("migrator: a vCPU stopped by someone else turns stopping off, the others go free",
          "[numa][migrator]")
{
    Fixture f(1ull << 40, false);
    f.process(100, 32);
    va_mig_job *j = f.job(100, 32);
    f.stop_vcpus(100, j);
    int sig = 0; // another tracer holds vCPU 1
    REQUIRE(f.p->thread_stop(f.p, 100, 102, &sig) == 0);
    f.finish(j);
    CHECK(j->rc == 0);
    CHECK(j->vcpu_stop.off);
    bool now = true;
    CHECK(f.stops(101, &now) == 1); // stopped, then let go when 102 failed
    CHECK_FALSE(now);
    CHECK(f.stops(102, &now) == 1); // the other tracer's stop only
    CHECK(now);
    REQUIRE(f.p->thread_resume(f.p, 102, 0) == 0);
    Fixture::release(j);
}

TEST_CASE("migrator: while one worker holds a VM's vCPUs stopped, idle workers move its "
          "other windows, and none stops or lets go of them itself",
          "[numa][migrator][thread]")
{
    Fixture f(1ull << 40, true, 4);
    f.process(100, 128); // 8 windows
    va_mig_job *j = f.job(100, 128);
    f.stop_vcpus(100, j);
    // Each stop takes 10 ms and each move 30 ms: a second worker stopping
    // the same threads would find them stopped (EPERM, which turns
    // stopping off), and the idle workers have time to help.
    va_sim_on_action(
        f.sim, [](va_sim *, int, void *) { std::this_thread::sleep_for(std::chrono::milliseconds(10)); },
        nullptr);
    va_sim_on_move(
        f.sim, [](va_sim *, int, void *) { std::this_thread::sleep_for(std::chrono::milliseconds(30)); },
        nullptr);
    va_migrator_submit(f.mg, j);
    va_migrator_wait_idle(f.mg);
    va_mig_job *done[1];
    REQUIRE(va_migrator_collect(f.mg, done, 1) == 1);
    CHECK(j->rc == 0);
    CHECK(f.pages_on(100, 0) == 128 * 256);
    CHECK_FALSE(j->vcpu_stop.off);
    // Every window moved within a stop: the holder's or a helper's.
    CHECK(j->vcpu_stop.pauses + j->helped_windows == 8);
    CHECK(j->helped_windows > 0);
    CHECK(va_sim_pages_moved_stopped(f.sim) == 128 * 256);
    bool now = true;
    CHECK(f.stops(101, &now) == j->vcpu_stop.pauses);
    CHECK_FALSE(now);
    Fixture::release(j);
}

TEST_CASE("migrator: once its vCPUs cannot stop, a VM's windows go out side by side",
          "[numa][migrator][thread]")
{
    Fixture f(1ull << 40, true, 4);
    f.process(100, 128);
    va_mig_job *j = f.job(100, 128);
    f.stop_vcpus(100, j);
    va_sim_deny(f.sim, VA_SIM_THREAD_STOP, VMACCEL_EPERM);
    std::atomic<int> moving{0}, most{0};
    struct Count {
        std::atomic<int> *moving, *most;
    } count{&moving, &most};
    va_sim_on_move(
        f.sim,
        [](va_sim *, int, void *arg) {
            auto *c = static_cast<Count *>(arg);
            int n = ++*c->moving;
            for (int m = *c->most; n > m && !c->most->compare_exchange_weak(m, n);) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(30));
            --*c->moving;
        },
        &count);
    va_migrator_submit(f.mg, j);
    va_migrator_wait_idle(f.mg);
    va_mig_job *done[1];
    REQUIRE(va_migrator_collect(f.mg, done, 1) == 1);
    CHECK(j->rc == 0);
    CHECK(j->vcpu_stop.off);
    CHECK(f.pages_on(100, 0) == 128 * 256);
    CHECK(most > 1);
    Fixture::release(j);
}
