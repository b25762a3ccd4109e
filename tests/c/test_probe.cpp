// Hypervisor and IOMMU probes, on fixture trees and on this host.
#include "shim.h"

#include <catch2/catch.hpp>

#include <cerrno>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

struct Host {
    shim_host h{};
    vmaccel_manager *m = nullptr;
    ~Host()
    {
        vmaccel_manager_free(m);
        shim_host_remove(&h);
    }
    void start() { REQUIRE(shim_manager("numa:1 core:2 pu:1", &h, &m) == 0); }
    vmaccel_iommu_info iommu()
    {
        vmaccel_iommu_info info = VMACCEL_IOMMU_INFO_INIT;
        REQUIRE(vmaccel_manager_iommu(m, &info) == 0);
        return info;
    }
    vmaccel_hv_info hv(vmaccel_hypervisor which)
    {
        vmaccel_hv_info info = VMACCEL_HV_INFO_INIT;
        REQUIRE(vmaccel_manager_hypervisor(m, which, &info) == 0);
        return info;
    }
};

bool contains(const char *s, const char *what)
{
    return std::string(s).find(what) != std::string::npos;
}

} // namespace

TEST_CASE("an SMMUv3 host is recognised from sysfs and the device tree", "[probe]")
{
    Host host;
    REQUIRE(shim_host_smmuv3(&host.h, 3) == 0);
    host.start();
    vmaccel_iommu_info io = host.iommu();
    CHECK(io.present == 1);
    CHECK(io.kind == VMACCEL_IOMMU_SMMUV3);
    CHECK(io.units == 1);
    CHECK(io.groups == 3);
    CHECK(io.dt_smmuv3_nodes == 1);
    CHECK(io.reason[0] == '\0');
}

TEST_CASE("Intel and AMD IOMMUs are told apart by their unit names", "[probe]")
{
    Host host;
    REQUIRE(shim_host_bare(&host.h) == 0);
    SECTION("VT-d") { REQUIRE(shim_mkdir(host.h.sysfs, "class/iommu/dmar0") == 0); }
    SECTION("AMD-Vi") { REQUIRE(shim_mkdir(host.h.sysfs, "class/iommu/ivhd0") == 0); }
    host.start();
    vmaccel_iommu_info io = host.iommu();
    CHECK(io.present == 1);
    CHECK((io.kind == VMACCEL_IOMMU_INTEL_VTD || io.kind == VMACCEL_IOMMU_AMD_VI));
}

TEST_CASE("no IOMMU is reported with a reason", "[probe]")
{
    Host host;
    REQUIRE(shim_host_bare(&host.h) == 0);
    SECTION("empty class directory")
    {
        host.start();
        vmaccel_iommu_info io = host.iommu();
        CHECK(io.present == 0);
        CHECK(io.kind == VMACCEL_IOMMU_NONE);
        CHECK(contains(io.reason, "is empty"));
    }
    SECTION("no class directory at all")
    {
        REQUIRE(rmdir((std::string(host.h.sysfs) + "/class/iommu").c_str()) == 0);
        host.start();
        CHECK(contains(host.iommu().reason, "missing"));
    }
    SECTION("a device-tree SMMUv3 that no driver registered")
    {
        static const char compat[] = "vendor,other\0arm,smmu-v3";
        REQUIRE(shim_write_file(host.h.devicetree, "soc/iommu@2b400000/compatible",
                                compat, sizeof compat) == 0);
        host.start();
        vmaccel_iommu_info io = host.iommu();
        CHECK(io.present == 0);
        CHECK(io.dt_smmuv3_nodes == 1);
        CHECK(contains(io.reason, "no driver"));
    }
}

TEST_CASE("hostile device trees terminate", "[probe]")
{
    Host host;
    REQUIRE(shim_host_bare(&host.h) == 0);
    std::string deep = "a";
    for (int i = 0; i < 40; i++)
        deep += "/a";
    REQUIRE(shim_mkdir(host.h.devicetree, deep.c_str()) == 0);
    std::string loop = std::string(host.h.devicetree) + "/a/loop";
    REQUIRE(symlink(host.h.devicetree, loop.c_str()) == 0);
    REQUIRE(shim_write_file(host.h.devicetree, "a/compatible", "arm,smmu-v3", 11) == 0);
    host.start(); // a symlink loop and 41 levels: bounded walk, no hang
    CHECK(host.iommu().dt_smmuv3_nodes == 1); // unterminated string still matched
}

TEST_CASE("KVM absence is explained", "[probe]")
{
    Host host;
    REQUIRE(shim_host_bare(&host.h) == 0);
    SECTION("no device node")
    {
        host.start();
        vmaccel_hv_info kvm = host.hv(VMACCEL_HV_KVM);
        CHECK(kvm.status == VMACCEL_HV_UNAVAILABLE);
        CHECK(contains(kvm.reason, "no "));
        CHECK(contains(kvm.reason, "/dev/kvm"));
    }
    SECTION("a device node that is not KVM")
    {
        REQUIRE(shim_write_file(host.h.devfs, "kvm", "x", 1) == 0);
        host.start();
        vmaccel_hv_info kvm = host.hv(VMACCEL_HV_KVM);
        CHECK(kvm.status == VMACCEL_HV_UNAVAILABLE);
        CHECK(contains(kvm.reason, "not a KVM device"));
    }
}

TEST_CASE("HVF and WHPX are not applicable on Linux", "[probe]")
{
    Host host;
    REQUIRE(shim_host_bare(&host.h) == 0);
    host.start();
    CHECK(host.hv(VMACCEL_HV_HVF).status == VMACCEL_HV_NOT_APPLICABLE);
    CHECK(contains(host.hv(VMACCEL_HV_HVF).reason, "macOS"));
    CHECK(host.hv(VMACCEL_HV_WHPX).status == VMACCEL_HV_NOT_APPLICABLE);
    CHECK(contains(host.hv(VMACCEL_HV_WHPX).reason, "Windows"));
}

TEST_CASE("the live KVM probe agrees with the kernel", "[probe]")
{
    // Ask the kernel directly, then compare with the probe's verdict.
    bool usable = false;
    int api = 0;
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        api = ioctl(fd, KVM_GET_API_VERSION, 0);
        int vm = api == 12 ? ioctl(fd, KVM_CREATE_VM, 0) : -1;
        usable = vm >= 0;
        if (vm >= 0)
            close(vm);
        close(fd);
    }
    vmaccel_manager *m = nullptr;
    REQUIRE(vmaccel_manager_new(nullptr, &m) == 0);
    vmaccel_hv_info kvm = VMACCEL_HV_INFO_INIT;
    REQUIRE(vmaccel_manager_hypervisor(m, VMACCEL_HV_KVM, &kvm) == 0);
    CHECK((kvm.status == VMACCEL_HV_AVAILABLE) == usable);
    if (usable) {
        CHECK(kvm.api_version == api);
        CHECK(kvm.max_vcpus > 0);
    } else {
        CHECK(kvm.reason[0] != '\0');
    }
    vmaccel_manager_free(m);
}

TEST_CASE("probe queries check their arguments", "[probe][errors]")
{
    vmaccel_manager *m = nullptr;
    REQUIRE(shim_manager("core:1 pu:1", nullptr, &m) == 0);
    vmaccel_hv_info hv = VMACCEL_HV_INFO_INIT;
    CHECK(vmaccel_manager_hypervisor(m, static_cast<vmaccel_hypervisor>(3), &hv) ==
          VMACCEL_EINVAL);
    hv.version = 0;
    CHECK(vmaccel_manager_hypervisor(m, VMACCEL_HV_KVM, &hv) == VMACCEL_EINVAL);
    CHECK(vmaccel_manager_iommu(m, nullptr) == VMACCEL_EINVAL);
    vmaccel_manager_options o = VMACCEL_MANAGER_OPTIONS_INIT;
    std::string long_root(600, 'x');
    o.sysfs_root = long_root.c_str();
    vmaccel_manager *bad = nullptr;
    CHECK(vmaccel_manager_new(&o, &bad) == VMACCEL_EINVAL);
    CHECK(bad == nullptr);
    vmaccel_manager_free(m);
}
