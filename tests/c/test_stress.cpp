// Eight threads call the public API at once while the loop delivers events:
// subscriptions come and go, reports in every format, VMs registered and
// detached, the loop started and stopped, NUMA switched and ticked, the
// pull queue drained, the SMMU attached, translated through, invalidated
// and detached. Every call must return 0 or an error its header documents
// for that race; callbacks see increasing sequences; nothing deadlocks (a
// watchdog fails the test instead of letting it hang); under ASan/TSan the
// run must be clean.
#include "shim.h"
#include "watchdog.hpp"

#include <catch2/catch.hpp>

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// Records errors from any thread (Catch2 assertions are not thread-safe).
struct Errors {
    std::mutex mu;
    std::vector<std::string> seen;
    void check(int rc, std::initializer_list<int> allowed, const char *what)
    {
        if (rc == 0)
            return;
        for (int ok : allowed)
            if (rc == ok)
                return;
        std::lock_guard<std::mutex> g(mu);
        seen.push_back(std::string(what) + ": " + vmaccel_strerror(rc) + ": " +
                       vmaccel_error_last());
    }
};

// One subscription's view: sequences must only increase.
struct Subscriber {
    std::atomic<uint64_t> last{0};
    std::atomic<uint64_t> count{0};
    std::atomic<int> out_of_order{0};
    static void cb(const vmaccel_event *ev, void *user)
    {
        auto *s = static_cast<Subscriber *>(user);
        if (ev->sequence <= s->last.load())
            s->out_of_order++;
        s->last = ev->sequence;
        s->count++;
    }
};

int gettid_() { return (int)syscall(SYS_gettid); }

struct Stress {
    vmaccel_manager *m = nullptr;
    vmaccel_smmu *smmu = nullptr;
    Errors errors;
    Subscriber steady; // subscribed for the whole run
    std::atomic<uint64_t> pulled{0};
    Clock::time_point until;

    bool running() const { return Clock::now() < until; }

    void subscriptions()
    {
        while (running()) {
            Subscriber s;
            uint64_t id = 0;
            int rc = vmaccel_subscribe(m, VMACCEL_EVENT_MASK_ALL, Subscriber::cb, &s, &id);
            errors.check(rc, {}, "subscribe");
            if (!rc)
                errors.check(vmaccel_unsubscribe(m, id), {}, "unsubscribe");
            // After unsubscribe returns, s may go out of scope: the callback
            // no longer runs (the header's promise, checked by ASan here).
            if (s.out_of_order)
                errors.check(VMACCEL_EIO, {}, "a subscriber saw sequences out of order");
        }
    }

    void reports()
    {
        const vmaccel_format formats[] = {VMACCEL_FORMAT_PROTOBUF, VMACCEL_FORMAT_JSON,
                                          VMACCEL_FORMAT_TEXT};
        for (unsigned i = 0; running(); i++) {
            vmaccel_buf b = {nullptr, 0};
            errors.check(vmaccel_manager_report(m, formats[i % 3], &b), {}, "report");
            vmaccel_buf_free(&b);
        }
    }

    void vms()
    {
        int tid = gettid_();
        while (running()) {
            vmaccel_vm_options o = VMACCEL_VM_OPTIONS_INIT;
            o.name = "stress";
            o.vcpu_tids = &tid;
            o.nvcpu_tids = 1;
            vmaccel_vm *vm = nullptr;
            errors.check(vmaccel_vm_register(m, &o, &vm), {}, "vm_register");
            vmaccel_vm_detach(vm);
        }
    }

    void loop_switch()
    {
        for (unsigned i = 0; running(); i++) {
            int rc = (i % 2) ? vmaccel_manager_stop(m) : vmaccel_manager_start(m);
            errors.check(rc, {}, (i % 2) ? "stop" : "start");
            std::this_thread::sleep_for(1ms);
        }
    }

    void numa()
    {
        for (unsigned i = 0; running(); i++) {
            int rc = (i % 3 == 2) ? vmaccel_manager_disable_numa(m)
                                  : vmaccel_manager_enable_numa(m, 2);
            errors.check(rc, {}, "enable/disable numa");
            // ESTATE: another call switched NUMA off in between.
            errors.check(vmaccel_manager_numa_tick(m), {VMACCEL_ESTATE}, "numa_tick");
        }
    }

    void pull()
    {
        while (running()) {
            vmaccel_buf b = {nullptr, 0};
            int rc = vmaccel_event_next(m, 5, &b);
            errors.check(rc, {VMACCEL_ETIMEDOUT}, "event_next");
            if (!rc)
                pulled++;
            vmaccel_buf_free(&b);
        }
    }

    void smmu_traffic()
    {
        vmaccel_smmu_domain bypass = VMACCEL_SMMU_DOMAIN_INIT;
        bypass.mode = VMACCEL_SMMU_MODE_BYPASS;
        for (uint32_t i = 0; running(); i++) {
            uint32_t sid = 1 + i % 4;
            errors.check(vmaccel_smmu_attach(smmu, sid, &bypass), {}, "smmu_attach");
            vmaccel_smmu_result r{};
            // EFAULT: the other SMMU thread detached the stream meanwhile.
            errors.check(vmaccel_smmu_translate(smmu, sid, VMACCEL_SMMU_NO_SSID, 0x1000 * i,
                                                VMACCEL_SMMU_READ, &r),
                         {VMACCEL_EFAULT}, "smmu_translate");
            errors.check(vmaccel_smmu_invalidate(smmu, VMACCEL_SMMU_INVAL_ALL, 0, 0, 0, 0),
                         {}, "smmu_invalidate");
            errors.check(vmaccel_smmu_detach(smmu, sid), {VMACCEL_ENOENT}, "smmu_detach");
        }
    }

    void options_and_stats()
    {
        for (unsigned i = 0; running(); i++) {
            vmaccel_numa_options o = VMACCEL_NUMA_OPTIONS_INIT;
            o.interval_ms = 5 + i % 20;
            errors.check(vmaccel_manager_configure_numa(m, &o), {}, "configure_numa");
            vmaccel_event_stats st = VMACCEL_EVENT_STATS_INIT;
            errors.check(vmaccel_event_stats_get(m, &st), {}, "event_stats");
            if (st.queue_length > st.queue_capacity)
                errors.check(VMACCEL_EIO, {}, "queue longer than its capacity");
        }
    }
};

} // namespace

TEST_CASE("eight threads on the public API while the loop delivers events",
          "[stress][threads]")
{
    Watchdog dog("stress", 120s);
    Stress s;
    REQUIRE(shim_manager("pack:1 numa:2 core:2 pu:1", nullptr, &s.m) == 0);
    REQUIRE(vmaccel_manager_init_smmu(s.m) == 0);
    REQUIRE(vmaccel_manager_smmu(s.m, &s.smmu) == 0);
    uint64_t steady_id = 0;
    REQUIRE(vmaccel_subscribe(s.m, VMACCEL_EVENT_MASK_ALL, Subscriber::cb, &s.steady,
                              &steady_id) == 0);
    vmaccel_event_stats before = VMACCEL_EVENT_STATS_INIT;
    REQUIRE(vmaccel_event_stats_get(s.m, &before) == 0);
    const uint64_t base = before.emitted; // emitted before the subscription
    REQUIRE(vmaccel_manager_start(s.m) == 0);

    s.until = Clock::now() + 3s;
    std::vector<std::function<void()>> roles = {
        [&] { s.subscriptions(); }, [&] { s.reports(); },     [&] { s.vms(); },
        [&] { s.loop_switch(); },   [&] { s.numa(); },        [&] { s.pull(); },
        [&] { s.smmu_traffic(); },  [&] { s.options_and_stats(); }};
    std::vector<std::thread> threads;
    for (auto &role : roles)
        threads.emplace_back(role);
    for (auto &t : threads)
        t.join();

    // The loop may have been left stopped by the start/stop thread: start it
    // so the steady subscriber receives what is still pending.
    REQUIRE(vmaccel_manager_start(s.m) == 0);
    vmaccel_event_stats st = VMACCEL_EVENT_STATS_INIT;
    REQUIRE(vmaccel_event_stats_get(s.m, &st) == 0);
    auto deadline = Clock::now() + 20s;
    while (base + s.steady.count + st.callback_dropped < st.emitted && Clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
        REQUIRE(vmaccel_event_stats_get(s.m, &st) == 0);
    }
    for (const auto &e : s.errors.seen)
        UNSCOPED_INFO(e);
    CHECK(s.errors.seen.empty());
    // Every VM registration and detach emitted events; all were accounted
    // for: delivered to the steady subscriber or counted as dropped.
    CHECK(st.emitted > 0);
    CHECK(base + s.steady.count + st.callback_dropped == st.emitted);
    CHECK(s.steady.out_of_order == 0);
    CHECK(s.pulled + st.queue_dropped + st.queue_length == st.emitted);
    REQUIRE(vmaccel_unsubscribe(s.m, steady_id) == 0);
    vmaccel_manager_free(s.m);
}
