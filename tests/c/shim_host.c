/* The fixture host trees of shim.h (sysfs, devfs, device tree under a
 * temporary directory): POSIX file calls, so Linux builds only. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int mkdirs(const char *path)
{
    char tmp[SHIM_PATH_MAX * 2];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int shim_mkdir(const char *root, const char *rel)
{
    char path[SHIM_PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    return mkdirs(path);
}

int shim_write_file(const char *root, const char *rel, const void *data, size_t len)
{
    char path[SHIM_PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    if (mkdirs(path) != 0)
        return -1;
    *slash = '/';
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, data, len);
    close(fd);
    return n == (ssize_t)len ? 0 : -1;
}

int shim_host_bare(shim_host *h)
{
    snprintf(h->dir, sizeof h->dir, "/tmp/vmaccel-fixture-XXXXXX");
    if (!mkdtemp(h->dir))
        return -1;
    snprintf(h->sysfs, sizeof h->sysfs, "%.400s/sys", h->dir);
    snprintf(h->devfs, sizeof h->devfs, "%.400s/dev", h->dir);
    snprintf(h->devicetree, sizeof h->devicetree, "%.400s/dt", h->dir);
    if (shim_mkdir(h->sysfs, "class/iommu") || shim_mkdir(h->sysfs, "kernel/iommu_groups") ||
        shim_mkdir(h->dir, "dev") || shim_mkdir(h->dir, "dt"))
        return -1;
    return 0;
}

int shim_host_smmuv3(shim_host *h, unsigned groups)
{
    static const char compatible[] = "arm,smmu-v3";
    if (shim_host_bare(h) ||
        shim_mkdir(h->sysfs, "class/iommu/smmu3.0x0000000009050000") ||
        shim_write_file(h->devicetree, "smmuv3@9050000/compatible", compatible,
                        sizeof compatible))
        return -1;
    for (unsigned g = 0; g < groups; g++) {
        char rel[64];
        snprintf(rel, sizeof rel, "kernel/iommu_groups/%u", g);
        if (shim_mkdir(h->sysfs, rel))
            return -1;
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

void shim_host_remove(shim_host *h)
{
    if (h->dir[0])
        nftw(h->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    h->dir[0] = '\0';
}
