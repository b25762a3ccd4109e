// The event pipeline (runtime/loop/events.h): emission from any thread,
// callbacks on the loop thread, the bounded pull queue and its fd.
#include <catch2/catch.hpp>

#if !defined(_WIN32)
#include <poll.h>
#endif

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

extern "C" {
#include "loop/events.h"
#include "loop/runtime.h"
#include "vmaccel/vmaccel.h"
}

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Mgr {
    vmaccel_manager *m = nullptr;
    Mgr()
    {
        vmaccel_topology_options t;
        vmaccel_topology_options_init(&t);
        t.synthetic = "pack:2 numa:1 core:2 pu:1";
        vmaccel_manager_options o;
        vmaccel_manager_options_init(&o);
        o.topology = &t;
        REQUIRE(vmaccel_manager_new(&o, &m) == 0);
    }
    ~Mgr() { vmaccel_manager_free(m); }
    void emit(vmaccel_event_type type, uint64_t vm = 0, const char *msg = "x")
    {
        REQUIRE(va_event_emitf(m, type, vm, 0.5, "%s", msg) == 0);
    }
    // The loop thread emits LOCALITY_CHANGED every `ms` until the timer
    // is removed.
    va_timer *tick_every(uint64_t ms)
    {
        va_timer *t = nullptr;
        REQUIRE(va_loop_add_timer(va_manager_loop(m), ms, [](void *mgr) {
            va_event_emitf(static_cast<vmaccel_manager *>(mgr),
                           VMACCEL_EVENT_LOCALITY_CHANGED, 3, 0.9, "tick");
        }, m, &t) == 0);
        return t;
    }
    vmaccel_event_stats stats()
    {
        vmaccel_event_stats s = VMACCEL_EVENT_STATS_INIT;
        REQUIRE(vmaccel_event_stats_get(m, &s) == 0);
        return s;
    }
};

template <class F> bool eventually(F f)
{
    auto until = Clock::now() + 10s;
    while (!f()) {
        if (Clock::now() > until)
            return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

#if !defined(_WIN32)
bool readable(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}
#endif

// Pops one event and decodes it.
Vmaccel__V1__Event *next(vmaccel_manager *m, int timeout_ms = 0)
{
    vmaccel_buf b = {nullptr, 0};
    int rc = vmaccel_event_next(m, timeout_ms, &b);
    if (rc)
        return nullptr;
    Vmaccel__V1__Event *ev = vmaccel__v1__event__unpack(nullptr, b.len, b.data);
    vmaccel_buf_free(&b);
    return ev;
}

// Records what a callback saw.
struct Seen {
    std::mutex mu;
    std::vector<uint64_t> seq;
    std::vector<int> type;
    std::atomic<int> off_loop{0};
    va_loop *loop = nullptr;
    static void cb(const vmaccel_event *ev, void *user)
    {
        auto *s = static_cast<Seen *>(user);
        if (!va_loop_on_thread(s->loop))
            s->off_loop++;
        std::lock_guard<std::mutex> g(s->mu);
        s->seq.push_back(ev->sequence);
        s->type.push_back(ev->type);
    }
    size_t count()
    {
        std::lock_guard<std::mutex> g(mu);
        return seq.size();
    }
};

} // namespace

TEST_CASE("an emitted event reaches the pull queue as protobuf", "[events]")
{
    Mgr M;
    vmaccel_buf b = {nullptr, 0};
    CHECK(vmaccel_event_next(M.m, 0, &b) == VMACCEL_EAGAIN);
    auto t0 = Clock::now();
    CHECK(vmaccel_event_next(M.m, 30, &b) == VMACCEL_ETIMEDOUT);
    CHECK(Clock::now() - t0 >= 30ms);
    CHECK(b.data == nullptr);

    Vmaccel__V1__Placement pl = VMACCEL__V1__PLACEMENT__INIT;
    pl.vm_id = 7;
    pl.strategy = (char *)"local_first";
    Vmaccel__V1__Event ev = VMACCEL__V1__EVENT__INIT;
    ev.type = VMACCEL__V1__EVENT_TYPE__EVENT_TYPE_REBALANCE_PLANNED;
    ev.vm_id = 7;
    ev.local_rate = 0.25;
    ev.message = (char *)"move 2 vCPUs to node 1";
    ev.placement = &pl;
    ev.sequence = 99; // ignored: the library numbers events
    REQUIRE(va_event_emit(M.m, &ev) == 0);
    M.emit(VMACCEL_EVENT_VM_GONE, 7, "pid 12 exited");

    Vmaccel__V1__Event *a = next(M.m);
    REQUIRE(a != nullptr);
    CHECK(a->sequence == 1);
    CHECK(a->type == VMACCEL__V1__EVENT_TYPE__EVENT_TYPE_REBALANCE_PLANNED);
    CHECK(a->vm_id == 7);
    CHECK(a->local_rate == 0.25);
    CHECK(std::string(a->message) == "move 2 vCPUs to node 1");
    REQUIRE(a->placement != nullptr);
    CHECK(std::string(a->placement->strategy) == "local_first");
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    CHECK(a->timestamp_ns > 0);
    CHECK(a->timestamp_ns <= (uint64_t)now.tv_sec * 1000000000u + now.tv_nsec);
    Vmaccel__V1__Event *g = next(M.m, 1000);
    REQUIRE(g != nullptr);
    CHECK(g->sequence == 2);
    CHECK(g->timestamp_ns >= a->timestamp_ns);
    CHECK(g->type == VMACCEL__V1__EVENT_TYPE__EVENT_TYPE_VM_GONE);
    vmaccel__v1__event__free_unpacked(a, nullptr);
    vmaccel__v1__event__free_unpacked(g, nullptr);
    CHECK(vmaccel_event_next(M.m, 0, &b) == VMACCEL_EAGAIN);
}

TEST_CASE("bad emits and bad pull arguments are rejected", "[events]")
{
    Mgr M;
    Vmaccel__V1__Event ev = VMACCEL__V1__EVENT__INIT; // type UNSPECIFIED
    CHECK(va_event_emit(M.m, &ev) == VMACCEL_EINVAL);
    ev.type = (Vmaccel__V1__EventType)42;
    CHECK(va_event_emit(M.m, &ev) == VMACCEL_EINVAL);
    CHECK(va_event_emit(M.m, nullptr) == VMACCEL_EINVAL);
    vmaccel_buf b;
    CHECK(vmaccel_event_next(M.m, -1, &b) == VMACCEL_EINVAL);
    CHECK(vmaccel_event_next(M.m, VMACCEL_EVENT_MAX_WAIT_MS + 1, &b) == VMACCEL_EINVAL);
    CHECK(vmaccel_event_next(M.m, 0, nullptr) == VMACCEL_EINVAL);
    CHECK(M.stats().emitted == 0);
}

TEST_CASE("a successful emit keeps the caller's error message", "[events]")
{
    Mgr M;
    vmaccel_buf b;
    REQUIRE(vmaccel_event_next(M.m, 0, &b) == VMACCEL_EAGAIN);
    std::string before = vmaccel_error_last();
    REQUIRE_FALSE(before.empty());
    M.emit(VMACCEL_EVENT_REBALANCE_FAILED, 1, "cpuset refused"); // loop stopped
    uint64_t id;
    REQUIRE(vmaccel_subscribe(M.m, VMACCEL_EVENT_MASK_ALL, Seen::cb, nullptr, &id) == 0);
    REQUIRE(vmaccel_event_next(M.m, 0, &b) == 0);
    vmaccel_buf_free(&b);
    REQUIRE(vmaccel_event_next(M.m, 0, &b) == VMACCEL_EAGAIN);
    M.emit(VMACCEL_EVENT_REBALANCE_FAILED, 1, "again");  // backlog, loop stopped
    CHECK(std::string(vmaccel_error_last()) == before);
}

TEST_CASE("a consumer waiting in event_next wakes when the loop thread emits", "[events]")
{
    Mgr M;
    REQUIRE(vmaccel_manager_start(M.m) == 0);
    va_timer *t = M.tick_every(50);
    auto t0 = Clock::now();
    Vmaccel__V1__Event *ev = next(M.m, 10000);
    REQUIRE(ev != nullptr);
    CHECK(Clock::now() - t0 >= 40ms); // waited for the timer, no busy return
    CHECK(ev->type == VMACCEL__V1__EVENT_TYPE__EVENT_TYPE_LOCALITY_CHANGED);
    vmaccel__v1__event__free_unpacked(ev, nullptr);
    REQUIRE(va_loop_remove_timer(va_manager_loop(M.m), t) == 0);
}

#if defined(_WIN32)
TEST_CASE("Windows has no event fd: ENOTSUP naming the waiting call", "[events]")
{
    Mgr M;
    int fd = 7;
    CHECK(vmaccel_events_fd(M.m, &fd) == VMACCEL_ENOTSUP);
    CHECK(fd == 7);
    CHECK(std::string(vmaccel_error_last()).find("vmaccel_event_next") != std::string::npos);
}
#else
TEST_CASE("the fd is readable exactly while events are queued", "[events]")
{
    Mgr M;
    int fd = -1, fd2 = -2;
    REQUIRE(vmaccel_events_fd(M.m, &fd) == 0);
    REQUIRE(vmaccel_events_fd(M.m, &fd2) == 0);
    CHECK(fd == fd2);
    CHECK(fd >= 0);
    CHECK_FALSE(readable(fd));
    M.emit(VMACCEL_EVENT_VM_ATTACHED, 1);
    CHECK(readable(fd));
    M.emit(VMACCEL_EVENT_VM_ATTACHED, 2);
    CHECK(readable(fd));
    vmaccel_buf b;
    REQUIRE(vmaccel_event_next(M.m, 0, &b) == 0);
    vmaccel_buf_free(&b);
    CHECK(readable(fd)); // one left
    REQUIRE(vmaccel_event_next(M.m, 0, &b) == 0);
    vmaccel_buf_free(&b);
    CHECK_FALSE(readable(fd));

    // A consumer blocked in poll() wakes when the loop thread emits.
    REQUIRE(vmaccel_manager_start(M.m) == 0);
    va_timer *t = M.tick_every(5);
    struct pollfd p = {fd, POLLIN, 0};
    REQUIRE(poll(&p, 1, 10000) == 1);
    Vmaccel__V1__Event *ev = next(M.m);
    REQUIRE(ev != nullptr);
    CHECK(ev->type == VMACCEL__V1__EVENT_TYPE__EVENT_TYPE_LOCALITY_CHANGED);
    vmaccel__v1__event__free_unpacked(ev, nullptr);
    REQUIRE(va_loop_remove_timer(va_manager_loop(M.m), t) == 0);
}
#endif

TEST_CASE("a full queue drops its oldest events and counts them", "[events]")
{
    Mgr M;
    Seen seen;
    seen.loop = va_manager_loop(M.m);
    uint64_t id;
    REQUIRE(vmaccel_subscribe(M.m, VMACCEL_EVENT_MASK_ALL, Seen::cb, &seen, &id) == 0);
    REQUIRE(vmaccel_manager_start(M.m) == 0);
    const int n = VA_EVENTS_QUEUE_CAP + 44;
    for (int i = 0; i < n; i++) // nobody reads the queue
        M.emit(VMACCEL_EVENT_LOCALITY_CHANGED, (uint64_t)i);
    vmaccel_event_stats s = M.stats();
    CHECK(s.emitted == (uint64_t)n);
    CHECK(s.queue_dropped == 44);
    CHECK(s.queue_length == VA_EVENTS_QUEUE_CAP);
    CHECK(s.queue_capacity == VA_EVENTS_QUEUE_CAP);
    // The loop kept going: the callback got every event.
    REQUIRE(eventually([&] { return seen.count() == (size_t)n; }));
    CHECK(M.stats().callback_dropped == 0);
    // The queue kept the newest: sequence 45 on.
    Vmaccel__V1__Event *ev = next(M.m);
    REQUIRE(ev != nullptr);
    CHECK(ev->sequence == 45);
    vmaccel__v1__event__free_unpacked(ev, nullptr);
    int left = 0;
    while ((ev = next(M.m))) {
        left++;
        vmaccel__v1__event__free_unpacked(ev, nullptr);
    }
    CHECK(left == VA_EVENTS_QUEUE_CAP - 1);
}

TEST_CASE("callbacks run on the loop thread, filtered by mask, in order", "[events]")
{
    Mgr M;
    Seen all, gone;
    all.loop = gone.loop = va_manager_loop(M.m);
    uint64_t a, g;
    REQUIRE(vmaccel_subscribe(M.m, VMACCEL_EVENT_MASK_ALL, Seen::cb, &all, &a) == 0);
    REQUIRE(vmaccel_subscribe(M.m, VMACCEL_EVENT_MASK(VMACCEL_EVENT_VM_GONE),
                              Seen::cb, &gone, &g) == 0);
    CHECK(a != 0);
    CHECK(g != a);
    CHECK(M.stats().subscribers == 2);
    // Emitted while stopped: delivered once the loop starts.
    M.emit(VMACCEL_EVENT_VM_ATTACHED, 1);
    M.emit(VMACCEL_EVENT_VM_GONE, 1);
    std::this_thread::sleep_for(20ms);
    CHECK(all.count() == 0);
    REQUIRE(vmaccel_manager_start(M.m) == 0);
    M.emit(VMACCEL_EVENT_TOPOLOGY_CHANGED);
    REQUIRE(eventually([&] { return all.count() == 3; }));
    REQUIRE(eventually([&] { return gone.count() == 1; }));
    CHECK(all.seq == std::vector<uint64_t>{1, 2, 3});
    CHECK(all.type == std::vector<int>{VMACCEL_EVENT_VM_ATTACHED, VMACCEL_EVENT_VM_GONE,
                                       VMACCEL_EVENT_TOPOLOGY_CHANGED});
    CHECK(gone.seq == std::vector<uint64_t>{2});
    CHECK(all.off_loop == 0);
    CHECK(gone.off_loop == 0);
    CHECK(vmaccel_unsubscribe(M.m, g) == 0);
    CHECK(vmaccel_unsubscribe(M.m, g) == VMACCEL_ENOENT);
    CHECK(M.stats().subscribers == 1);
}

TEST_CASE("subscriptions see only events emitted after them", "[events]")
{
    Mgr M;
    M.emit(VMACCEL_EVENT_VM_ATTACHED, 1); // before anyone subscribed
    Seen s;
    s.loop = va_manager_loop(M.m);
    uint64_t id;
    REQUIRE(vmaccel_subscribe(M.m, VMACCEL_EVENT_MASK_ALL, Seen::cb, &s, &id) == 0);
    M.emit(VMACCEL_EVENT_VM_GONE, 1);
    REQUIRE(vmaccel_manager_start(M.m) == 0);
    REQUIRE(eventually([&] { return s.count() == 1; }));
    std::this_thread::sleep_for(10ms);
    CHECK(s.seq == std::vector<uint64_t>{2});
}

namespace {

// A callback that subscribes a second one and unsubscribes itself the
// first time it runs.
struct Chain {
    vmaccel_manager *m;
    uint64_t self = 0, other = 0;
    std::atomic<int> calls{0};
    std::atomic<int> sub_rc{1}, unsub_rc{1}, stop_rc{1};
    Seen second;
    static void cb(const vmaccel_event *, void *user)
    {
        auto *c = static_cast<Chain *>(user);
        if (c->calls == 0) {
            c->sub_rc = vmaccel_subscribe(c->m, VMACCEL_EVENT_MASK_ALL, Seen::cb,
                                          &c->second, &c->other);
            c->unsub_rc = vmaccel_unsubscribe(c->m, c->self);
            c->stop_rc = vmaccel_manager_stop(c->m);
        }
        c->calls++; // last: the test emits the second one's events once it sees this
    }
};

} // namespace

TEST_CASE("subscribe, unsubscribe and stop from inside a callback", "[events]")
{
    Mgr M;
    Chain c;
    c.m = M.m;
    c.second.loop = va_manager_loop(M.m);
    REQUIRE(vmaccel_subscribe(M.m, VMACCEL_EVENT_MASK_ALL, Chain::cb, &c, &c.self) == 0);
    REQUIRE(vmaccel_manager_start(M.m) == 0);
    M.emit(VMACCEL_EVENT_VM_ATTACHED, 1);
    REQUIRE(eventually([&] { return c.calls >= 1; }));
    M.emit(VMACCEL_EVENT_VM_ATTACHED, 2);
    M.emit(VMACCEL_EVENT_VM_ATTACHED, 3);
    REQUIRE(eventually([&] { return c.second.count() == 2; }));
    std::this_thread::sleep_for(10ms);
    CHECK(c.calls == 1); // unsubscribed itself: never called again
    CHECK(c.sub_rc == 0);
    CHECK(c.unsub_rc == 0);
    CHECK(c.stop_rc == VMACCEL_ESTATE); // cannot join itself
    int running = 0;
    REQUIRE(vmaccel_manager_running(M.m, &running) == 0);
    CHECK(running == 1);
    CHECK(c.second.seq == std::vector<uint64_t>{2, 3}); // not event 1
}

TEST_CASE("unsubscribe from another thread waits for the running callback",
          "[events]")
{
    Mgr M;
    struct Slow {
        std::atomic<bool> entered{false}, finished{false};
    } slow;
    uint64_t id;
    REQUIRE(vmaccel_subscribe(M.m, VMACCEL_EVENT_MASK_ALL, [](const vmaccel_event *, void *u) {
        auto *s = static_cast<Slow *>(u);
        s->entered = true;
        std::this_thread::sleep_for(100ms);
        s->finished = true;
    }, &slow, &id) == 0);
    REQUIRE(vmaccel_manager_start(M.m) == 0);
    M.emit(VMACCEL_EVENT_VM_ATTACHED, 1);
    REQUIRE(eventually([&] { return slow.entered.load(); }));
    REQUIRE(vmaccel_unsubscribe(M.m, id) == 0);
    CHECK(slow.finished); // returned only after the callback did
}

TEST_CASE("a blocked callback never blocks emitters, its backlog is bounded",
          "[events]")
{
    Mgr M;
    struct Gate {
        std::mutex mu;
        std::condition_variable cv;
        bool open = false;
        std::atomic<int> calls{0};
    } gate;
    uint64_t id;
    REQUIRE(vmaccel_subscribe(M.m, VMACCEL_EVENT_MASK_ALL, [](const vmaccel_event *, void *u) {
        auto *g = static_cast<Gate *>(u);
        g->calls++;
        std::unique_lock<std::mutex> lk(g->mu);
        g->cv.wait(lk, [&] { return g->open; });
    }, &gate, &id) == 0);
    REQUIRE(vmaccel_manager_start(M.m) == 0);
    M.emit(VMACCEL_EVENT_VM_ATTACHED, 0);
    REQUIRE(eventually([&] { return gate.calls == 1; })); // now stuck
    const int n = VA_EVENTS_BACKLOG_CAP + 100;
    for (int i = 0; i < n; i++) // must all return although the loop is stuck
        M.emit(VMACCEL_EVENT_LOCALITY_CHANGED, (uint64_t)i);
    vmaccel_event_stats s = M.stats();
    CHECK(s.callback_dropped == 100);
    CHECK(s.emitted == (uint64_t)n + 1);
    // The pull queue is independent of the stuck loop.
    vmaccel_buf b;
    REQUIRE(vmaccel_event_next(M.m, 0, &b) == 0);
    vmaccel_buf_free(&b);
    {
        std::lock_guard<std::mutex> g(gate.mu);
        gate.open = true;
    }
    gate.cv.notify_all();
    REQUIRE(eventually([&] { return gate.calls == VA_EVENTS_BACKLOG_CAP + 1; }));
}

TEST_CASE("emitters on many threads get distinct, ordered sequences", "[events]")
{
    Mgr M;
    Seen s;
    s.loop = va_manager_loop(M.m);
    uint64_t id;
    REQUIRE(vmaccel_subscribe(M.m, VMACCEL_EVENT_MASK_ALL, Seen::cb, &s, &id) == 0);
    REQUIRE(vmaccel_manager_start(M.m) == 0);
    std::atomic<int> failures{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; t++)
        ts.emplace_back([&] {
            for (int i = 0; i < 200; i++)
                if (va_event_emitf(M.m, VMACCEL_EVENT_LOCALITY_CHANGED, 1, 0.1, "t") != 0)
                    failures++;
        });
    // A consumer draining the queue at the same time. It may fall behind the
    // four emitters; the full queue then drops the oldest events, which the
    // stats count, so pulled + dropped accounts for every emit.
    std::atomic<int> pulled{0};
    auto accounted = [&] {
        vmaccel_event_stats st = VMACCEL_EVENT_STATS_INIT;
        return vmaccel_event_stats_get(M.m, &st) == 0 &&
               pulled + st.queue_dropped >= 800;
    };
    std::thread consumer([&] {
        uint64_t last = 0;
        auto until = Clock::now() + 60s;
        while (!accounted() && Clock::now() < until) {
            Vmaccel__V1__Event *ev = next(M.m, 200);
            if (!ev)
                continue;
            if (ev->sequence <= last)
                failures++;
            last = ev->sequence;
            pulled++;
            vmaccel__v1__event__free_unpacked(ev, nullptr);
        }
    });
    for (auto &t : ts)
        t.join();
    consumer.join();
    CHECK(failures == 0);
    CHECK(accounted());
    CHECK(pulled > 0);
    REQUIRE(eventually([&] { return s.count() == 800; }));
    for (size_t i = 0; i < s.seq.size(); i++)
        CHECK(s.seq[i] == i + 1);
}

TEST_CASE("the last events are kept for the report", "[events]")
{
    Mgr M;
    va_arena a = VA_ARENA_INIT;
    Vmaccel__V1__Event **list = nullptr;
    size_t n = 99;
    REQUIRE(va_events_recent(M.m, &a, &list, &n) == 0);
    CHECK(n == 0);
    CHECK(list == nullptr);
    for (int i = 1; i <= VA_EVENTS_RECENT + 5; i++)
        M.emit(VMACCEL_EVENT_LOCALITY_CHANGED, (uint64_t)i);
    vmaccel_buf b;
    while (vmaccel_event_next(M.m, 0, &b) == 0) // reading the queue changes nothing
        vmaccel_buf_free(&b);
    REQUIRE(va_events_recent(M.m, &a, &list, &n) == 0);
    REQUIRE(n == VA_EVENTS_RECENT);
    for (size_t i = 0; i < n; i++) {
        CHECK(list[i]->sequence == i + 6);
        CHECK(list[i]->vm_id == i + 6);
        CHECK(std::string(list[i]->message) == "x");
    }
    va_arena_free(&a);
}

TEST_CASE("freeing a running manager with subscribers and queued events",
          "[events]")
{
    auto *M = new Mgr;
    Seen s;
    s.loop = va_manager_loop(M->m);
    uint64_t id;
    REQUIRE(vmaccel_subscribe(M->m, VMACCEL_EVENT_MASK_ALL, Seen::cb, &s, &id) == 0);
    REQUIRE(vmaccel_manager_start(M->m) == 0);
    for (int i = 0; i < 50; i++)
        M->emit(VMACCEL_EVENT_VM_ATTACHED, (uint64_t)i);
    delete M; // stops the loop, frees queues and subscriptions (LSan checks)
    CHECK(s.off_loop == 0);
}
