// The platform seam's memory operations: the real kernel and the sim.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

extern "C" {
#include "platform/sim_numa.h"
#include "vmaccel/common.h"
}

TEST_CASE("linux: move_pages reports where our pages are", "[platform][mem]")
{
    const va_platform *p = va_platform_linux();
    const size_t n = 8, page = 4096;
    auto *buf = static_cast<unsigned char *>(
        mmap(nullptr, n * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    REQUIRE(buf != MAP_FAILED);
    memset(buf, 1, (n - 1) * page); // the last page is never touched
    std::vector<void *> pages(n);
    for (size_t i = 0; i < n; i++)
        pages[i] = buf + i * page;
    std::vector<int> status(n, 99);
    REQUIRE(p->move_pages(p, getpid(), n, pages.data(), nullptr, status.data()) == 0);
    for (size_t i = 0; i + 1 < n; i++)
        CHECK(status[i] == 0); // this host has node 0 only
    CHECK(status[n - 1] == -ENOENT);
    // Moving to the node they are on is a no-op that succeeds.
    std::vector<int> nodes(n - 1, 0);
    REQUIRE(p->move_pages(p, getpid(), n - 1, pages.data(), nodes.data(), status.data()) == 0);
    CHECK(status[0] == 0);
    munmap(buf, n * page);
    void *unmapped[1] = {buf};
    REQUIRE(p->move_pages(p, getpid(), 1, unmapped, nullptr, status.data()) == 0);
    CHECK(status[0] == -EFAULT);
}

TEST_CASE("linux: node files and the clock", "[platform][mem]")
{
    const va_platform *p = va_platform_linux();
    char *text = nullptr;
    size_t len = 0;
    REQUIRE(p->read_node(p, 0, "numastat", &text, &len) == 0);
    CHECK(std::string(text).find("numa_hit") != std::string::npos);
    free(text);
    CHECK(p->read_node(p, 4095, "numastat", &text, &len) == VMACCEL_ENOENT);
    CHECK(p->read_node(p, 0, "../../cpu/online", &text, &len) == VMACCEL_EINVAL);
    uint64_t a = p->now_ns(p);
    usleep(1000);
    CHECK(p->now_ns(p) - a >= 1000000u);
}

TEST_CASE("sim: pages live on nodes, move, and fail when told", "[platform][mem]")
{
    va_sim *s = nullptr;
    REQUIRE(va_sim_new("0-3", &s) == 0);
    const va_platform *p = va_sim_platform(s);
    const uint64_t base = 0x40000000;
    REQUIRE(va_sim_map(s, 100, base, 64 * VA_SIM_PAGE, 1) == 0);
    REQUIRE(va_sim_place(s, 100, base, 16 * VA_SIM_PAGE, 0) == 0);
    uint64_t counts[2];
    REQUIRE(va_sim_count_pages(s, 100, 2, counts) == 0);
    CHECK(counts[0] == 16);
    CHECK(counts[1] == 48);

    void *pages[3] = {(void *)(uintptr_t)base, (void *)(uintptr_t)(base + 20 * VA_SIM_PAGE),
                      (void *)(uintptr_t)(base + 64 * VA_SIM_PAGE)};
    int status[3];
    REQUIRE(p->move_pages(p, 100, 3, pages, nullptr, status) == 0);
    CHECK(status[0] == 0);
    CHECK(status[1] == 1);
    CHECK(status[2] == -EFAULT); // past the region
    CHECK(p->move_pages(p, 101, 1, pages, nullptr, status) == 0);
    CHECK(status[0] == -EFAULT); // another pid has no such mapping

    std::vector<void *> all(48);
    std::vector<int> to(48, 0), st(48);
    for (int i = 0; i < 48; i++)
        all[i] = (void *)(uintptr_t)(base + (16 + i) * VA_SIM_PAGE);
    va_sim_fail_moves(s, 4, EBUSY);
    REQUIRE(p->move_pages(p, 100, 48, all.data(), to.data(), st.data()) == 0);
    int busy = 0;
    for (int v : st)
        busy += v == -EBUSY;
    CHECK(busy == 12);
    CHECK(va_sim_pages_moved(s) == 36);
    REQUIRE(va_sim_count_pages(s, 100, 2, counts) == 0);
    CHECK(counts[0] == 52);

    uint64_t t0 = p->now_ns(p);
    va_sim_advance(s, 2500);
    CHECK(p->now_ns(p) == t0 + 2500);
    REQUIRE(va_sim_set_node_file(s, 1, "numastat", "numa_hit 5\nnuma_miss 7\n") == 0);
    char *text = nullptr;
    size_t len = 0;
    REQUIRE(p->read_node(p, 1, "numastat", &text, &len) == 0);
    CHECK(std::string(text, len) == "numa_hit 5\nnuma_miss 7\n");
    free(text);
    CHECK(p->read_node(p, 0, "numastat", &text, &len) == VMACCEL_ENOENT);
    CHECK(va_sim_map(s, 100, base + 1, VA_SIM_PAGE, 0) == VMACCEL_EINVAL);
    va_sim_free(s);
}
