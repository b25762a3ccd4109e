#include "arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE 16384

struct va_arena_chunk {
    va_arena_chunk *next;
    size_t used, size;
    alignas(max_align_t) unsigned char data[];
};

static size_t round_up(size_t n)
{
    size_t a = alignof(max_align_t);
    return (n + a - 1) & ~(a - 1);
}

void *va_arena_alloc(va_arena *a, size_t size)
{
    if (a->failed)
        return NULL;
    size = round_up(size ? size : 1);
    va_arena_chunk *c = a->head;
    if (!c || c->size - c->used < size) {
        size_t cap = size > CHUNK_SIZE ? size : CHUNK_SIZE;
        c = calloc(1, sizeof *c + cap);
        if (!c) {
            a->failed = 1;
            return NULL;
        }
        c->size = cap;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    return p;
}

void *va_arena_array(va_arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        a->failed = 1;
        return NULL;
    }
    return va_arena_alloc(a, n * size);
}

char *va_arena_strdup(va_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = va_arena_alloc(a, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

void va_arena_free(va_arena *a)
{
    va_arena_chunk *c = a->head;
    while (c) {
        va_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->failed = 0;
}
