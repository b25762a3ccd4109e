// Reading a QEMU command line's guest NUMA nodes and finding each memory
// backend's mapping (vmm/qemu_numa.h), and the cells a VM gets from them.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

extern "C" {
#include "vmm/qemu_numa.h"
#include "vmaccel/vmaccel.h"
}

namespace {

std::string cmdline(std::vector<std::string> args)
{
    std::string s;
    for (auto &a : args)
        s += a + '\0';
    return s;
}

int parse(const std::string &s, va_qemu_numa &q)
{
    return va_qemu_parse_numa(s.data(), s.size(), &q);
}

const char *const TWO_NODES[] = {
    "qemu-system-x86_64", "-m", "320M", "-smp", "4",
    "-object", "memory-backend-ram,id=m0,size=128M",
    "-object", "memory-backend-ram,id=m1,size=192M",
    "-numa", "node,nodeid=0,cpus=0-1,memdev=m0",
    "-numa", "node,nodeid=1,cpus=2,cpus=3,memdev=m1",
    "-numa", "dist,src=0,dst=1,val=21"};

} // namespace

TEST_CASE("qemu numa: nodes, their cpus and their backends", "[vmm][qemu_numa]")
{
    va_qemu_numa q;
    REQUIRE(parse(cmdline({std::begin(TWO_NODES), std::end(TWO_NODES)}), q) == 0);
    REQUIRE(q.nnodes == 2);
    REQUIRE(q.nbackends == 2);
    CHECK(q.backends[0].size == 128ull << 20);
    CHECK(q.backends[1].size == 192ull << 20);
    CHECK(q.nodes[0].backend == 0);
    CHECK(q.nodes[1].backend == 1);
    CHECK(va_qemu_node_has_cpu(&q.nodes[0], 1));
    CHECK_FALSE(va_qemu_node_has_cpu(&q.nodes[0], 2));
    CHECK(va_qemu_node_has_cpu(&q.nodes[1], 2));
    CHECK(va_qemu_node_has_cpu(&q.nodes[1], 3));
}

TEST_CASE("qemu numa: libvirt's JSON -object form", "[vmm][qemu_numa]")
{
    va_qemu_numa q;
    auto s = cmdline({"qemu", "-object",
                      "{\"qom-type\":\"memory-backend-ram\",\"id\":\"ram-node0\",\"size\":536870912}",
                      "-numa", "node,nodeid=0,cpus=0-3,memdev=ram-node0"});
    REQUIRE(parse(s, q) == 0);
    REQUIRE(q.nnodes == 1);
    CHECK(q.backends[0].size == 512ull << 20);
}

TEST_CASE("qemu numa: no guest nodes is not an error", "[vmm][qemu_numa]")
{
    va_qemu_numa q;
    CHECK(parse(cmdline({"qemu", "-m", "1G", "-smp", "2"}), q) == 0);
    CHECK(q.nnodes == 0);
    CHECK(parse(cmdline({"qemu", "-numa", "node,cpus=0-1", "-numa", "node,cpus=2-3"}), q) == 0);
    CHECK(q.nnodes == 0); // nodes without memory of their own
    CHECK(parse(std::string(), q) == 0);
}

TEST_CASE("qemu numa: layouts it cannot read say why", "[vmm][qemu_numa]")
{
    va_qemu_numa q;
    struct {
        std::vector<std::string> args;
        const char *why;
    } bad[] = {
        {{"q", "-numa", "node,mem=256M,cpus=0"}, "legacy"},
        {{"q", "-numa", "node,cpus=0,memdev=nope"}, "names no"},
        {{"q", "-object", "memory-backend-ram,id=m0,size=12Q", "-numa", "node,cpus=0,memdev=m0"},
         "bad id or size"},
        {{"q", "-object", "memory-backend-ram,id=m0", "-numa", "node,cpus=0,memdev=m0"},
         "needs id= and size="},
        {{"q", "-object", "memory-backend-ram,id=m0,size=1M", "-numa", "node,memdev=m0"},
         "without cpus="},
        {{"q", "-object", "memory-backend-ram,id=m0,size=1M", "-numa", "node,cpus=3-1,memdev=m0"},
         "bad cpus="},
        {{"q", "-object", "{\"qom-type\":", "-numa", "node,cpus=0,memdev=m0"}, "malformed JSON"},
    };
    for (auto &b : bad) {
        INFO(b.why);
        CHECK(parse(cmdline(b.args), q) == VMACCEL_EPARSE);
        CHECK(std::string(vmaccel_error_last()).find(b.why) != std::string::npos);
    }
}

TEST_CASE("qemu numa: a value cut off at the end is no overrun", "[vmm][qemu_numa]")
{
    va_qemu_numa q;
    std::string s = cmdline({"qemu", "-numa"});
    CHECK(parse(s, q) == 0);
    s += "node,cpus=0,memdev=m0"; // no terminating NUL
    CHECK(parse(s, q) == 0);
    CHECK(q.nnodes == 0);
}

TEST_CASE("qemu numa: backends find their mappings by size, then creation order",
          "[vmm][qemu_numa]")
{
    va_qemu_numa q;
    auto s = cmdline({"q", "-object", "memory-backend-ram,id=a,size=128M", "-object",
                      "memory-backend-ram,id=b,size=128M", "-object",
                      "memory-backend-ram,id=c,size=64M", "-numa", "node,cpus=0,memdev=a",
                      "-numa", "node,cpus=1,memdev=b", "-numa", "node,cpus=2,memdev=c"});
    REQUIRE(parse(s, q) == 0);
    // As QEMU maps them: a first (highest), b below it, c below; plus code
    // (r-x) and an executable TCG buffer of the same size, never taken.
    const char *maps =
        "7f0000000000-7f0004000000 rw-p 00000000 00:00 0 \n"
        "7f0004000000-7f000c000000 rw-p 00000000 00:00 0 \n"
        "7f000c000000-7f0014000000 rw-p 00000000 00:00 0 \n"
        "7f0014000000-7f001c000000 rwxp 00000000 00:00 0 \n"
        "55aa00000000-55aa08000000 r-xp 00000000 08:01 12 /usr/bin/qemu\n";
    REQUIRE(va_qemu_match_backends(&q, maps) == 0);
    CHECK(q.backends[0].start == 0x7f000c000000ull);
    CHECK(q.backends[1].start == 0x7f0004000000ull);
    CHECK(q.backends[2].start == 0x7f0000000000ull);
    q.backends[0].start = q.backends[1].start = q.backends[2].start = 0;
    const char *missing = "7f0000000000-7f0004000000 rw-p 00000000 00:00 0 \n";
    CHECK(va_qemu_match_backends(&q, missing) == VMACCEL_ENOENT);
    CHECK(std::string(vmaccel_error_last()).find("backend a") != std::string::npos);
}
