/*
 * vmaccel/numa.h - NUMA locality balancing and NUMA-aware allocation.
 *
 * When NUMA balancing is on (vmaccel_manager_enable_numa) and the manager's
 * loop runs (vmaccel_manager_start), the engine runs one period right away
 * and then every `interval_ms`. A period decides for the whole host at once:
 *  - it observes every attached VM: where its guest RAM lives (move_pages
 *    status queries on a random sample of pages, sized for `sample_error`
 *    and smaller when the placement is plain), where its vCPUs run and for
 *    how long, and the kernel's NUMA fault counters when NUMA balancing
 *    exposes them; from these, the VM's local access rate. A VM with guest
 *    NUMA nodes (vmaccel_vm_set_numa_cells, or a QEMU's -numa) is observed
 *    node by node: each guest node is a NUMA client;
 *  - each VM's gate says whether it needs a fix: its rate stayed below
 *    `threshold` for `trigger_samples` periods, or it is clearly misplaced
 *    (even its error bound is far below the threshold) and is acted on in
 *    the first period it is seen; hysteresis, a cooldown and a backoff for
 *    fixes that do not hold keep it from thrashing;
 *  - one decision for every VM that needs a fix, from a model of the host
 *    (usable CPUs, the load of every VM and of other threads, free memory
 *    less a reserve, each VM's cpuset): move a client's vCPUs next to its
 *    memory, migrate its memory to its vCPUs, or swap two VMs that sit on
 *    each other's memory, whichever gains most locality per unit of cost,
 *    without two VMs claiming the same free CPUs or memory; a VM the host
 *    has no room or budget for gets REBALANCE_DEFERRED with the reason;
 *  - vCPU moves are applied and re-read (REBALANCE_APPLIED names the nodes
 *    the kernel now runs them on); memory migrates on worker threads off
 *    the loop, several migrations side by side within one budget of
 *    `migrate_mb_per_s`, huge pages moved whole, and REBALANCE_APPLIED
 *    gives the migration's real duration and rate.
 * Each step is an event (events.h) and appears in the report.
 *
 * Privileges: reading placement needs only the right to read the VMM's
 * /proc entries (same user); pinning another user's threads needs
 * CAP_SYS_NICE; migrating another process's pages needs CAP_SYS_NICE too.
 */
#ifndef VMACCEL_NUMA_H
#define VMACCEL_NUMA_H

#include "common.h"
#include "manager.h"

#include <stddef.h>

VMACCEL_BEGIN_DECLS

typedef struct vmaccel_vm vmaccel_vm;

/* Which fixes the engine may apply. */
typedef enum vmaccel_numa_fix {
    VMACCEL_NUMA_FIX_CHEAPER = 0,      /* whichever costs less (default) */
    VMACCEL_NUMA_FIX_MOVE_VCPUS = 1,   /* only move vCPUs to their memory */
    VMACCEL_NUMA_FIX_MIGRATE_MEMORY = 2/* only migrate memory to the vCPUs */
} vmaccel_numa_fix;

#define VMACCEL_NUMA_OPTIONS_VERSION 4
typedef struct vmaccel_numa_options {
    unsigned version;            /* VMACCEL_NUMA_OPTIONS_VERSION */
    unsigned interval_ms;        /* sampling period; 0: 1000 */
    double threshold;            /* act below this local rate; 0: 0.8 */
    double hysteresis;           /* re-arm at threshold + this; 0: 0.05 */
    unsigned trigger_samples;    /* consecutive low periods; 0: 3 */
    unsigned cooldown_samples;   /* periods between actions; 0: 5 */
    unsigned migrate_mb_per_s;   /* memory migration budget; 0: 256 */
    double sample_error;         /* placement estimate error; 0: 0.02 */
    vmaccel_numa_fix fix;        /* which fixes the engine may choose */
    int dry_run;                 /* decide and report, change nothing */
    /* Version 2: */
    unsigned migrate_workers;    /* threads migrating memory side by side;
                                    0: half the host's PUs, 1..8 */
    int migrate_whole;           /* 1: a VM whose whole memory moves to one
                                    node goes in one migrate_pages(2) call
                                    instead of windows of move_pages(2) */
    /* Version 3: */
    /* 0: the engine never moves vCPUs the operator placed, nor memory the
     * operator placed (vmaccel_vcpu_limits); a VM whose vCPUs are all
     * placed gets its memory moved to them instead, and one whose memory
     * is placed gets its vCPUs moved. 1: it may move both. */
    int override_pins;
    /* Version 4: */
    /* 1: a VM's vCPU threads are stopped while each window (up to 16 MiB)
     * of its memory moves, so that moving a page needs no TLB flush on
     * the CPUs that run them: migrations of a running VM go several times
     * faster. Each pause lasts about one window's move; idle migration
     * workers move more of the VM's windows within it. Linux, with
     * ptrace permission over the VMM (root, or CAP_SYS_PTRACE); a VMM the
     * kernel lets vm-accel not trace (another tracer, yama) migrates with
     * its vCPUs running, and the migration's event says why. Not for
     * in-process VMs, nor with migrate_whole's single call. If vm-accel
     * dies meanwhile, the kernel lets the threads run again. */
    int migrate_stop_vcpus;
} vmaccel_numa_options;

#define VMACCEL_NUMA_OPTIONS_INIT { VMACCEL_NUMA_OPTIONS_VERSION, 0, 0.0, 0.0, \
    0, 0, 0, 0.0, VMACCEL_NUMA_FIX_CHEAPER, 0, 0, 0, 0, 0 }
/* The size of a version-1 struct (callers built before version 2), of a
 * version-2 one and of a version-3 one. */
#define VMACCEL_NUMA_OPTIONS_V1_SIZE \
    (offsetof(vmaccel_numa_options, dry_run) + sizeof(int))
#define VMACCEL_NUMA_OPTIONS_V2_SIZE \
    (offsetof(vmaccel_numa_options, migrate_whole) + sizeof(int))
#define VMACCEL_NUMA_OPTIONS_V3_SIZE \
    (offsetof(vmaccel_numa_options, override_pins) + sizeof(int))
VMACCEL_API void vmaccel_numa_options_init(vmaccel_numa_options *opts);

/* Sets the engine's options (zeros mean the defaults above). Takes effect
 * at the next period; a changed interval re-arms the timer; the migration
 * workers' count takes effect when the engine first migrates. Version 1
 * to 4 structs are accepted (older ones: the later fields 0). Errors: VMACCEL_EINVAL (version, threshold
 * outside 0..1, sample_error outside 0..0.5, interval above one hour,
 * unknown fix, more than 8 workers). Thread safety: any thread. */
VMACCEL_API int vmaccel_manager_configure_numa(vmaccel_manager *m,
                                               const vmaccel_numa_options *opts);

/* Runs one engine period now, on the calling thread, whether or not the
 * loop runs (tests, `vmaccel run --once`, a VMM driving its own clock).
 * VMACCEL_ESTATE when NUMA balancing is off. Serialised with the loop's
 * periods. Thread safety: any thread except from an event callback. */
VMACCEL_API int vmaccel_manager_numa_tick(vmaccel_manager *m);

typedef enum vmaccel_locality_source {
    VMACCEL_LOCALITY_NONE = 0,           /* not measured yet */
    VMACCEL_LOCALITY_NUMA_FAULTS = 1,    /* the kernel's NUMA fault counters */
    VMACCEL_LOCALITY_PAGE_PLACEMENT = 2  /* runtime-weighted page placement */
} vmaccel_locality_source;

#define VMACCEL_LOCALITY_INFO_VERSION 1
typedef struct vmaccel_locality_info {
    unsigned version;              /* set by the caller */
    vmaccel_locality_source source;
    double local_rate;             /* 0..1; meaningful when source != NONE */
    unsigned home_node;            /* logical node holding most of its RAM */
    uint64_t samples;              /* periods observed */
    uint64_t vcpu_moves;           /* fixes applied: vCPUs moved */
    uint64_t memory_migrations;    /* fixes applied: memory migrated */
    uint64_t pages_migrated;
    uint64_t failures;             /* fixes that failed */
} vmaccel_locality_info;
#define VMACCEL_LOCALITY_INFO_INIT { VMACCEL_LOCALITY_INFO_VERSION, \
    VMACCEL_LOCALITY_NONE, 0.0, 0, 0, 0, 0, 0, 0 }

/* The engine's latest view of a VM. VMACCEL_ENOENT if the engine has not
 * seen it yet. Platforms: Linux; on Windows the engine cannot sample page
 * placement (no move_pages or numa_maps there), so the rate stays unknown.
 * Thread safety: any thread. */
VMACCEL_API int vmaccel_vm_locality(const vmaccel_vm *vm,
                                    vmaccel_locality_info *info);

/* ---- NUMA-aware allocation for in-process VMMs (libnuma) ---- */

typedef enum vmaccel_alloc_policy {
    VMACCEL_ALLOC_LOCAL = 0,      /* on the node of the calling CPU */
    VMACCEL_ALLOC_ONNODE = 1,     /* bound to `node` (logical index) */
    VMACCEL_ALLOC_INTERLEAVE = 2  /* pages round-robin over all nodes */
} vmaccel_alloc_policy;

/* Allocates `size` bytes (rounded up to pages) of zeroed memory with the
 * policy; release with vmaccel_numa_free(ptr, size). `node` is used by
 * VMACCEL_ALLOC_ONNODE only. Errors: VMACCEL_EINVAL (size 0, bad node),
 * VMACCEL_ENOTSUP (no NUMA support in the kernel), VMACCEL_ENOMEM.
 * Platforms: Linux (libnuma); Windows (VirtualAllocExNuma: the node is
 * preferred, not binding; INTERLEAVE commits page by page over the nodes).
 * Thread safety: any thread. */
VMACCEL_API int vmaccel_numa_alloc(const vmaccel_manager *m, size_t size,
                                   vmaccel_alloc_policy policy, unsigned node,
                                   void **out);
VMACCEL_API void vmaccel_numa_free(void *ptr, size_t size);

VMACCEL_END_DECLS

#endif /* VMACCEL_NUMA_H */
