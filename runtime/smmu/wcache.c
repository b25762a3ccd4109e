/* The walk cache (see wcache.h). */
#include "smmu/wcache.h"

static va_wce *slot(const va_wc_ref *r, uint64_t prefix)
{
    uint64_t h = (r->tag * 0x9e3779b97f4a7c15ull) ^ (prefix * 0xc2b2ae3d27d4eb4full);
    return &r->wc->e[(h >> 40) % VA_WC_ENTRIES];
}

bool va_wc_get(const va_wc_ref *r, uint64_t prefix, uint64_t *table, unsigned *attrs)
{
    va_wce *e = slot(r, prefix);
    if (e->tag != r->tag || e->prefix != prefix || e->gen != r->gen)
        return false;
    *table = e->table;
    *attrs = e->attrs;
    r->wc->hits++;
    return true;
}

void va_wc_put(const va_wc_ref *r, uint64_t prefix, uint64_t table, unsigned attrs)
{
    va_wce *e = slot(r, prefix);
    *e = (va_wce){.tag = r->tag, .prefix = prefix, .table = table, .gen = r->gen,
                  .attrs = attrs};
    r->wc->fills++;
}
