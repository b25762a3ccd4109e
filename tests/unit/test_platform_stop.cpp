// The platform seam's thread_stop/thread_resume on the real kernel
// (ptrace): a stopped thread makes no progress, runs again when let go or
// when its tracer exits, and keeps the signals sent to it meanwhile.
#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

extern "C" {
#include "platform/platform.h"
#include "vmaccel/common.h"
}

namespace {

// Shared with the forked child: it counts as fast as it can, and counts
// the SIGUSR1s it gets.
struct Shared {
    uint64_t spins;
    uint64_t signals;
    int helper_done;
};

Shared *shared_page()
{
    void *m = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
    REQUIRE(m != MAP_FAILED);
    return static_cast<Shared *>(m);
}

Shared *g_shared;

void on_usr1(int)
{
    __atomic_add_fetch(&g_shared->signals, 1, __ATOMIC_RELAXED);
}

// A child process whose one thread spins; returns its pid (its thread's
// tid too).
pid_t spinner(Shared *sh)
{
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        g_shared = sh;
        signal(SIGUSR1, on_usr1);
        for (;;)
            __atomic_add_fetch(&sh->spins, 1, __ATOMIC_RELAXED);
    }
    while (__atomic_load_n(&sh->spins, __ATOMIC_RELAXED) == 0)
        usleep(1000);
    return pid;
}

uint64_t spins(const Shared *sh)
{
    return __atomic_load_n(&sh->spins, __ATOMIC_RELAXED);
}

bool grows(const Shared *sh)
{
    uint64_t a = spins(sh);
    for (int i = 0; i < 2000; i++) {
        usleep(1000);
        if (spins(sh) != a)
            return true;
    }
    return false;
}

void end(pid_t pid, Shared *sh)
{
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    munmap(sh, sizeof *sh);
}

} // namespace

TEST_CASE("linux: a stopped thread makes no progress until let go", "[platform][stop]")
{
    const va_platform *p = va_platform_linux();
    Shared *sh = shared_page();
    pid_t pid = spinner(sh);
    int sig = -1;
    REQUIRE(p->thread_stop(p, pid, pid, &sig) == 0);
    CHECK(sig == 0);
    uint64_t a = spins(sh);
    usleep(50000);
    CHECK(spins(sh) == a);
    // One tracer at a time: a second stop is refused, clearly.
    int sig2 = 0;
    CHECK(p->thread_stop(p, pid, pid, &sig2) == VMACCEL_EPERM);
    CHECK(std::string(vmaccel_error_last()).find("PTRACE_SEIZE") != std::string::npos);
    // A signal sent meanwhile waits, and is delivered once let go.
    kill(pid, SIGUSR1);
    usleep(20000);
    CHECK(__atomic_load_n(&sh->signals, __ATOMIC_RELAXED) == 0);
    REQUIRE(p->thread_resume(p, pid, sig) == 0);
    CHECK(grows(sh));
    for (int i = 0; i < 2000 && __atomic_load_n(&sh->signals, __ATOMIC_RELAXED) == 0; i++)
        usleep(1000);
    CHECK(__atomic_load_n(&sh->signals, __ATOMIC_RELAXED) == 1);
    // Let go twice: the thread is no longer ours.
    CHECK(p->thread_resume(p, pid, 0) == VMACCEL_EGONE);
    end(pid, sh);
}

TEST_CASE("linux: a thread runs again when the process that stopped it exits",
          "[platform][stop]")
{
    const va_platform *p = va_platform_linux();
    Shared *sh = shared_page();
    // The helper forks the spinner (its child, so ptrace is allowed under
    // any yama scope), stops it and exits without letting it go.
    pid_t helper = fork();
    REQUIRE(helper >= 0);
    if (helper == 0) {
        pid_t pid = spinner(sh);
        int sig = 0;
        int rc = p->thread_stop(p, pid, pid, &sig);
        __atomic_store_n(&sh->helper_done, rc == 0 ? pid : -1, __ATOMIC_RELAXED);
        _exit(0);
    }
    REQUIRE(waitpid(helper, nullptr, 0) == helper);
    pid_t pid = __atomic_load_n(&sh->helper_done, __ATOMIC_RELAXED);
    REQUIRE(pid > 0);
    CHECK(grows(sh));
    kill(pid, SIGKILL); // not our child: init reaps it
    munmap(sh, sizeof *sh);
}

TEST_CASE("linux: a stopped thread killed meanwhile is reaped, not left a zombie",
          "[platform][stop]")
{
    const va_platform *p = va_platform_linux();
    Shared *sh = shared_page();
    pid_t pid = spinner(sh);
    int sig = 0;
    REQUIRE(p->thread_stop(p, pid, pid, &sig) == 0);
    kill(pid, SIGKILL); // the VM dies while its vCPU is stopped
    usleep(20000);
    CHECK(p->thread_resume(p, pid, sig) == VMACCEL_EGONE);
    // The tracer's wait took its exit: nothing is left to reap.
    CHECK(waitpid(pid, nullptr, WNOHANG) == -1);
    CHECK(errno == ECHILD);
    munmap(sh, sizeof *sh);
}

TEST_CASE("linux: stopping a thread that does not exist says so", "[platform][stop]")
{
    const va_platform *p = va_platform_linux();
    int sig = 0;
    // pid_max is at most 2^22: this tid never exists.
    CHECK(p->thread_stop(p, 1 << 23, 1 << 23, &sig) == VMACCEL_EGONE);
    CHECK(p->thread_resume(p, 1 << 23, 0) == VMACCEL_EGONE);
}
