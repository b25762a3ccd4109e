// The live view of `vmaccel run` through its own function: frames for
// hundreds of VMs on small terminals, worst placed first, paged, with the
// summary line; names that could break a terminal are made harmless.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

extern "C" {
#include "run_view.h"
}

namespace {

// Columns a UTF-8 string takes on a terminal: CJK ideographs take two,
// every other code point one (what the view assumes too).
unsigned columns(const std::string &s)
{
    unsigned cols = 0;
    for (size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        unsigned len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        unsigned cp = len == 1 ? c : c & (0x7f >> len);
        for (unsigned k = 1; k < len && i + k < s.size(); k++)
            cp = cp << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3f);
        cols += cp >= 0x4e00 && cp <= 0x9fff ? 2 : 1;
        i += len;
    }
    return cols;
}

struct Screen {
    std::vector<std::string> lines;
    std::string raw;
};

// Renders into memory and splits the frame into its lines, without the
// view's own escape sequences (home, erase line, erase below); any other
// escape byte is left in and fails the checks.
Screen render(run_view_frame &f, unsigned rows, unsigned cols)
{
    char *buf = nullptr;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    REQUIRE(out);
    run_view_render(out, &f, rows, cols);
    REQUIRE(fclose(out) == 0);
    Screen s;
    s.raw.assign(buf, len);
    free(buf);
    std::string text = s.raw;
    for (const char *seq : {"\033[H", "\033[K", "\033[J"})
        for (size_t at; (at = text.find(seq)) != std::string::npos;)
            text.erase(at, strlen(seq));
    size_t start = 0;
    for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
        s.lines.push_back(text.substr(start, nl - start));
    s.lines.push_back(text.substr(start));
    return s;
}

void check_fits(const Screen &s, unsigned rows, unsigned cols)
{
    CHECK(s.lines.size() <= rows);
    for (const std::string &l : s.lines) {
        INFO("line: " << l);
        CHECK(columns(l) <= cols);
        CHECK(l.find('\033') == std::string::npos);
        CHECK(l.find('\r') == std::string::npos);
    }
    CHECK(s.raw.size() >= 2);
    CHECK(s.raw.find("\n\033[K\033[J") == std::string::npos); // no newline after the last line
}

// n VMs with rates spread over 0.30..0.99 in a shuffled order, RAM of 64 MiB
// or 1 GiB, trends of 24 samples, and a few still measuring.
struct Vms {
    std::vector<run_view_vm> vm;
    std::vector<double> trend = std::vector<double>(24, 0.5);
    explicit Vms(unsigned n) : vm(n)
    {
        for (unsigned i = 0; i < n; i++) {
            run_view_vm &v = vm[i];
            memset(&v, 0, sizeof v);
            v.pid = 10000 + static_cast<int>((i * 7919u) % 100000u);
            snprintf(v.name, sizeof v.name, "guest-%u-with-a-long-name", i);
            v.measured = i % 50 != 7;
            v.local_rate = 0.30 + 0.69 * ((i * 37u) % n) / n;
            v.vcpus = 2;
            v.ram_bytes = (i % 3 ? 64ull : 1024ull) << 20;
            v.trend = trend.data();
            v.ntrend = 24;
        }
    }
};

run_view_frame frame_of(Vms &v, unsigned page = 0)
{
    static const char recent[3][200] = {"#1 vm 1 vm-attached VM 1", "#2 vm 2 locality x",
                                        "#3 vm 3 applied y"};
    run_view_frame f{};
    f.clock = "12:00:00";
    f.nodes = 2;
    f.threshold = 0.8;
    f.looking = true;
    f.keys = true;
    f.events = 1234;
    f.actions = 56;
    f.vms = v.vm.data();
    f.nvms = static_cast<unsigned>(v.vm.size());
    f.recent = recent;
    f.nrecent = 3;
    f.page = page;
    run_view_sort(f.vms, f.nvms);
    return f;
}

// The pid at the start of a VM row ("  12345 name ..."), or -1.
int row_pid(const std::string &line)
{
    char *end;
    long pid = strtol(line.c_str(), &end, 10);
    return end != line.c_str() && *end == ' ' && pid >= 10000 ? static_cast<int>(pid) : -1;
}

} // namespace

TEST_CASE("300 VMs fit an 80x24 terminal: summary, worst first, paged")
{
    Vms v(300);
    run_view_frame f = frame_of(v);
    Screen s = render(f, 24, 80);
    check_fits(s, 24, 80);
    REQUIRE(s.lines.size() == 24);

    double host;
    REQUIRE(run_view_host_rate(f.vms, f.nvms, &host, nullptr));
    char want[64];
    snprintf(want, sizeof want, "local %.1f%% host-wide", 100.0 * host);
    INFO(s.lines[1]);
    CHECK(s.lines[1].find("300 VMs") != std::string::npos);
    CHECK(s.lines[1].find(want) != std::string::npos);
    CHECK(s.lines[1].find("56 actions") != std::string::npos);
    CHECK(s.lines[1].find("6 measuring") != std::string::npos);

    // Page 1 holds the worst: its rows are the first VMs of the sorted list.
    std::vector<int> page1;
    for (const std::string &l : s.lines)
        if (row_pid(l) > 0)
            page1.push_back(row_pid(l));
    REQUIRE(page1.size() >= 10);
    for (size_t i = 0; i < page1.size(); i++)
        CHECK(page1[i] == f.vms[i].pid);
    for (unsigned i = 1; i < 294; i++) // measured ones by rising rate
        CHECK(f.vms[i - 1].local_rate <= f.vms[i].local_rate);
    CHECK(s.lines.back().find("page 1/") == 0);
    CHECK(s.lines.back().find("n/p: page") != std::string::npos);

    // Every VM is on exactly one page; the last page is clamped.
    std::set<int> seen;
    unsigned pages = 0;
    for (unsigned p = 0; p < 1000 && seen.size() < 300; p++, pages++) {
        run_view_frame g = f;
        g.page = p;
        Screen t = render(g, 24, 80);
        check_fits(t, 24, 80);
        for (const std::string &l : t.lines)
            if (row_pid(l) > 0)
                CHECK(seen.insert(row_pid(l)).second);
    }
    CHECK(seen.size() == 300);
    run_view_frame past = f;
    past.page = 100000;
    render(past, 24, 80);
    CHECK(past.page == pages - 1);
}

TEST_CASE("the view fits any terminal size, down to one cell")
{
    Vms v(300);
    for (unsigned rows : {1u, 2u, 3u, 5u, 6u, 11u, 12u, 19u, 20u, 50u})
        for (unsigned cols : {1u, 10u, 20u, 40u, 79u, 80u, 200u}) {
            run_view_frame f = frame_of(v, 3);
            INFO(rows << "x" << cols);
            check_fits(render(f, rows, cols), rows, cols);
        }
}

TEST_CASE("names cannot move the cursor or overflow the line")
{
    Vms v(40);
    snprintf(v.vm[0].name, sizeof v.vm[0].name, "e\033[2J\r\n\x9b\007vil\033]0;t");
    snprintf(v.vm[1].name, sizeof v.vm[1].name, "\xe8\x99\x9a\xe6\x8b\x9f\xe6\x9c\xba"
             "\xe8\x99\x9a\xe6\x8b\x9f\xe6\x9c\xba\xe8\x99\x9a\xe6\x8b\x9f\xe6\x9c\xba"
             "\xe8\x99\x9a\xe6\x8b\x9f\xe6\x9c\xba"); // 12 CJK ideographs: 24 columns
    snprintf(v.vm[2].name, sizeof v.vm[2].name, "bad\xff\xc0\x80utf8\xe2\x82");
    v.vm[0].local_rate = v.vm[1].local_rate = v.vm[2].local_rate = 0.01; // page 1
    run_view_frame f = frame_of(v);
    Screen s = render(f, 24, 80);
    check_fits(s, 24, 80);
    std::string all;
    for (const std::string &l : s.lines)
        all += l + "\n";
    CHECK(all.find("e?[2J????vil?]0;t ") != std::string::npos);
    CHECK(all.find("bad???utf8?") != std::string::npos);
    // The CJK name is cut to its 18 columns: nine ideographs, aligned.
    size_t cjk = all.find("\xe8\x99\x9a");
    REQUIRE(cjk != std::string::npos);
    size_t eol = all.find('\n', cjk);
    CHECK(columns(all.substr(cjk, eol - cjk)) <= 80 - 8);
}

TEST_CASE("a few VMs are shown with their vCPUs, none with a placeholder")
{
    Vms v(3);
    for (auto &vm : v.vm)
        snprintf(vm.where, sizeof vm.where, "0@cpu%d* 1@cpu%d", vm.pid % 4, vm.pid % 3);
    run_view_frame f = frame_of(v);
    bool details = false;
    CHECK(run_view_page_size(&f, 24, &details) == 3);
    CHECK(details);
    Screen s = render(f, 24, 80);
    check_fits(s, 24, 80);
    unsigned vcpu_lines = 0;
    for (const std::string &l : s.lines)
        vcpu_lines += l.find("vCPUs: 0@cpu") != std::string::npos;
    CHECK(vcpu_lines == 3);
    CHECK(s.lines.back().find("page") == std::string::npos);

    run_view_frame none = frame_of(v);
    none.nvms = 0;
    Screen e = render(none, 24, 80);
    check_fits(e, 24, 80);
    CHECK(e.raw.find("no VM yet (looking for QEMU processes)") != std::string::npos);
}

TEST_CASE("the host-wide rate is weighted by guest RAM")
{
    run_view_vm vms[3] = {};
    vms[0].measured = vms[1].measured = true;
    vms[0].local_rate = 0.0;
    vms[0].ram_bytes = 1ull << 30;
    vms[1].local_rate = 1.0;
    vms[1].ram_bytes = 3ull << 30;
    vms[2].local_rate = 0.0; // still measuring: not counted
    double r = -1;
    bool by_ram = false;
    REQUIRE(run_view_host_rate(vms, 3, &r, &by_ram));
    CHECK(r == Approx(0.75));
    CHECK(by_ram);
    vms[1].ram_bytes = 0; // unknown RAM: equal weights
    REQUIRE(run_view_host_rate(vms, 3, &r, &by_ram));
    CHECK(r == Approx(0.5));
    CHECK_FALSE(by_ram);
    vms[0].measured = vms[1].measured = false;
    CHECK_FALSE(run_view_host_rate(vms, 3, &r, nullptr));
}
