/* Internal: the memory operations of each platform, bound into their
 * va_platform tables by linux.c and sim.c. */
#ifndef VA_PLATFORM_MEM_H
#define VA_PLATFORM_MEM_H

#include "platform/platform.h"

int va_lx_move_pages(const va_platform *p, int pid, size_t count,
                     void *const *pages, const int *nodes, int *status);
int va_lx_read_node(const va_platform *p, int node, const char *name,
                    char **text, size_t *len);
uint64_t va_lx_now_ns(const va_platform *p);
int va_lx_migrate_pages(const va_platform *p, int pid, int to_node, uint64_t *not_moved);

int va_sim_move_pages(const va_platform *p, int pid, size_t count,
                      void *const *pages, const int *nodes, int *status);
int va_sim_read_node(const va_platform *p, int node, const char *name,
                     char **text, size_t *len);
uint64_t va_sim_now_ns(const va_platform *p);
int va_sim_migrate_pages(const va_platform *p, int pid, int to_node, uint64_t *not_moved);

#endif
