// Opaque handles: NULL, freed and foreign handles are refused, never crash.
#include "shim.h"

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("_free(NULL) is a no-op for every handle type", "[handles]")
{
    vmaccel_manager_free(nullptr);
    vmaccel_topology_free(nullptr);
    vmaccel_smmu_free(nullptr);
    SUCCEED("no crash");
}

TEST_CASE("a freed manager is detected", "[handles]")
{
    vmaccel_manager *m = nullptr;
    REQUIRE(shim_manager("numa:2 core:2 pu:1", nullptr, &m) == 0);
    vmaccel_manager_free(m);
    int enabled = -1;
    CHECK(vmaccel_manager_numa_enabled(m, &enabled) == VMACCEL_EINVAL);
    CHECK(std::string(vmaccel_error_last()).find("freed") != std::string::npos);
    CHECK(enabled == -1);
    CHECK(vmaccel_manager_enable_numa(m, 2) == VMACCEL_EINVAL);
    vmaccel_buf buf = {nullptr, 0};
    CHECK(vmaccel_manager_report(m, VMACCEL_FORMAT_JSON, &buf) == VMACCEL_EINVAL);
    CHECK(buf.data == nullptr);
    vmaccel_manager_free(m); // double free: refused, not a crash
}

TEST_CASE("a foreign pointer is not a handle", "[handles]")
{
    long not_a_manager[64] = {0};
    auto *fake = reinterpret_cast<vmaccel_manager *>(not_a_manager);
    int on = 0;
    CHECK(vmaccel_manager_smmu_initialized(fake, &on) == VMACCEL_EINVAL);
    CHECK(vmaccel_manager_setup_full(fake) == VMACCEL_EINVAL);
    vmaccel_manager_free(fake);

    vmaccel_topology_options o = VMACCEL_TOPOLOGY_OPTIONS_INIT;
    o.source = VMACCEL_TOPOLOGY_SYNTHETIC;
    o.synthetic = "core:2 pu:1";
    vmaccel_topology *t = nullptr;
    REQUIRE(vmaccel_topology_load(&o, &t) == 0);
    // A topology is not a manager, even though both are live handles.
    CHECK(vmaccel_manager_numa_enabled(reinterpret_cast<vmaccel_manager *>(t), &on) ==
          VMACCEL_EINVAL);
    vmaccel_topology_free(t);
}

TEST_CASE("borrowed handles cannot be freed by the borrower", "[handles]")
{
    vmaccel_manager *m = nullptr;
    REQUIRE(shim_manager("numa:2 core:2 pu:1", nullptr, &m) == 0);
    const vmaccel_topology *t = nullptr;
    REQUIRE(vmaccel_manager_topology(m, &t) == 0);
    vmaccel_topology_free(const_cast<vmaccel_topology *>(t));
    unsigned n = 0;
    CHECK(vmaccel_topology_count(t, VMACCEL_OBJ_NUMA_NODE, &n) == 0);
    CHECK(n == 2);

    REQUIRE(vmaccel_manager_init_smmu(m) == 0);
    vmaccel_smmu *s = nullptr;
    REQUIRE(vmaccel_manager_smmu(m, &s) == 0);
    vmaccel_smmu_free(s);
    vmaccel_smmu *again = nullptr;
    CHECK(vmaccel_manager_smmu(m, &again) == 0);
    CHECK(again == s);
    vmaccel_manager_free(m);
    // After the manager is gone, so is its topology.
    CHECK(vmaccel_topology_count(t, VMACCEL_OBJ_NUMA_NODE, &n) == VMACCEL_EINVAL);
}

TEST_CASE("handles stay valid through registry churn", "[handles]")
{
    // 40,000 create/free pairs pass the registry's rebuild threshold (3/4 of
    // its 32768 slots live or tombstoned) more than once; a handle that
    // lived through them must still be recognised. Small IOTLBs keep each
    // model cheap, so the churn is the registry's, not the allocator's.
    vmaccel_smmu_options small = VMACCEL_SMMU_OPTIONS_INIT;
    small.iotlb_entries = 16;
    vmaccel_topology_options o = VMACCEL_TOPOLOGY_OPTIONS_INIT;
    o.source = VMACCEL_TOPOLOGY_SYNTHETIC;
    o.synthetic = "numa:3 core:1 pu:1";
    vmaccel_topology *keep = nullptr;
    REQUIRE(vmaccel_topology_load(&o, &keep) == 0);
    for (int round = 0; round < 40; round++) {
        vmaccel_smmu *s[1000];
        for (auto &h : s)
            REQUIRE(vmaccel_smmu_new(&small, &h) == 0);
        for (auto &h : s)
            vmaccel_smmu_free(h);
    }
    unsigned n = 0;
    CHECK(vmaccel_topology_count(keep, VMACCEL_OBJ_NUMA_NODE, &n) == 0);
    CHECK(n == 3);
    vmaccel_topology_free(keep);
    CHECK(vmaccel_topology_count(keep, VMACCEL_OBJ_NUMA_NODE, &n) == VMACCEL_EINVAL);
}
