/* Internal: a bump allocator for building nested protobuf-c messages that
 * are freed all at once after encoding. */
#ifndef VA_REPORT_ARENA_H
#define VA_REPORT_ARENA_H

#include <stddef.h>

typedef struct va_arena_chunk va_arena_chunk;
typedef struct va_arena {
    va_arena_chunk *head;
    int failed; /* set once an allocation failed; later ones return NULL */
} va_arena;

#define VA_ARENA_INIT { NULL, 0 }

/* Zeroed, max-aligned memory, or NULL (and a->failed) when out of memory. */
void *va_arena_alloc(va_arena *a, size_t size);
/* Zeroed array of n elements of `size` bytes, overflow-checked. */
void *va_arena_array(va_arena *a, size_t n, size_t size);
/* A copy of a NUL-terminated string. */
char *va_arena_strdup(va_arena *a, const char *s);
void va_arena_free(va_arena *a);

#endif
