/*
 * Internal: the simulated host's memory (see sim.h for processes/threads).
 *
 * Guest memory is a set of regions of 4 KiB pages, each page on a node;
 * move_pages queries and moves them like the kernel (status per page,
 * -EFAULT outside any region), migrate_pages moves a whole process.
 * Regions are found through a per-process index, so thousands of VMs
 * cost no more per page than one. Per-node sysfs files (numastat) are
 * scripted. The sim has its own clock, advanced by the test, so time-based
 * logic (migration budgets, cooldowns) replays exactly. Failures: every
 * n-th page move can be made to fail with -EBUSY or -ENOMEM, as the kernel
 * reports pages it could not migrate.
 * Thread safety: its own lock.
 */
#ifndef VA_PLATFORM_SIM_NUMA_H
#define VA_PLATFORM_SIM_NUMA_H

#include "platform/sim.h"
#include <errno.h>

#include <stdbool.h>
#include <stdint.h>

#define VA_SIM_PAGE 4096u

typedef struct va_sim_numa va_sim_numa;

int va_sim_numa_new(va_sim_numa **out);
void va_sim_numa_free(va_sim_numa *n);
/* The sim's memory model (created with the sim). */
va_sim_numa *va_sim_numa_of(va_sim *s);

/* A page mapped but never touched: move_pages says -ENOENT, nothing moves
 * it, numa_maps leaves it out. va_sim_place makes it resident. */
#define VA_SIM_NOT_RESIDENT (-ENOENT)

/* Maps [start, start+bytes) of `pid` with every page on `node` (or
 * VA_SIM_NOT_RESIDENT). */
int va_sim_map(va_sim *s, int pid, uint64_t start, uint64_t bytes, int node);
/* The region mapped at `start` is backed by transparent huge pages (it
 * must be 2 MiB aligned): moving any of a huge page's 512 pages moves all
 * of them, and its other pages asked to move in the same move_pages call
 * fail with -EBUSY, as the kernel's page isolation makes them. */
int va_sim_set_huge(va_sim *s, int pid, uint64_t start, bool huge);
/* Node `node` has `bytes` of memory: its node meminfo says so (MemFree:
 * what the mapped pages leave), and moves that would overfill it fail
 * with -ENOMEM. Unset: no meminfo, no limit. */
int va_sim_set_node_memory(va_sim *s, int node, uint64_t bytes);
/* Puts the pages of [start, start+bytes) on `node` (scripting placement). */
int va_sim_place(va_sim *s, int pid, uint64_t start, uint64_t bytes, int node);
/* Pages of `pid` on each node (counts[0..nodes-1]). */
int va_sim_count_pages(va_sim *s, int pid, unsigned nodes, uint64_t *counts);
/* Runs fn just before each move_pages call that moves pages of a process
 * (not those that only ask), outside the sim's locks: a test makes moves
 * slow with it. NULL: none. */
void va_sim_on_move(va_sim *s, void (*fn)(va_sim *s, int pid, void *arg), void *arg);
/* Every `nth` page move fails with -err (EBUSY, ENOMEM); nth 0: none. */
void va_sim_fail_moves(va_sim *s, unsigned nth, int err);
uint64_t va_sim_pages_moved(va_sim *s);
/* Of those, moved by move_pages while a thread of the process was stopped
 * (thread_stop: the migrator stops a VM's vCPU threads, not the others). */
uint64_t va_sim_pages_moved_stopped(va_sim *s);
/* move_pages calls that only asked where pages are (the engine's samples). */
uint64_t va_sim_page_queries(va_sim *s);
/* The pages those calls asked about, in all. */
uint64_t va_sim_pages_asked(va_sim *s);
/* The clock: starts at 1 s, moves only when advanced. */
void va_sim_advance(va_sim *s, uint64_t ns);
int va_sim_set_node_file(va_sim *s, int node, const char *name, const char *text);

/* /proc/PID/maps and /proc/PID/numa_maps as Linux writes them, for the
 * mapped regions of `pid` (one anonymous rw-p mapping each; numa_maps
 * with per-node page counts "N0=... N1=..."), malloc'd; NULL when the
 * name is neither or the pid maps nothing. sim.c serves them when a test
 * has not scripted the file. */
char *va_sim_numa_text(va_sim_numa *n, int pid, const char *name);

#endif
