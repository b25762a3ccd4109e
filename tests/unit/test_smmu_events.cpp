// IOTLB repartitioning decisions of the manager's SMMU model reach the
// event pipeline (VMACCEL_EVENT_IOTLB_REPARTITIONED) and the statistics the
// report reads (va_smmu_stats_snapshot).
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "smmu/smmu_report.h"
#include "vmaccel.pb-c.h"
#include <vmaccel/vmaccel.h>
}

namespace {

const uint64_t BASE = 0x40000000;
std::vector<uint8_t> ram(4 << 20);
uint64_t next_page = BASE + 0x1000;

int rd(void *, uint64_t a, void *buf, size_t n)
{
    if (a < BASE || a - BASE + n > ram.size())
        return -1;
    memcpy(buf, &ram[a - BASE], n);
    return 0;
}

uint64_t r64(uint64_t a) { uint64_t v; memcpy(&v, &ram[a - BASE], 8); return v; }
void w64(uint64_t a, uint64_t v) { memcpy(&ram[a - BASE], &v, 8); }

// 39-bit 4K stage-1 tables (levels 1-3), AP=01, AF.
void map(uint64_t root, uint64_t va, uint64_t pa)
{
    uint64_t t = root;
    for (int level = 1; level < 3; level++) {
        uint64_t slot = t + 8 * ((va >> (12 + 9 * (3 - level))) & 511);
        if ((r64(slot) & 3) != 3) {
            w64(slot, next_page | 3);
            next_page += 0x1000;
        }
        t = r64(slot) & 0xfffffffff000ull;
    }
    w64(t + 8 * ((va >> 12) & 511), pa | 3 | 1 << 6 | 1 << 10);
}

uint64_t new_root() { uint64_t r = next_page; next_page += 0x1000; return r; }

void attach(vmaccel_smmu *s, uint32_t sid, uint64_t root, uint16_t asid)
{
    vmaccel_smmu_domain d;
    vmaccel_smmu_domain_init(&d);
    d.mode = VMACCEL_SMMU_MODE_S1;
    d.s1_ttb0 = root;
    d.s1_t0sz = 25;
    d.asid = asid;
    REQUIRE(vmaccel_smmu_attach(s, sid, &d) == 0);
}

} // namespace

TEST_CASE("the manager's model reports repartitioning as events and statistics",
          "[smmu][events]")
{
    vmaccel_manager *m;
    REQUIRE(vmaccel_manager_new(nullptr, &m) == 0);
    REQUIRE(vmaccel_manager_init_smmu(m) == 0);
    vmaccel_smmu *s;
    REQUIRE(vmaccel_manager_smmu(m, &s) == 0);
    va_smmu_set_manager(s, m);
    vmaccel_smmu_memory mem = VMACCEL_SMMU_MEMORY_INIT;
    mem.read = rd;
    REQUIRE(vmaccel_smmu_set_memory(s, &mem) == 0);
    uint64_t hot = new_root(), stream = new_root();
    for (uint64_t p = 0; p < 64; p++)
        map(hot, p << 12, 0x80000000 + (p << 12));
    for (uint64_t p = 0; p < 8192; p++)
        map(stream, p << 12, 0x90000000 + (p << 12));
    attach(s, 1, hot, 1);
    attach(s, 2, stream, 2);
    vmaccel_smmu_result r;
    for (int round = 0; round < 20000; round++) {
        REQUIRE(vmaccel_smmu_translate(s, 1, VMACCEL_SMMU_NO_SSID,
                                       (uint64_t)(round % 64) << 12, VMACCEL_SMMU_READ, &r) == 0);
        REQUIRE(vmaccel_smmu_translate(s, 2, VMACCEL_SMMU_NO_SSID,
                                       (uint64_t)(round % 8192) << 12, VMACCEL_SMMU_READ, &r) == 0);
    }
    REQUIRE(vmaccel_smmu_repartition(s) == 0);

    int seen = 0;
    std::string msg;
    vmaccel_buf buf = {nullptr, 0};
    while (vmaccel_event_next(m, 0, &buf) == 0) {
        Vmaccel__V1__Event *ev = vmaccel__v1__event__unpack(nullptr, buf.len, buf.data);
        REQUIRE(ev);
        if (ev->type == VMACCEL__V1__EVENT_TYPE__EVENT_TYPE_IOTLB_REPARTITIONED) {
            seen++;
            msg = ev->message;
        }
        vmaccel__v1__event__free_unpacked(ev, nullptr);
        vmaccel_buf_free(&buf);
    }
    CHECK(seen >= 1);
    CHECK(msg.find("sid 1=") != std::string::npos);
    CHECK(msg.find("sid 2=") != std::string::npos);

    vmaccel_smmu_stream_stats st[4];
    size_t n = 0, total = 0;
    unsigned cap = 0;
    REQUIRE(va_smmu_stats_snapshot(s, &cap, st, 4, &n, &total) == 0);
    REQUIRE(n == 2);
    CHECK(total == 2);
    CHECK(cap == 4096); // the default
    CHECK(st[0].sid == 1);
    CHECK(st[1].sid == 2);
    CHECK(st[0].hits + st[0].misses == 20000);
    CHECK(st[0].misses == 64);           // the hot set fits: compulsory misses only
    CHECK(st[0].iotlb_quota >= 64);
    CHECK(st[0].iotlb_quota + st[1].iotlb_quota <= cap);
    vmaccel_manager_free(m);
}
