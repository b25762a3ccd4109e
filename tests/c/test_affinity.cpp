// The public planning API: strategies by name, plans on synthetic
// topologies, their report in protobuf and JSON, and misuse.
#include <catch2/catch.hpp>

#include "shim.h"

#include <json-c/json.h>
#include <set>
#include <string>

extern "C" {
#include "vmaccel.pb-c.h"
}

namespace {

vmaccel_topology *synthetic(const char *desc)
{
    vmaccel_topology_options o = VMACCEL_TOPOLOGY_OPTIONS_INIT;
    o.source = VMACCEL_TOPOLOGY_SYNTHETIC;
    o.synthetic = desc;
    vmaccel_topology *t = nullptr;
    REQUIRE(vmaccel_topology_load(&o, &t) == 0);
    return t;
}

} // namespace

TEST_CASE("strategy names round-trip", "[affinity]")
{
    for (int s = 0; s < VMACCEL_STRATEGY_COUNT_; s++) {
        vmaccel_strategy back;
        REQUIRE(vmaccel_strategy_parse(vmaccel_strategy_name((vmaccel_strategy)s), &back) == 0);
        CHECK(back == s);
    }
    vmaccel_strategy s;
    CHECK(vmaccel_strategy_parse("bandwidth_optimized", &s) == 0);
    CHECK(s == VMACCEL_STRATEGY_BANDWIDTH_OPTIMIZED);
    CHECK(vmaccel_strategy_parse("fastest", &s) == VMACCEL_EINVAL);
    CHECK(std::string(vmaccel_strategy_name((vmaccel_strategy)9)) == "unknown");
}

TEST_CASE("a plan keeps each VM in one node and avoids reserved CPUs", "[affinity]")
{
    vmaccel_topology *t = synthetic("numa:2 core:2 pu:2"); // 2 nodes x 4 PUs
    vmaccel_plan_options o = VMACCEL_PLAN_OPTIONS_INIT;
    vmaccel_plan *p = nullptr;
    REQUIRE(vmaccel_plan_new(t, &o, &p) == 0);
    unsigned a = 9, b = 9;
    REQUIRE(vmaccel_plan_add_vm(p, 3, nullptr, 0, &a) == 0);
    REQUIRE(vmaccel_plan_add_vm(p, 2, nullptr, 0, &b) == 0);
    CHECK(a == 0);
    CHECK(b == 1);
    unsigned cpu, node;
    CHECK(vmaccel_plan_vcpu(p, 0, 0, &cpu, &node) == VMACCEL_ESTATE);
    REQUIRE(vmaccel_plan_compute(p) == 0);
    std::set<unsigned> cpus;
    for (unsigned vm = 0; vm < 2; vm++) {
        std::set<unsigned> nodes;
        for (unsigned v = 0; v < (vm ? 2u : 3u); v++) {
            REQUIRE(vmaccel_plan_vcpu(p, vm, v, &cpu, &node) == 0);
            vmaccel_pu_info pu = VMACCEL_PU_INFO_INIT;
            REQUIRE(vmaccel_topology_pu(t, cpu, &pu) == 0); // OS index == logical here
            CHECK(pu.numa_node == node);
            nodes.insert(node);
            cpus.insert(cpu);
        }
        CHECK(nodes.size() == 1);
    }
    CHECK(cpus.size() == 5);
    double score = 0;
    REQUIRE(vmaccel_plan_score(p, VMACCEL_NO_INDEX, &score) == 0);
    CHECK(score > 0.5);
    CHECK(score <= 1.0);
    CHECK(vmaccel_plan_vcpu(p, 1, 2, &cpu, &node) == VMACCEL_ERANGE);
    vmaccel_plan_free(p);

    o.reserved_cpus = "0-3";
    REQUIRE(vmaccel_plan_new(t, &o, &p) == 0);
    REQUIRE(vmaccel_plan_add_vm(p, 4, nullptr, 0, nullptr) == 0);
    REQUIRE(vmaccel_plan_compute(p) == 0);
    for (unsigned v = 0; v < 4; v++) {
        REQUIRE(vmaccel_plan_vcpu(p, 0, v, &cpu, &node) == 0);
        CHECK(cpu >= 4);
    }
    vmaccel_plan_free(p);
    vmaccel_topology_free(t);
}

TEST_CASE("memory per node steers LocalFirst", "[affinity]")
{
    vmaccel_topology *t = synthetic("numa:2 core:2 pu:2");
    vmaccel_plan *p = nullptr;
    REQUIRE(vmaccel_plan_new(t, nullptr, &p) == 0);
    uint64_t mem[2] = {1 << 20, 1ull << 30};
    REQUIRE(vmaccel_plan_add_vm(p, 2, mem, 2, nullptr) == 0);
    CHECK(vmaccel_plan_add_vm(p, 2, mem, 3, nullptr) == VMACCEL_EINVAL);
    REQUIRE(vmaccel_plan_compute(p) == 0);
    unsigned cpu, node;
    for (unsigned v = 0; v < 2; v++) {
        REQUIRE(vmaccel_plan_vcpu(p, 0, v, &cpu, &node) == 0);
        CHECK(node == 1);
    }
    vmaccel_plan_free(p);
    vmaccel_topology_free(t);
}

TEST_CASE("the plan report: protobuf and JSON agree with the plan", "[affinity][report]")
{
    vmaccel_topology *t = synthetic("pack:2 numa:2 l3:1 core:4 pu:2");
    vmaccel_plan_options o = VMACCEL_PLAN_OPTIONS_INIT;
    o.strategy = VMACCEL_STRATEGY_LOAD_BALANCED;
    vmaccel_plan *p = nullptr;
    REQUIRE(vmaccel_plan_new(t, &o, &p) == 0);
    REQUIRE(vmaccel_plan_add_vm(p, 8, nullptr, 0, nullptr) == 0);
    REQUIRE(vmaccel_plan_add_vm(p, 4, nullptr, 0, nullptr) == 0);
    vmaccel_buf buf{};
    CHECK(vmaccel_plan_report(p, VMACCEL_FORMAT_PROTOBUF, &buf) == VMACCEL_ESTATE);
    REQUIRE(vmaccel_plan_compute(p) == 0);
    REQUIRE(vmaccel_plan_report(p, VMACCEL_FORMAT_PROTOBUF, &buf) == 0);
    Vmaccel__V1__DiagnosticReport *r =
        vmaccel__v1__diagnostic_report__unpack(nullptr, buf.len, buf.data);
    REQUIRE(r != nullptr);
    REQUIRE(r->n_placements == 2);
    CHECK(r->topology->n_pus == 32);
    for (unsigned vm = 0; vm < 2; vm++) {
        const Vmaccel__V1__Placement *pl = r->placements[vm];
        CHECK(pl->vm_id == vm);
        CHECK(std::string(pl->strategy) == "load-balanced");
        REQUIRE(pl->n_vcpus == (vm ? 4u : 8u));
        for (size_t v = 0; v < pl->n_vcpus; v++) {
            unsigned cpu, node;
            REQUIRE(vmaccel_plan_vcpu(p, vm, (unsigned)v, &cpu, &node) == 0);
            CHECK(pl->vcpus[v]->cpu == cpu);
            CHECK(pl->vcpus[v]->numa_node == node);
        }
        double s;
        REQUIRE(vmaccel_plan_score(p, vm, &s) == 0);
        CHECK(pl->score == Approx(s));
    }
    vmaccel__v1__diagnostic_report__free_unpacked(r, nullptr);
    vmaccel_buf_free(&buf);
    REQUIRE(vmaccel_plan_report(p, VMACCEL_FORMAT_JSON, &buf) == 0);
    json_object *j = json_tokener_parse((const char *)buf.data);
    REQUIRE(j != nullptr);
    json_object *pls;
    REQUIRE(json_object_object_get_ex(j, "placements", &pls));
    CHECK(json_object_array_length(pls) == 2);
    json_object_put(j);
    vmaccel_buf_free(&buf);
    vmaccel_plan_free(p);
    vmaccel_topology_free(t);
}

TEST_CASE("plan misuse is an error, never a crash", "[affinity]")
{
    vmaccel_topology *t = synthetic("numa:2 core:2 pu:1");
    vmaccel_plan *p = nullptr;
    CHECK(vmaccel_plan_new(nullptr, nullptr, &p) == VMACCEL_EINVAL);
    CHECK(vmaccel_plan_new(t, nullptr, nullptr) == VMACCEL_EINVAL);
    vmaccel_plan_options bad = VMACCEL_PLAN_OPTIONS_INIT;
    bad.reserved_cpus = "0-";
    CHECK(vmaccel_plan_new(t, &bad, &p) == VMACCEL_EPARSE);
    bad.reserved_cpus = nullptr;
    bad.smt = (vmaccel_smt_policy)7;
    CHECK(vmaccel_plan_new(t, &bad, &p) == VMACCEL_EINVAL);
    REQUIRE(vmaccel_plan_new(t, nullptr, &p) == 0);
    CHECK(vmaccel_plan_compute(p) == VMACCEL_ESTATE);
    CHECK(vmaccel_plan_add_vm(p, 0, nullptr, 0, nullptr) == VMACCEL_EINVAL);
    CHECK(vmaccel_plan_add_vm(p, 5000, nullptr, 0, nullptr) == VMACCEL_EINVAL);
    // More vCPUs than PUs: overcommitted evenly, not refused.
    REQUIRE(vmaccel_plan_add_vm(p, 9, nullptr, 0, nullptr) == 0);
    REQUIRE(vmaccel_plan_compute(p) == 0);
    vmaccel_plan_free(p);
    CHECK(vmaccel_plan_compute(p) == VMACCEL_EINVAL); // freed
    vmaccel_plan_free(nullptr);
    vmaccel_topology_free(t);
}
