/* The sim's lookup tables (sim_index.h). */
#include "platform/sim_index.h"

#include "core/error.h"

#include <stdlib.h>

static size_t slot_of(const sim_index *ix, uint64_t key)
{
    uint64_t h = (key + 1) * 0x9e3779b97f4a7c15ull;
    size_t i = (size_t)(h >> 17) & (ix->slots - 1);
    while (ix->keys[i] && ix->keys[i] != key + 1)
        i = (i + 1) & (ix->slots - 1);
    return i;
}

bool sim_grow(void **items, size_t *cap, size_t count, size_t size, size_t first)
{
    if (count < *cap)
        return true;
    size_t more = *cap ? 2 * *cap : first;
    void *grown = realloc(*items, more * size);
    if (!grown)
        return false;
    *items = grown;
    *cap = more;
    return true;
}

size_t sim_index_get(const sim_index *ix, uint64_t key)
{
    if (!ix->slots)
        return SIM_NO_INDEX;
    size_t i = slot_of(ix, key);
    return ix->keys[i] ? ix->values[i] : SIM_NO_INDEX;
}

static int grow(sim_index *ix)
{
    sim_index bigger = {0};
    bigger.slots = ix->slots ? 2 * ix->slots : 64;
    bigger.keys = calloc(bigger.slots, sizeof *bigger.keys);
    bigger.values = calloc(bigger.slots, sizeof *bigger.values);
    if (!bigger.keys || !bigger.values) {
        free(bigger.keys);
        free(bigger.values);
        return va_fail(VMACCEL_ENOMEM, "sim: out of memory for an index");
    }
    for (size_t i = 0; i < ix->slots; i++)
        if (ix->keys[i]) {
            size_t j = slot_of(&bigger, ix->keys[i] - 1);
            bigger.keys[j] = ix->keys[i];
            bigger.values[j] = ix->values[i];
            bigger.used++;
        }
    sim_index_free(ix);
    *ix = bigger;
    return 0;
}

int sim_index_put(sim_index *ix, uint64_t key, size_t value)
{
    if (2 * (ix->used + 1) > ix->slots) {
        int rc = grow(ix);
        if (rc)
            return rc;
    }
    size_t i = slot_of(ix, key);
    if (!ix->keys[i]) {
        ix->keys[i] = key + 1;
        ix->used++;
    }
    ix->values[i] = value;
    return 0;
}

void sim_index_free(sim_index *ix)
{
    free(ix->keys);
    free(ix->values);
    ix->keys = NULL;
    ix->values = NULL;
    ix->used = ix->slots = 0;
}
