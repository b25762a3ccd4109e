/* The "no fix" reasons told per VM (told.h). */
#include "numa/told.h"

#include <string.h>

/* FNV-1a; never 0, which marks a free slot. Two reasons that collide
 * (about one pair in 4e9) would be told as one. */
static uint32_t hash_of(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h ? h : 1;
}

bool va_told_first(va_told *t, const char *why)
{
    uint32_t h = hash_of(why);
    for (unsigned i = 0; i < VA_TOLD_KEPT; i++)
        if (t->hash[i] == h)
            return false;
    t->hash[t->next] = h;
    t->next = (t->next + 1) % VA_TOLD_KEPT;
    return true;
}

void va_told_clear(va_told *t)
{
    memset(t, 0, sizeof *t);
}
