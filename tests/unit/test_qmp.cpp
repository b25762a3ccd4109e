// QMP: the reply parser on QEMU's documented shapes and on hostile ones,
// and the bounded client against scripted peers on a real unix socket - a
// well-behaved QEMU (whose vCPU threads are threads of this process), and
// peers that are not QEMU, stall, close mid-reply or flood.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern "C" {
#include "vmm/qmp.h"
#include "vmm/qmp_parse.h"
#include "vmm/vm_internal.h"
#include "vmaccel.pb-c.h"
#include "vmaccel/vmaccel.h"
}

using namespace std::string_literals;

namespace {

bool has(const std::string &s, const std::string &part)
{
    return s.find(part) != std::string::npos;
}

const char *GREETING =
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 2, \"minor\": 2, \"major\": 7}, "
    "\"package\": \"Debian 1:7.2+dfsg-7\"}, \"capabilities\": [\"oob\"]}}\r\n";

} // namespace

TEST_CASE("qmp: messages are classified and anything else is refused", "[qmp]")
{
    va_qmp_msg m;
    REQUIRE(va_qmp_classify(GREETING, strlen(GREETING), &m) == 0);
    CHECK(m.kind == VA_QMP_GREETING);
    CHECK(std::string(m.version) == "7.2.2");
    std::string ret = "{\"return\": {}, \"id\": 7}\r\n";
    REQUIRE(va_qmp_classify(ret.data(), ret.size(), &m) == 0);
    CHECK(m.kind == VA_QMP_RETURN);
    CHECK(m.id == 7);
    std::string err = "{\"id\": 2, \"error\": {\"class\": \"CommandNotFound\", \"desc\": "
                      "\"The command query-memdev has not been found\"}}";
    REQUIRE(va_qmp_classify(err.data(), err.size(), &m) == 0);
    CHECK(m.kind == VA_QMP_ERROR);
    CHECK(has(m.error, "CommandNotFound: The command query-memdev"));
    std::string ev = "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}";
    REQUIRE(va_qmp_classify(ev.data(), ev.size(), &m) == 0);
    CHECK(m.kind == VA_QMP_EVENT);

    for (const std::string &bad :
         {"HTTP/1.1 400 Bad Request\r\n"s, "[1, 2]"s, "{\"return\": {}} trailing"s,
          "{\"return\": "s, "{}"s, "{\"QMP\": {}}"s, ""s, "\x00\x01\x02"s,
          std::string(100, '[') + std::string(100, ']'),
          "{\"a\":" + std::string(40, '{') + std::string(40, '}') + "}"}) {
        INFO(bad.substr(0, 40));
        CHECK(va_qmp_classify(bad.data(), bad.size(), &m) == VMACCEL_EPARSE);
        CHECK(strlen(vmaccel_error_last()) > 0);
    }
    std::string huge = "{\"return\": \"" + std::string(VA_QMP_MAX_MESSAGE, 'x') + "\"}";
    CHECK(va_qmp_classify(huge.data(), huge.size(), &m) == VMACCEL_EPARSE);
    CHECK(has(vmaccel_error_last(), "at most"));
}

TEST_CASE("qmp: query-cpus-fast as QEMU writes it", "[qmp]")
{
    // QEMU 7.2 on x86 with two guest NUMA nodes (docs/interop/qmp).
    std::string reply =
        "{\"return\": [{\"thread-id\": 14249, \"props\": {\"core-id\": 0, \"thread-id\": 0, "
        "\"node-id\": 1, \"socket-id\": 1}, \"qom-path\": \"/machine/unattached/device[1]\", "
        "\"cpu-index\": 1, \"target\": \"x86_64\"}, {\"thread-id\": 14248, \"props\": "
        "{\"core-id\": 0, \"thread-id\": 0, \"node-id\": 0, \"socket-id\": 0}, \"qom-path\": "
        "\"/machine/unattached/device[0]\", \"cpu-index\": 0, \"target\": \"x86_64\"}], "
        "\"id\": 2}\r\n";
    va_qmp_cpu cpus[4];
    size_t n = 0;
    REQUIRE(va_qmp_parse_cpus(reply.data(), reply.size(), cpus, 4, &n) == 0);
    REQUIRE(n == 2);
    CHECK(cpus[0].index == 0);
    CHECK(cpus[0].tid == 14248);
    CHECK(cpus[0].node == 0);
    CHECK(cpus[1].node == 1);
    // Without NUMA: no node-id.
    std::string flat = "{\"return\": [{\"thread-id\": 5, \"props\": {\"core-id\": 0}, "
                       "\"cpu-index\": 0}]}";
    REQUIRE(va_qmp_parse_cpus(flat.data(), flat.size(), cpus, 4, &n) == 0);
    CHECK(cpus[0].node == -1);

    for (const std::string &bad : {
             "{\"return\": []}"s,                                         // no vCPU
             "{\"return\": {}}"s,                                         // not an array
             "{\"return\": [{\"cpu-index\": 0}]}"s,                       // no thread
             "{\"return\": [{\"cpu-index\": \"0\", \"thread-id\": 5}]}"s, // a string
             "{\"return\": [{\"cpu-index\": -1, \"thread-id\": 5}]}"s,
             "{\"return\": [{\"cpu-index\": 4096, \"thread-id\": 5}]}"s,
             "{\"return\": [{\"cpu-index\": 0, \"thread-id\": 0}]}"s,
             "{\"return\": [{\"cpu-index\": 0, \"thread-id\": 99999999999}]}"s,
             "{\"return\": [{\"cpu-index\": 0, \"thread-id\": 5}, {\"cpu-index\": 0, "
             "\"thread-id\": 6}]}"s,
             "{\"return\": [{\"cpu-index\": 0, \"thread-id\": 5, \"props\": {\"node-id\": "
             "\"x\"}}]}"s,
             "{\"return\": [1, 2]}"s}) {
        INFO(bad);
        CHECK(va_qmp_parse_cpus(bad.data(), bad.size(), cpus, 4, &n) == VMACCEL_EPARSE);
    }
    std::string five = "{\"return\": [" + std::string(
        "{\"cpu-index\": 0, \"thread-id\": 1},{\"cpu-index\": 1, \"thread-id\": 2},"
        "{\"cpu-index\": 2, \"thread-id\": 3},{\"cpu-index\": 3, \"thread-id\": 4},"
        "{\"cpu-index\": 4, \"thread-id\": 5}]}");
    CHECK(va_qmp_parse_cpus(five.data(), five.size(), cpus, 4, &n) == VMACCEL_EPARSE);
    std::string error = "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"no\"}}";
    CHECK(va_qmp_parse_cpus(error.data(), error.size(), cpus, 4, &n) == VMACCEL_ENOTSUP);
}

TEST_CASE("qmp: query-memdev backends and their host binding", "[qmp]")
{
    std::string reply =
        "{\"return\": [{\"prealloc\": false, \"host-nodes\": [0, 1], \"size\": 67108864, "
        "\"merge\": true, \"dump\": true, \"policy\": \"bind\", \"share\": false, \"id\": "
        "\"m0\"}, {\"prealloc\": false, \"host-nodes\": [], \"size\": 1073741824, "
        "\"merge\": true, \"dump\": true, \"policy\": \"default\", \"share\": false}]}";
    va_memdev d[4];
    size_t n = 0;
    REQUIRE(va_qmp_parse_memdevs(reply.data(), reply.size(), d, 4, &n) == 0);
    REQUIRE(n == 2);
    CHECK(std::string(d[0].id) == "m0");
    CHECK(d[0].size == 64ull << 20);
    CHECK(std::string(d[0].policy) == "bind");
    CHECK(va_cpumask_isset(&d[0].host_nodes, 1));
    CHECK(std::string(d[1].id).empty()); // id is optional
    CHECK(va_cpumask_empty(&d[1].host_nodes));
    for (const std::string &bad : {
             "{\"return\": [{\"size\": 0, \"policy\": \"bind\", \"host-nodes\": []}]}"s,
             "{\"return\": [{\"size\": -5, \"policy\": \"bind\", \"host-nodes\": []}]}"s,
             "{\"return\": [{\"size\": 99999999999999999999999, \"policy\": \"bind\", "
             "\"host-nodes\": []}]}"s,
             "{\"return\": [{\"size\": 4096, \"host-nodes\": []}]}"s,
             "{\"return\": [{\"size\": 4096, \"policy\": \"bind\", \"host-nodes\": [5000]}]}"s,
             "{\"return\": [{\"size\": 4096, \"policy\": \"bind\", \"host-nodes\": [\"0\"]}]}"s}) {
        INFO(bad);
        CHECK(va_qmp_parse_memdevs(bad.data(), bad.size(), d, 4, &n) == VMACCEL_EPARSE);
    }
}

// ---- the client against scripted peers ----

namespace {

// A unix socket served by a thread that plays `reply` on each connection
// in turn (QEMU serves one client at a time): it gets each line the client
// sends and writes what `reply` returns (the greeting on accept).
struct Peer {
    std::string path;
    int lfd = -1;
    std::thread t;
    std::function<std::string(const std::string &)> reply;
    std::string greeting;
    std::atomic<bool> done{false};

    Peer(std::string greet, std::function<std::string(const std::string &)> r)
        : reply(std::move(r)), greeting(std::move(greet))
    {
        char dir[] = "/tmp/vmaccel-qmp-XXXXXX";
        REQUIRE(mkdtemp(dir) != nullptr);
        path = std::string(dir) + "/qmp.sock";
        lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        memcpy(sa.sun_path, path.c_str(), path.size() + 1);
        REQUIRE(bind(lfd, (sockaddr *)&sa, sizeof sa) == 0);
        REQUIRE(listen(lfd, 1) == 0);
        t = std::thread([this] { serve(); });
    }
    ~Peer()
    {
        done = true;
        shutdown(lfd, SHUT_RDWR);
        close(lfd);
        t.join();
        unlink(path.c_str());
        rmdir(path.substr(0, path.rfind('/')).c_str());
    }
    void serve()
    {
        int c;
        while (!done && (c = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0)
            converse(c);
    }
    void converse(int c)
    {
        send_all(c, greeting);
        std::string buf;
        char tmp[4096];
        while (!done) {
            ssize_t n = recv(c, tmp, sizeof tmp, 0);
            if (n <= 0)
                break;
            buf.append(tmp, (size_t)n);
            size_t nl;
            while ((nl = buf.find('\n')) != std::string::npos) {
                std::string line = buf.substr(0, nl);
                buf.erase(0, nl + 1);
                std::string out = reply(line);
                if (out.rfind("CLOSE", 0) == 0) { // "CLOSE" + what to send first
                    send_all(c, out.substr(5));
                    close(c);
                    return;
                }
                send_all(c, out);
            }
        }
        close(c);
    }
    static void send_all(int fd, const std::string &s)
    {
        for (size_t done_ = 0; done_ < s.size();) {
            ssize_t w = send(fd, s.data() + done_, s.size() - done_, MSG_NOSIGNAL);
            if (w <= 0)
                return;
            done_ += (size_t)w;
        }
    }
};

std::string id_of(const std::string &line)
{
    size_t at = line.find("\"id\": ");
    return at == std::string::npos ? "0" : line.substr(at + 6, line.find('}', at) - at - 6);
}

// Two sleeping threads of this process play the vCPU threads.
struct Threads {
    std::vector<std::thread> ts;
    std::vector<int> tids;
    std::mutex mu;
    std::condition_variable cv;
    bool stop = false;
    Threads()
    {
        for (int i = 0; i < 2; i++)
            ts.emplace_back([this] {
                {
                    std::lock_guard<std::mutex> g(mu);
                    tids.push_back((int)syscall(SYS_gettid));
                }
                cv.notify_all();
                std::unique_lock<std::mutex> l(mu);
                cv.wait(l, [this] { return stop; });
            });
        std::unique_lock<std::mutex> l(mu);
        cv.wait(l, [this] { return tids.size() == 2; });
    }
    ~Threads()
    {
        {
            std::lock_guard<std::mutex> g(mu);
            stop = true;
        }
        cv.notify_all();
        for (auto &t : ts)
            t.join();
    }
};

// A QEMU: asynchronous events before each reply, vCPUs on `tids`.
std::function<std::string(const std::string &)> qemu_like(std::vector<int> tids)
{
    return [tids](const std::string &line) {
        std::string ev = "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 0}, "
                         "\"event\": \"RTC_CHANGE\", \"data\": {\"offset\": 0}}\r\n";
        std::string id = id_of(line);
        if (has(line, "qmp_capabilities"))
            return "{\"return\": {}, \"id\": " + id + "}\r\n";
        if (has(line, "query-cpus-fast")) {
            std::string r = "{\"return\": [";
            for (size_t i = 0; i < tids.size(); i++)
                r += std::string(i ? "," : "") + "{\"cpu-index\": " + std::to_string(i) +
                     ", \"thread-id\": " + std::to_string(tids[i]) +
                     ", \"props\": {\"node-id\": " + std::to_string(i) + "}}";
            return ev + r + "], \"id\": " + id + "}\r\n";
        }
        if (has(line, "query-memdev"))
            return "{\"id\": " + id + ", \"return\": [{\"size\": 4096, \"policy\": \"bind\", "
                   "\"host-nodes\": [0], \"id\": \"m0\"}]}\r\n";
        return "{\"id\": " + id + ", \"error\": {\"class\": \"GenericError\", \"desc\": \"?\"}}\r\n";
    };
}

vmaccel_manager *manager()
{
    vmaccel_manager *m = nullptr;
    REQUIRE(vmaccel_manager_new(nullptr, &m) == 0);
    return m;
}

size_t vms_in(vmaccel_manager *m)
{
    vmaccel_buf b{};
    REQUIRE(vmaccel_manager_report(m, VMACCEL_FORMAT_PROTOBUF, &b) == 0);
    auto *r = vmaccel__v1__diagnostic_report__unpack(nullptr, b.len, b.data);
    size_t n = r ? r->n_vms : 99;
    vmaccel__v1__diagnostic_report__free_unpacked(r, nullptr);
    vmaccel_buf_free(&b);
    return n;
}

} // namespace

TEST_CASE("qmp: a QEMU's vCPU threads, guest nodes and memory binding through QMP",
          "[qmp][attach]")
{
    Threads th;
    Peer peer(GREETING, qemu_like(th.tids));
    vmaccel_manager *m = manager();
    vmaccel_vm *vm = nullptr;
    REQUIRE(vmaccel_vm_attach_qmp(m, peer.path.c_str(), nullptr, &vm) == 0);
    vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
    REQUIRE(vmaccel_vm_info_get(vm, &info) == 0);
    CHECK(info.pid == getpid());
    CHECK(info.discovery == VMACCEL_DISCOVERY_QMP);
    CHECK(info.vmm == VMACCEL_VMM_QEMU);
    REQUIRE(info.vcpu_count == 2);
    for (unsigned i = 0; i < 2; i++) {
        vmaccel_vcpu_info v = VMACCEL_VCPU_INFO_INIT;
        REQUIRE(vmaccel_vm_vcpu(vm, i, &v) == 0);
        CHECK(v.tid == th.tids[i]);
        vmaccel_vcpu_limits l = VMACCEL_VCPU_LIMITS_INIT;
        REQUIRE(vmaccel_vm_vcpu_limits(vm, i, &l) == 0);
        CHECK(l.guest_node == (int)i);
        // The backend bound to host node 0 is the operator's memory placement.
        CHECK(l.memory_pinned == 1);
        CHECK(l.mem_pin_origin == VMACCEL_ORIGIN_QEMU);
        CHECK(has(l.mem_pin_source, "QEMU memory backend m0: policy bind, host-nodes 0"));
    }
    vmaccel_vm_detach(vm);
    vmaccel_manager_free(m);
}

TEST_CASE("qmp: peers that are not QEMU, stall, close or flood change nothing",
          "[qmp][attach][faults]")
{
    Threads th;
    struct Case {
        const char *name;
        std::string greeting;
        std::function<std::string(const std::string &)> reply;
        int code;
        const char *says;
    };
    auto good = qemu_like(th.tids);
    std::vector<Case> cases = {
        {"an HTTP server", "HTTP/1.1 400 Bad Request\r\n\r\n", good, VMACCEL_EPARSE,
         "did not greet like QEMU"},
        {"a silent peer", "", good, VMACCEL_ETIMEDOUT, "no QMP greeting within"},
        {"JSON but not QMP", "{\"hello\": 1}\r\n", good, VMACCEL_EPARSE, "no QMP"},
        {"closes mid-reply", GREETING,
         [&](const std::string &l) {
             return has(l, "query-cpus-fast") ? "CLOSE" : good(l);
         },
         VMACCEL_EIO, "closed before a reply"},
        {"half a reply, then closes", GREETING,
         [&](const std::string &l) -> std::string {
             return has(l, "query-cpus-fast") ? "CLOSE{\"return\": [{\"cpu-index\": 0,"
                                              : good(l);
         },
         VMACCEL_EIO, "closed in the middle of a message"},
        {"half a reply, then silence", GREETING,
         [&](const std::string &l) -> std::string {
             return has(l, "query-cpus-fast") ? "{\"return\": [{\"cpu-index\": 0," : good(l);
         },
         VMACCEL_ETIMEDOUT, "no query-cpus-fast within"},
        {"floods a line", GREETING,
         [&](const std::string &l) {
             return has(l, "query-cpus-fast") ? std::string(2u << 20, ' ') : good(l);
         },
         VMACCEL_EPARSE, "longer than"},
        {"malformed vCPUs", GREETING,
         [&](const std::string &l) {
             return has(l, "query-cpus-fast")
                        ? "{\"return\": [{\"cpu-index\": \"zero\"}], \"id\": " + id_of(l) + "}\n"
                        : good(l);
         },
         VMACCEL_EPARSE, "no valid cpu-index"},
        {"another process's threads", GREETING,
         [&](const std::string &l) {
             return has(l, "query-cpus-fast")
                        ? "{\"return\": [{\"cpu-index\": 0, \"thread-id\": 1}], \"id\": " +
                              id_of(l) + "}\n"
                        : good(l);
         },
         VMACCEL_EPARSE, "not a thread of process"},
    };
    vmaccel_manager *m = manager();
    for (auto &c : cases) {
        INFO(c.name);
        Peer peer(c.greeting, c.reply);
        vmaccel_vm *vm = nullptr;
        auto t0 = std::chrono::steady_clock::now();
        CHECK(vmaccel_vm_attach_qmp(m, peer.path.c_str(), nullptr, &vm) == c.code);
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        CHECK(s < 5.0); // bounded: 2 s per session, whatever the peer does
        CHECK(vm == nullptr);
        INFO(vmaccel_error_last());
        CHECK(has(vmaccel_error_last(), c.says));
        CHECK(vms_in(m) == 0);
    }
    // Nothing listens; a path too long for a unix socket; not a socket.
    vmaccel_vm *vm = nullptr;
    CHECK(vmaccel_vm_attach_qmp(m, "/nonexistent/qmp.sock", nullptr, &vm) == VMACCEL_ENOENT);
    CHECK(vmaccel_vm_attach_qmp(m, ("/tmp/" + std::string(200, 'x')).c_str(), nullptr, &vm) ==
          VMACCEL_EINVAL);
    CHECK(vmaccel_vm_attach_qmp(m, "/etc/hostname", nullptr, &vm) != 0);
    vmaccel_manager_free(m);
}

TEST_CASE("qmp: a socket served by another process than the one attached is refused",
          "[qmp][attach][faults]")
{
    if (getuid() != 0) {
        WARN("skipped: attaching pid 1 needs root");
        return;
    }
    Threads th;
    Peer peer(GREETING, qemu_like(th.tids));
    vmaccel_manager *m = manager();
    vmaccel_vm_options o = VMACCEL_VM_OPTIONS_INIT;
    o.qmp_socket = peer.path.c_str();
    vmaccel_vm *vm = nullptr;
    CHECK(vmaccel_vm_attach_pid(m, 1, &o, &vm) == VMACCEL_EINVAL);
    CHECK(has(vmaccel_error_last(), "is served by process " + std::to_string(getpid()) +
                                        ", not by 1"));
    vmaccel_manager_free(m);
}
