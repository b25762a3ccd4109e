// Report encodings: canonical protobuf JSON, text format, reproducibility.
#include "shim.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <sys/syscall.h>
#include <unistd.h>
#include <json-c/json.h>
#include <string>

namespace {

std::string report(vmaccel_manager *m, vmaccel_format f)
{
    vmaccel_buf b = {nullptr, 0};
    REQUIRE(vmaccel_manager_report(m, f, &b) == 0);
    std::string s(reinterpret_cast<char *>(b.data), b.len);
    vmaccel_buf_free(&b);
    return s;
}

json_object *get(json_object *o, const char *key)
{
    json_object *v = nullptr;
    INFO(key);
    REQUIRE(json_object_object_get_ex(o, key, &v));
    return v;
}

} // namespace

TEST_CASE("JSON follows protobuf's canonical mapping", "[report]")
{
    vmaccel_manager *m = nullptr;
    REQUIRE(shim_manager("pack:2 numa:2 l3:1 core:2 pu:2", nullptr, &m) == 0);
    REQUIRE(vmaccel_manager_setup_full(m) == 0);
    std::string js = report(m, VMACCEL_FORMAT_JSON);
    json_object *root = json_tokener_parse(js.c_str());
    REQUIRE(root != nullptr);
    // lowerCamelCase names, 64-bit integers as strings, enums by name.
    json_object *topo = get(root, "topology");
    json_object *node0 = json_object_array_get_idx(get(topo, "numaNodes"), 0);
    CHECK(json_object_get_type(get(root, "timestampNs")) == json_type_string);
    json_object *hv0 = json_object_array_get_idx(get(root, "hypervisors"), 0);
    CHECK(std::string(json_object_get_string(get(hv0, "kind"))) == "HYPERVISOR_KIND_KVM");
    json_object *mgr = get(root, "manager");
    CHECK(json_object_get_boolean(get(mgr, "numaEnabled")));
    CHECK(json_object_get_boolean(get(mgr, "smmuInitialized")));
    // proto3 defaults are omitted: node 0 has index 0, so no "index" key.
    json_object *unused = nullptr;
    CHECK_FALSE(json_object_object_get_ex(node0, "index", &unused));
    json_object *node1 = json_object_array_get_idx(get(topo, "numaNodes"), 1);
    CHECK(json_object_get_int(get(node1, "index")) == 1);
    CHECK(json_object_array_length(get(node1, "distances")) == 4);
    json_object_put(root);
    vmaccel_manager_free(m);
}

TEST_CASE("a fixed clock makes reports reproducible", "[report]")
{
    setenv("VMACCEL_REPORT_TIMESTAMP", "1700000000000000000", 1);
    vmaccel_manager *a = nullptr, *b = nullptr;
    REQUIRE(shim_manager("numa:2 core:2 pu:1", nullptr, &a) == 0);
    REQUIRE(shim_manager("numa:2 core:2 pu:1", nullptr, &b) == 0);
    std::string ra = report(a, VMACCEL_FORMAT_PROTOBUF);
    CHECK(ra == report(b, VMACCEL_FORMAT_PROTOBUF));
    CHECK(report(a, VMACCEL_FORMAT_TEXT).find("timestamp_ns: 1700000000000000000") !=
          std::string::npos);
    unsetenv("VMACCEL_REPORT_TIMESTAMP");
    vmaccel_manager_free(a);
    vmaccel_manager_free(b);
}

TEST_CASE("text escapes strings as the text format does", "[report]")
{
    shim_host h{};
    REQUIRE(shim_host_bare(&h) == 0);
    vmaccel_manager *m = nullptr;
    REQUIRE(shim_manager("core:1 pu:1", &h, &m) == 0);
    std::string text = report(m, VMACCEL_FORMAT_TEXT);
    // Reasons are quoted; the report is one field per line.
    CHECK(text.find("reason: \"no ") != std::string::npos);
    CHECK(text.find("status: PROBE_STATUS_UNAVAILABLE") != std::string::npos);
    vmaccel_manager_free(m);
    shim_host_remove(&h);
}

TEST_CASE("the report carries the VMs, the SMMU model and recent events", "[report]")
{
    vmaccel_manager *m = nullptr;
    REQUIRE(shim_manager("pack:1 numa:2 core:2 pu:1", nullptr, &m) == 0);
    REQUIRE(vmaccel_manager_init_smmu(m) == 0);
    vmaccel_smmu *smmu = nullptr;
    REQUIRE(vmaccel_manager_smmu(m, &smmu) == 0);
    vmaccel_smmu_domain d = VMACCEL_SMMU_DOMAIN_INIT;
    d.mode = VMACCEL_SMMU_MODE_BYPASS;
    REQUIRE(vmaccel_smmu_attach(smmu, 7, &d) == 0);
    vmaccel_smmu_result res{};
    REQUIRE(vmaccel_smmu_translate(smmu, 7, VMACCEL_SMMU_NO_SSID, 0x1000, VMACCEL_SMMU_READ,
                                   &res) == 0);

    int tid = (int)syscall(SYS_gettid);
    vmaccel_vm_options o = VMACCEL_VM_OPTIONS_INIT;
    o.name = "reported";
    o.vcpu_tids = &tid;
    o.nvcpu_tids = 1;
    vmaccel_vm *vm = nullptr;
    REQUIRE(vmaccel_vm_register(m, &o, &vm) == 0);

    json_object *root = json_tokener_parse(report(m, VMACCEL_FORMAT_JSON).c_str());
    REQUIRE(root != nullptr);
    json_object *vms = get(root, "vms");
    REQUIRE(json_object_array_length(vms) == 1);
    CHECK(std::string(json_object_get_string(get(json_object_array_get_idx(vms, 0), "name"))) ==
          "reported");
    json_object *sm = get(root, "smmu");
    CHECK(json_object_get_boolean(get(sm, "initialized")));
    json_object *streams = get(sm, "streams");
    REQUIRE(json_object_array_length(streams) == 1);
    CHECK(json_object_get_int(get(json_object_array_get_idx(streams, 0), "sid")) == 7);
    json_object *events = get(root, "recentEvents");
    REQUIRE(json_object_array_length(events) >= 1);
    json_object *last = json_object_array_get_idx(events, json_object_array_length(events) - 1);
    CHECK(std::string(json_object_get_string(get(last, "type"))) == "EVENT_TYPE_VM_ATTACHED");
    json_object_put(root);
    vmaccel_vm_detach(vm);
    vmaccel_manager_free(m);
}
