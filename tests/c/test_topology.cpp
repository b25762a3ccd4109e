// Topology loading (live, XML, synthetic) and its accessors.
#include "shim.h"

#include <catch2/catch.hpp>

#include <json-c/json.h>
#include <sched.h>
#include <string>
#include <vector>

#include "vmaccel.pb-c.h"

namespace {

struct Topo {
    vmaccel_topology *t = nullptr;
    explicit Topo(const char *synthetic, const char *allowed = nullptr)
    {
        vmaccel_topology_options o = VMACCEL_TOPOLOGY_OPTIONS_INIT;
        o.source = VMACCEL_TOPOLOGY_SYNTHETIC;
        o.synthetic = synthetic;
        o.allowed_cpus = allowed;
        rc = vmaccel_topology_load(&o, &t);
    }
    ~Topo() { vmaccel_topology_free(t); }
    unsigned count(vmaccel_object_kind k) const
    {
        unsigned n = 0;
        REQUIRE(vmaccel_topology_count(t, k, &n) == 0);
        return n;
    }
    std::vector<unsigned> cpus(vmaccel_object_kind k, unsigned i) const
    {
        size_t n = 0;
        REQUIRE(vmaccel_topology_object_cpus(t, k, i, nullptr, 0, &n) == 0);
        std::vector<unsigned> v(n);
        REQUIRE(vmaccel_topology_object_cpus(t, k, i, v.data(), v.size(), &n) == 0);
        return v;
    }
    int rc;
};

} // namespace

TEST_CASE("synthetic topology counts every level", "[topology]")
{
    Topo t("pack:2 numa:2 l3:1 core:4 pu:2");
    REQUIRE(t.rc == 0);
    CHECK(t.count(VMACCEL_OBJ_PACKAGE) == 2);
    CHECK(t.count(VMACCEL_OBJ_NUMA_NODE) == 4);
    CHECK(t.count(VMACCEL_OBJ_L3_CACHE) == 4);
    CHECK(t.count(VMACCEL_OBJ_CORE) == 16);
    CHECK(t.count(VMACCEL_OBJ_PU) == 32);
    CHECK(t.count(VMACCEL_OBJ_L2_CACHE) == 0);
}

TEST_CASE("PUs know their core, node and shared caches", "[topology]")
{
    Topo t("pack:2 numa:2 l3:1 core:4 pu:2");
    REQUIRE(t.rc == 0);
    for (unsigned i = 0; i < 32; i++) {
        vmaccel_pu_info pu = VMACCEL_PU_INFO_INIT;
        REQUIRE(vmaccel_topology_pu(t.t, i, &pu) == 0);
        CHECK(pu.os_index == i);
        CHECK(pu.core == i / 2);          // 2 PUs per core
        CHECK(pu.numa_node == i / 8);     // 4 cores x 2 PUs per node
        CHECK(pu.package == i / 16);
        CHECK(pu.l3 == i / 8);            // one L3 per node
        CHECK(pu.l2 == VMACCEL_NO_INDEX);
        CHECK(pu.allowed == 1);
        auto node = t.cpus(VMACCEL_OBJ_NUMA_NODE, pu.numa_node);
        CHECK(std::find(node.begin(), node.end(), pu.os_index) != node.end());
    }
    vmaccel_cache_info c = VMACCEL_CACHE_INFO_INIT;
    REQUIRE(vmaccel_topology_cache(t.t, VMACCEL_OBJ_L3_CACHE, 1, &c) == 0);
    CHECK(c.level == 3);
    CHECK(c.pu_count == 8);
    CHECK(t.cpus(VMACCEL_OBJ_L3_CACHE, 1) ==
          std::vector<unsigned>{8, 9, 10, 11, 12, 13, 14, 15});
}

TEST_CASE("NUMA nodes have memory and distances", "[topology]")
{
    SECTION("synthetic: Linux's default 10 local / 20 remote")
    {
        Topo t("pack:2 numa:2 core:2 pu:1");
        REQUIRE(t.rc == 0);
        unsigned d = 0;
        for (unsigned a = 0; a < 4; a++)
            for (unsigned b = 0; b < 4; b++) {
                REQUIRE(vmaccel_topology_distance(t.t, a, b, &d) == 0);
                CHECK(d == (a == b ? 10u : 20u));
            }
        vmaccel_numa_node_info n = VMACCEL_NUMA_NODE_INFO_INIT;
        REQUIRE(vmaccel_topology_numa_node(t.t, 3, &n) == 0);
        CHECK(n.os_index == 3);
        CHECK(n.pu_count == 2);
    }
    SECTION("XML: the SLIT distances of the file")
    {
        vmaccel_topology_options o = VMACCEL_TOPOLOGY_OPTIONS_INIT;
        o.source = VMACCEL_TOPOLOGY_XML;
        o.path = shim_fixture("two-node-slit21.xml");
        vmaccel_topology *t = nullptr;
        REQUIRE(vmaccel_topology_load(&o, &t) == 0);
        unsigned d = 0;
        REQUIRE(vmaccel_topology_distance(t, 0, 1, &d) == 0);
        CHECK(d == 21);
        REQUIRE(vmaccel_topology_distance(t, 1, 1, &d) == 0);
        CHECK(d == 10);
        vmaccel_numa_node_info n = VMACCEL_NUMA_NODE_INFO_INIT;
        REQUIRE(vmaccel_topology_numa_node(t, 1, &n) == 0);
        CHECK(n.memory_bytes == 1073741824ull);
        vmaccel_topology_free(t);
    }
}

TEST_CASE("allowed CPUs follow a played cpuset", "[topology]")
{
    Topo t("numa:2 core:4 pu:1", "1-3,6");
    REQUIRE(t.rc == 0);
    size_t n = 0;
    unsigned cpus[8];
    REQUIRE(vmaccel_topology_allowed_cpus(t.t, cpus, 8, &n) == 0);
    REQUIRE(n == 4);
    CHECK(std::vector<unsigned>(cpus, cpus + 4) == std::vector<unsigned>{1, 2, 3, 6});
    vmaccel_pu_info pu = VMACCEL_PU_INFO_INIT;
    REQUIRE(vmaccel_topology_pu(t.t, 0, &pu) == 0);
    CHECK(pu.allowed == 0);
    REQUIRE(vmaccel_topology_pu(t.t, 6, &pu) == 0);
    CHECK(pu.allowed == 1);
}

TEST_CASE("the live topology's allowed CPUs are the kernel's affinity mask", "[topology]")
{
    vmaccel_topology *t = nullptr;
    REQUIRE(vmaccel_topology_load(nullptr, &t) == 0);
    cpu_set_t mask;
    REQUIRE(sched_getaffinity(0, sizeof mask, &mask) == 0);
    size_t n = 0;
    std::vector<unsigned> cpus(CPU_SETSIZE);
    REQUIRE(vmaccel_topology_allowed_cpus(t, cpus.data(), cpus.size(), &n) == 0);
    CHECK(int(n) == CPU_COUNT(&mask));
    for (size_t i = 0; i < n; i++)
        CHECK(CPU_ISSET(cpus[i], &mask));
    unsigned pus = 0;
    REQUIRE(vmaccel_topology_count(t, VMACCEL_OBJ_PU, &pus) == 0);
    CHECK(pus >= n);
    vmaccel_topology_free(t);
}

TEST_CASE("bad topology input gives a clear error", "[topology][errors]")
{
    vmaccel_topology *t = nullptr;
    vmaccel_topology_options o = VMACCEL_TOPOLOGY_OPTIONS_INIT;
    o.source = VMACCEL_TOPOLOGY_SYNTHETIC;
    // The "[numa]" ones made hwloc 2.9 leak (LeakSanitizer in the ASan build).
    for (const char *bad : {"pack:2 foo:3", "pack:-1", "core:0", "", "pu:2 core:2",
                            "numa:99999999999999999999", "pack:2 [numa] core pu:2",
                            "pack:2 [numa]"}) {
        o.synthetic = bad;
        INFO(bad);
        int rc = vmaccel_topology_load(&o, &t);
        CHECK((rc == VMACCEL_EPARSE || rc == VMACCEL_EINVAL));
        CHECK(t == nullptr);
        CHECK(std::string(vmaccel_error_last()).size() > 10);
    }
    o.synthetic = "pack:1000 numa:1000 core:1000 pu:1000"; // 10^12 PUs
    CHECK(vmaccel_topology_load(&o, &t) == VMACCEL_ERANGE);
    // hwloc takes minutes over these (found by fuzz_cli): one level of
    // 16384 PUs, in each spelling hwloc accepts; 43788 PUs; and octal
    // 02 followed at once by a bare level of 99999, and bare levels
    // right after attributes.
    for (const char *big : {"pu:16384", "16384", "core:2 pu:0x2000", "core:2 pu: 8192",
                            "core:2 pu:+8192", "pack:2 numa:89 l3:1 core:41 pu:6",
                            "l3:256 core:64 pu:1", "pack:0299999", "2 0299999",
                            "pack:2(memory=1GB)20000", "pack:2 [numa]20000"}) {
        o.synthetic = big;
        INFO(big);
        CHECK(vmaccel_topology_load(&o, &t) == VMACCEL_ERANGE);
    }
    o.synthetic = "pack:2 [numa] core:2 pu:2"; // memory children are fine
    REQUIRE(vmaccel_topology_load(&o, &t) == 0);
    vmaccel_topology_free(t);
    t = nullptr;
    o.synthetic = nullptr;
    CHECK(vmaccel_topology_load(&o, &t) == VMACCEL_EINVAL);

    o.source = VMACCEL_TOPOLOGY_XML;
    o.path = shim_fixture("broken.xml");
    CHECK(vmaccel_topology_load(&o, &t) == VMACCEL_EPARSE);
    o.path = "/nonexistent/topology.xml";
    CHECK(vmaccel_topology_load(&o, &t) == VMACCEL_ENOENT);
    CHECK(std::string(vmaccel_error_last()).find("/nonexistent/topology.xml") !=
          std::string::npos);

    o.source = static_cast<vmaccel_topology_source>(7);
    CHECK(vmaccel_topology_load(&o, &t) == VMACCEL_EINVAL);
    vmaccel_topology_options old = o;
    old.version = 99;
    CHECK(vmaccel_topology_load(&old, &t) == VMACCEL_EINVAL);

    for (const char *bad : {"0-x", "", "5-", "a", "0-99"}) {
        Topo bt("numa:2 core:2 pu:1", bad);
        INFO(bad);
        CHECK((bt.rc == VMACCEL_EPARSE || bt.rc == VMACCEL_EINVAL));
    }
}

TEST_CASE("accessors check their arguments", "[topology][errors]")
{
    Topo t("numa:2 core:2 pu:2");
    REQUIRE(t.rc == 0);
    unsigned n;
    CHECK(vmaccel_topology_count(t.t, static_cast<vmaccel_object_kind>(9), &n) ==
          VMACCEL_EINVAL);
    CHECK(vmaccel_topology_count(t.t, VMACCEL_OBJ_PU, nullptr) == VMACCEL_EINVAL);
    vmaccel_pu_info pu = VMACCEL_PU_INFO_INIT;
    CHECK(vmaccel_topology_pu(t.t, 8, &pu) == VMACCEL_ERANGE);
    pu.version = 0;
    CHECK(vmaccel_topology_pu(t.t, 0, &pu) == VMACCEL_EINVAL);
    CHECK(vmaccel_topology_pu(t.t, 0, nullptr) == VMACCEL_EINVAL);
    CHECK(vmaccel_topology_distance(t.t, 0, 2, &n) == VMACCEL_ERANGE);
    vmaccel_cache_info c = VMACCEL_CACHE_INFO_INIT;
    CHECK(vmaccel_topology_cache(t.t, VMACCEL_OBJ_CORE, 0, &c) == VMACCEL_EINVAL);
    size_t count = 0;
    unsigned two[2];
    CHECK(vmaccel_topology_object_cpus(t.t, VMACCEL_OBJ_NUMA_NODE, 0, nullptr, 4,
                                       &count) == VMACCEL_EINVAL);
    // A short buffer gets the first entries and the full count.
    REQUIRE(vmaccel_topology_object_cpus(t.t, VMACCEL_OBJ_NUMA_NODE, 1, two, 2,
                                         &count) == 0);
    CHECK(count == 4);
    CHECK(two[0] == 4);
    CHECK(two[1] == 5);
}

TEST_CASE("topology reports decode as vmaccel.v1.Topology", "[topology][report]")
{
    Topo t("pack:2 numa:2 core:4 pu:2");
    REQUIRE(t.rc == 0);
    vmaccel_buf pb = {nullptr, 0};
    REQUIRE(vmaccel_topology_report(t.t, VMACCEL_FORMAT_PROTOBUF, &pb) == 0);
    Vmaccel__V1__Topology *msg =
        vmaccel__v1__topology__unpack(nullptr, pb.len, pb.data);
    REQUIRE(msg != nullptr);
    CHECK(msg->n_numa_nodes == 4);
    CHECK(msg->n_pus == 32);
    CHECK(msg->numa_nodes[3]->n_distances == 4);
    CHECK(std::string(msg->source) == "synthetic:pack:2 numa:2 core:4 pu:2");
    vmaccel__v1__topology__free_unpacked(msg, nullptr);
    vmaccel_buf_free(&pb);

    vmaccel_buf js = {nullptr, 0};
    REQUIRE(vmaccel_topology_report(t.t, VMACCEL_FORMAT_JSON, &js) == 0);
    json_object *root = json_tokener_parse(reinterpret_cast<char *>(js.data));
    REQUIRE(root != nullptr);
    json_object *nodes = nullptr;
    REQUIRE(json_object_object_get_ex(root, "numaNodes", &nodes));
    CHECK(json_object_array_length(nodes) == 4);
    json_object_put(root);
    vmaccel_buf_free(&js);

    vmaccel_buf bad = {nullptr, 0};
    CHECK(vmaccel_topology_report(t.t, static_cast<vmaccel_format>(5), &bad) ==
          VMACCEL_EINVAL);
    CHECK(vmaccel_topology_report(t.t, VMACCEL_FORMAT_JSON, nullptr) == VMACCEL_EINVAL);
}
