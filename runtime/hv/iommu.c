/* IOMMU probe: /sys/class/iommu units, /sys/kernel/iommu_groups, and
 * device-tree nodes compatible with "arm,smmu-v3". */
#include "probe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bounds for walking a (possibly hostile) fixture or firmware tree. */
#define DT_MAX_DEPTH 12
#define DT_MAX_ENTRIES 20000

/* Linux names units after their driver: "smmu3.0x<addr>" (arm-smmu-v3),
 * "dmar<n>" (intel-iommu), "ivhd<n>" (amd-iommu). */
static vmaccel_iommu_kind kind_from_name(const char *name)
{
    if (!strncmp(name, "smmu3.", 6))
        return VMACCEL_IOMMU_SMMUV3;
    if (!strncmp(name, "dmar", 4))
        return VMACCEL_IOMMU_INTEL_VTD;
    if (!strncmp(name, "ivhd", 4))
        return VMACCEL_IOMMU_AMD_VI;
    return VMACCEL_IOMMU_OTHER;
}

static int is_dot(const char *n)
{
    return !strcmp(n, ".") || !strcmp(n, "..");
}

/* Counts a directory's entries; -1 with errno if it cannot be opened. */
static int scan_units(const char *dir, va_iommu_probe *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (is_dot(e->d_name))
            continue;
        unsigned i = out->info.units++;
        if (i < VA_MAX_IOMMU_UNITS) {
            snprintf(out->unit_name[i], sizeof out->unit_name[i], "%.*s",
                     (int)sizeof out->unit_name[i] - 1, e->d_name);
            out->unit_kind[i] = kind_from_name(e->d_name);
        }
    }
    closedir(d);
    return 0;
}

static unsigned count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    unsigned n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += !is_dot(e->d_name);
    closedir(d);
    return n;
}

/* True if a device-tree "compatible" property (NUL-separated strings)
 * lists arm,smmu-v3. */
static int compatible_is_smmuv3(const char *path)
{
    char buf[512];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    for (ssize_t off = 0; off < n; off += (ssize_t)strlen(buf + off) + 1)
        if (!strcmp(buf + off, "arm,smmu-v3"))
            return 1;
    return 0;
}

typedef struct dt_walk {
    va_iommu_probe *out;
    size_t root_len;
    unsigned visited;
} dt_walk;

static void record_dt_node(dt_walk *w, const char *node_path)
{
    unsigned i = w->out->info.dt_smmuv3_nodes++;
    if (i < VA_MAX_IOMMU_UNITS) {
        const char *rel = node_path + w->root_len;
        snprintf(w->out->dt_node[i], VA_PATH_LEN, "%s", *rel ? rel : "/");
    }
}

static void walk_dt(dt_walk *w, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[VA_PATH_LEN * 2];
    while ((e = readdir(d)) != NULL && w->visited < DT_MAX_ENTRIES) {
        if (is_dot(e->d_name))
            continue;
        w->visited++;
        int len = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (len < 0 || (size_t)len >= sizeof path)
            continue;
        struct stat st;
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode) && depth < DT_MAX_DEPTH)
            walk_dt(w, path, depth + 1);
        else if (S_ISREG(st.st_mode) && !strcmp(e->d_name, "compatible") &&
                 compatible_is_smmuv3(path))
            record_dt_node(w, dir);
    }
    closedir(d);
}

static void explain_absence(va_iommu_probe *out, const char *class_dir,
                            int class_errno)
{
    if (class_errno)
        snprintf(out->info.reason, sizeof out->info.reason,
                 "no IOMMU: %s is missing (%s); the kernel has no IOMMU "
                 "support or sysfs is not mounted", class_dir,
                 strerror(class_errno));
    else if (out->info.dt_smmuv3_nodes)
        snprintf(out->info.reason, sizeof out->info.reason,
                 "no IOMMU in use: the device tree describes an SMMUv3 but "
                 "no driver registered it (is arm-smmu-v3 built?)");
    else
        snprintf(out->info.reason, sizeof out->info.reason,
                 "no IOMMU: %s is empty and no iommu group exists (none in "
                 "the machine, or disabled by firmware or kernel command line)",
                 class_dir);
}

void va_probe_iommu(const va_roots *roots, va_iommu_probe *out)
{
    char class_dir[VA_PATH_LEN + 32], groups_dir[VA_PATH_LEN + 32];
    memset(out, 0, sizeof *out);
    vmaccel_iommu_info init = VMACCEL_IOMMU_INFO_INIT;
    out->info = init;
#if defined(_WIN32)
    /* Only a given tree (tests, captured hosts) is read on Windows: the
     * host's own DMA remapping state is in ACPI tables, not in /sys. */
    if (!strcmp(roots->sysfs, "/sys")) {
        snprintf(out->info.reason, sizeof out->info.reason,
                 "not probed: the Windows build has no IOMMU probe yet (Windows "
                 "keeps DMA remapping in the firmware's DMAR/IVRS tables)");
        return;
    }
#endif
    snprintf(class_dir, sizeof class_dir, "%s/class/iommu", roots->sysfs);
    snprintf(groups_dir, sizeof groups_dir, "%s/kernel/iommu_groups", roots->sysfs);
    int class_errno = scan_units(class_dir, out) == 0 ? 0 : errno;
    out->info.groups = count_entries(groups_dir);
    dt_walk w = {out, strlen(roots->devicetree), 0};
    walk_dt(&w, roots->devicetree, 0);
    out->info.present = out->info.units > 0;
    if (out->info.present)
        out->info.kind = out->unit_kind[0];
    else
        explain_absence(out, class_dir, class_errno);
}
