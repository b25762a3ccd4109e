/* libvirt and libxml2, loaded at the first connection (see lv.h). */
#include "vmm/libvirt/lv.h"

#include "core/error.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>

lv_api_calls lv_api;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_failure[512]; /* "" once loaded */

/* A library by its soname (the ABI vm-accel was built against), kept
 * loaded for the process's life: libvirt keeps threads and global state. */
static void *open_library(const char *soname)
{
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib && !*load_failure)
        snprintf(load_failure, sizeof load_failure, "cannot load %s (%s)", soname, dlerror());
    return lib;
}

static void *find(void *lib, const char *soname, const char *name)
{
    void *sym = lib ? dlsym(lib, name) : NULL;
    if (lib && !sym && !*load_failure)
        snprintf(load_failure, sizeof load_failure, "%s has no %s: older than the %s headers "
                 "vm-accel was built with", soname, name, soname);
    return sym;
}

#define LV_FIND(name) lv_api.name = (__typeof__(lv_api.name))find(lib, soname, #name);

static void load_all(void)
{
    const char *soname = "libvirt.so.0";
    void *lib = open_library(soname);
    LV_LIBVIRT_CALLS(LV_FIND)
    soname = "libvirt-qemu.so.0";
    lib = open_library(soname);
    LV_LIBVIRT_QEMU_CALLS(LV_FIND)
    soname = "libxml2.so.2";
    lib = open_library(soname);
    LV_LIBXML2_CALLS(LV_FIND)
    lv_api.xml_free = (xmlFreeFunc *)find(lib, soname, "xmlFree");
}

int lv_load(void)
{
    pthread_once(&load_once, load_all);
    return *load_failure ? va_fail(VMACCEL_ENOTSUP, "libvirt support: %s; install libvirt0 "
                                   "to act on libvirt domains", load_failure)
                         : 0;
}
