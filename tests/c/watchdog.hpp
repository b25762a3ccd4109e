// A deadlock in a concurrency test must be a failed test, not a CI timeout:
// Watchdog aborts the process (naming the test) if it is still alive after
// `limit`. Header-only, for the Catch2 tests under tests/c.
#ifndef VMACCEL_TEST_WATCHDOG_HPP
#define VMACCEL_TEST_WATCHDOG_HPP

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

struct Watchdog {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    std::thread t;
    Watchdog(const char *name, std::chrono::seconds limit)
    {
        t = std::thread([this, name, limit] {
            std::unique_lock<std::mutex> l(mu);
            if (!cv.wait_for(l, limit, [this] { return done; })) {
                std::fprintf(stderr, "%s: not done after %lld s: deadlock\n", name,
                             (long long)limit.count());
                std::abort();
            }
        });
    }
    ~Watchdog()
    {
        {
            std::lock_guard<std::mutex> g(mu);
            done = true;
        }
        cv.notify_all();
        t.join();
    }
};

#endif
