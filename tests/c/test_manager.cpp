// The acceleration manager: the seed's tests and every error path.
#include "shim.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "vmaccel.pb-c.h"

namespace {

struct Mgr {
    vmaccel_manager *m = nullptr;
    explicit Mgr(const char *synthetic) { REQUIRE(shim_manager(synthetic, nullptr, &m) == 0); }
    ~Mgr() { vmaccel_manager_free(m); }
    vmaccel_component_state state(vmaccel_component c, std::string *why = nullptr)
    {
        vmaccel_component_state s;
        char reason[256];
        REQUIRE(vmaccel_manager_component(m, c, &s, reason, sizeof reason) == 0);
        if (why)
            *why = reason;
        return s;
    }
    int flag(int (*query)(const vmaccel_manager *, int *))
    {
        int v = -1;
        REQUIRE(query(m, &v) == 0);
        return v;
    }
};

} // namespace

TEST_CASE("manager creation", "[manager]")
{
    vmaccel_manager *m = nullptr;
    REQUIRE(vmaccel_manager_new(nullptr, &m) == 0); // the live host
    REQUIRE(m != nullptr);
    vmaccel_manager_free(m);

    CHECK(vmaccel_manager_new(nullptr, nullptr) == VMACCEL_EINVAL);
    vmaccel_manager_options o;
    vmaccel_manager_options_init(&o);
    o.version = 0;
    CHECK(vmaccel_manager_new(&o, &m) == VMACCEL_EINVAL);
    CHECK(m == nullptr);
    CHECK(std::string(vmaccel_error_last()).find("version") != std::string::npos);

    vmaccel_topology_options t = VMACCEL_TOPOLOGY_OPTIONS_INIT;
    t.source = VMACCEL_TOPOLOGY_SYNTHETIC;
    t.synthetic = "not a topology";
    vmaccel_manager_options_init(&o);
    o.topology = &t;
    CHECK(vmaccel_manager_new(&o, &m) == VMACCEL_EPARSE);
    CHECK(m == nullptr);
}

TEST_CASE("SMMU initialisation", "[manager]")
{
    Mgr g("numa:2 core:2 pu:1");
    CHECK(g.flag(vmaccel_manager_smmu_initialized) == 0);
    vmaccel_smmu *s = nullptr;
    CHECK(vmaccel_manager_smmu(g.m, &s) == VMACCEL_ESTATE);
    CHECK(s == nullptr);
    REQUIRE(vmaccel_manager_init_smmu(g.m) == 0);
    CHECK(g.flag(vmaccel_manager_smmu_initialized) == 1);
    REQUIRE(vmaccel_manager_smmu(g.m, &s) == 0);
    CHECK(s != nullptr);
    REQUIRE(vmaccel_manager_init_smmu(g.m) == 0); // idempotent: same model
    vmaccel_smmu *again = nullptr;
    REQUIRE(vmaccel_manager_smmu(g.m, &again) == 0);
    CHECK(again == s);
    CHECK(g.state(VMACCEL_COMPONENT_SMMU) == VMACCEL_COMPONENT_ON);
}

TEST_CASE("full setup", "[manager]")
{
    SECTION("one NUMA node: NUMA balancing is skipped with the reason")
    {
        Mgr g("core:4 pu:2");
        REQUIRE(vmaccel_manager_setup_full(g.m) == 0);
        std::string why;
        CHECK(g.state(VMACCEL_COMPONENT_NUMA, &why) == VMACCEL_COMPONENT_SKIPPED);
        CHECK(why.find("1 NUMA node") != std::string::npos);
        CHECK(g.state(VMACCEL_COMPONENT_SMMU) == VMACCEL_COMPONENT_ON);
        CHECK(g.state(VMACCEL_COMPONENT_VCPU_AFFINITY) == VMACCEL_COMPONENT_ON);
        CHECK(g.flag(vmaccel_manager_numa_enabled) == 0);
    }
    SECTION("four NUMA nodes: everything on")
    {
        Mgr g("pack:2 numa:2 core:2 pu:2");
        REQUIRE(vmaccel_manager_setup_full(g.m) == 0);
        CHECK(g.flag(vmaccel_manager_numa_enabled) == 1);
        CHECK(g.flag(vmaccel_manager_smmu_initialized) == 1);
        CHECK(g.flag(vmaccel_manager_vcpu_affinity_initialized) == 1);
        REQUIRE(vmaccel_manager_setup_full(g.m) == 0); // again: no change
        CHECK(g.flag(vmaccel_manager_numa_enabled) == 1);
    }
}

TEST_CASE("diagnostic report", "[manager][report]")
{
    Mgr g("pack:2 numa:2 core:2 pu:2");
    REQUIRE(vmaccel_manager_init_smmu(g.m) == 0);
    vmaccel_buf pb = {nullptr, 0};
    REQUIRE(vmaccel_manager_report(g.m, VMACCEL_FORMAT_PROTOBUF, &pb) == 0);
    auto *r = vmaccel__v1__diagnostic_report__unpack(nullptr, pb.len, pb.data);
    REQUIRE(r != nullptr);
    CHECK(std::string(r->library_version) == vmaccel_version());
    REQUIRE(r->topology != nullptr);
    CHECK(r->topology->n_numa_nodes == 4);
    CHECK(r->n_hypervisors == 3);
    REQUIRE(r->iommu != nullptr);
    REQUIRE(r->manager != nullptr);
    CHECK(r->manager->smmu_initialized);
    CHECK_FALSE(r->manager->numa_enabled);
    CHECK(r->manager->n_components == 3);
    vmaccel__v1__diagnostic_report__free_unpacked(r, nullptr);
    vmaccel_buf_free(&pb);
    CHECK(pb.data == nullptr);

    vmaccel_buf text = {nullptr, 0};
    REQUIRE(vmaccel_manager_report(g.m, VMACCEL_FORMAT_TEXT, &text) == 0);
    std::string s(reinterpret_cast<char *>(text.data), text.len);
    CHECK(s.find("smmu_initialized: true") != std::string::npos);
    CHECK(text.data[text.len] == '\0');
    vmaccel_buf_free(&text);

    CHECK(vmaccel_manager_report(g.m, VMACCEL_FORMAT_JSON, nullptr) == VMACCEL_EINVAL);
    vmaccel_buf bad = {nullptr, 0};
    CHECK(vmaccel_manager_report(g.m, static_cast<vmaccel_format>(-1), &bad) ==
          VMACCEL_EINVAL);
}

TEST_CASE("topology access", "[manager]")
{
    Mgr g("pack:2 numa:2 l3:1 core:4 pu:2");
    const vmaccel_topology *t = nullptr;
    REQUIRE(vmaccel_manager_topology(g.m, &t) == 0);
    unsigned nodes = 0, pus = 0;
    REQUIRE(vmaccel_topology_count(t, VMACCEL_OBJ_NUMA_NODE, &nodes) == 0);
    REQUIRE(vmaccel_topology_count(t, VMACCEL_OBJ_PU, &pus) == 0);
    CHECK(nodes == 4);
    CHECK(pus == 32);
    CHECK(vmaccel_manager_topology(g.m, nullptr) == VMACCEL_EINVAL);
}

TEST_CASE("NUMA enable and disable", "[manager]")
{
    Mgr g("pack:2 numa:2 core:2 pu:1");
    CHECK(vmaccel_manager_enable_numa(g.m, 3) == VMACCEL_EINVAL);
    std::string msg = vmaccel_error_last();
    CHECK(msg.find("enable_numa(3)") != std::string::npos);
    CHECK(msg.find("4 NUMA nodes") != std::string::npos);
    CHECK(g.flag(vmaccel_manager_numa_enabled) == 0);
    CHECK(vmaccel_manager_enable_numa(g.m, 0) == VMACCEL_EINVAL);
    REQUIRE(vmaccel_manager_enable_numa(g.m, 4) == 0);
    CHECK(g.flag(vmaccel_manager_numa_enabled) == 1);
    REQUIRE(vmaccel_manager_enable_numa(g.m, 4) == 0);
    REQUIRE(vmaccel_manager_disable_numa(g.m) == 0);
    CHECK(g.flag(vmaccel_manager_numa_enabled) == 0);
    REQUIRE(vmaccel_manager_disable_numa(g.m) == 0);
    CHECK(g.state(VMACCEL_COMPONENT_NUMA) == VMACCEL_COMPONENT_OFF);
}

TEST_CASE("vCPU affinity initialisation", "[manager]")
{
    Mgr g("numa:2 core:2 pu:2");
    CHECK(g.flag(vmaccel_manager_vcpu_affinity_initialized) == 0);
    REQUIRE(vmaccel_manager_init_vcpu_affinity(g.m) == 0);
    CHECK(g.flag(vmaccel_manager_vcpu_affinity_initialized) == 1);
}

TEST_CASE("component queries check their arguments", "[manager][errors]")
{
    Mgr g("core:1 pu:1");
    vmaccel_component_state s;
    char why[8];
    CHECK(vmaccel_manager_component(g.m, static_cast<vmaccel_component>(3), &s, why,
                                    sizeof why) == VMACCEL_EINVAL);
    CHECK(vmaccel_manager_component(g.m, VMACCEL_COMPONENT_NUMA, nullptr, why,
                                    sizeof why) == VMACCEL_EINVAL);
    CHECK(vmaccel_manager_component(g.m, VMACCEL_COMPONENT_NUMA, &s, nullptr, 8) ==
          VMACCEL_EINVAL);
    REQUIRE(vmaccel_manager_setup_full(g.m) == 0);
    // A short reason buffer truncates, NUL-terminated.
    REQUIRE(vmaccel_manager_component(g.m, VMACCEL_COMPONENT_NUMA, &s, why,
                                      sizeof why) == 0);
    CHECK(s == VMACCEL_COMPONENT_SKIPPED);
    CHECK(std::string(why).size() == sizeof why - 1);
    int out;
    CHECK(vmaccel_manager_numa_enabled(g.m, nullptr) == VMACCEL_EINVAL);
    CHECK(vmaccel_manager_smmu(g.m, nullptr) == VMACCEL_EINVAL);
    CHECK(vmaccel_manager_smmu_initialized(nullptr, &out) == VMACCEL_EINVAL);
}

TEST_CASE("concurrent switches and reports stay consistent", "[manager][threads]")
{
    Mgr g("pack:2 numa:2 core:2 pu:1");
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; i++)
        threads.emplace_back([&, i] {
            for (int k = 0; k < 50; k++) {
                int rc = (i % 2) ? vmaccel_manager_enable_numa(g.m, 4)
                                 : vmaccel_manager_disable_numa(g.m);
                vmaccel_buf b = {nullptr, 0};
                rc |= vmaccel_manager_report(g.m, VMACCEL_FORMAT_PROTOBUF, &b);
                rc |= vmaccel_manager_init_smmu(g.m);
                vmaccel_buf_free(&b);
                if (rc)
                    failures++;
            }
        });
    for (auto &t : threads)
        t.join();
    CHECK(failures == 0);
    CHECK(g.flag(vmaccel_manager_smmu_initialized) == 1);
}
