// Error codes, thread-local messages and the version.
#include "shim.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <set>
#include <string>
#include <thread>

TEST_CASE("every error code has its own name", "[errors]")
{
    std::set<std::string> names;
    for (int code = VMACCEL_OK; code >= VMACCEL_EFAULT; code--) {
        const char *s = vmaccel_strerror(code);
        REQUIRE(s != nullptr);
        CHECK(std::string(s).rfind("VMACCEL_", 0) == 0);
        CHECK(std::string(s).find("unknown") == std::string::npos);
        names.insert(s);
    }
    CHECK(names.size() == size_t(1 - VMACCEL_EFAULT));
    CHECK(std::string(vmaccel_strerror(-999)).find("unknown") != std::string::npos);
    CHECK(std::string(vmaccel_strerror(42)).find("unknown") != std::string::npos);
}

TEST_CASE("the last error message is per thread", "[errors]")
{
    vmaccel_topology *t = nullptr;
    REQUIRE(vmaccel_topology_load(nullptr, nullptr) == VMACCEL_EINVAL);
    std::string here = vmaccel_error_last();
    CHECK(here.find("out is NULL") != std::string::npos);
    std::string there = "unset";
    std::thread([&] { there = vmaccel_error_last(); }).join();
    CHECK(there.empty());
    CHECK(std::string(vmaccel_error_last()) == here);
    (void)t;
}

TEST_CASE("version matches the header", "[errors]")
{
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", VMACCEL_VERSION_MAJOR,
             VMACCEL_VERSION_MINOR, VMACCEL_VERSION_PATCH);
    CHECK(std::string(vmaccel_version()) == expect);
    CHECK(vmaccel_version_number() ==
          unsigned(VMACCEL_VERSION_MAJOR * 10000 + VMACCEL_VERSION_MINOR * 100 +
                   VMACCEL_VERSION_PATCH));
}

TEST_CASE("vmaccel_buf_free accepts NULL and empty buffers", "[errors]")
{
    vmaccel_buf_free(nullptr);
    vmaccel_buf empty = {nullptr, 0};
    vmaccel_buf_free(&empty);
    CHECK(empty.data == nullptr);
}
