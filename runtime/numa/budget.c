#include "budget.h"

void va_budget_init(va_budget *b, uint64_t rate, uint64_t burst, uint64_t now_ns)
{
    b->rate = rate;
    b->burst = burst;
    b->tokens = (double)burst;
    b->last_ns = now_ns;
}

static void refill(va_budget *b, uint64_t now_ns)
{
    if (now_ns <= b->last_ns)
        return; /* a clock that stepped back refills nothing */
    double add = (double)(now_ns - b->last_ns) * 1e-9 * (double)b->rate;
    b->tokens += add;
    if (b->tokens > (double)b->burst)
        b->tokens = (double)b->burst;
    b->last_ns = now_ns;
}

uint64_t va_budget_available(va_budget *b, uint64_t now_ns)
{
    refill(b, now_ns);
    return b->tokens > 0 ? (uint64_t)b->tokens : 0;
}

uint64_t va_budget_take(va_budget *b, uint64_t bytes, uint64_t unit, uint64_t now_ns)
{
    uint64_t have = va_budget_available(b, now_ns);
    uint64_t grant = bytes < have ? bytes : have;
    if (unit > 1)
        grant -= grant % unit;
    b->tokens -= (double)grant;
    return grant;
}

void va_budget_refund(va_budget *b, uint64_t bytes)
{
    b->tokens += (double)bytes;
    if (b->tokens > (double)b->burst)
        b->tokens = (double)b->burst;
}

void va_budget_spend(va_budget *b, uint64_t bytes, uint64_t now_ns)
{
    refill(b, now_ns);
    b->tokens -= (double)bytes;
}

uint64_t va_budget_wait_ns(va_budget *b, uint64_t bytes, uint64_t now_ns)
{
    refill(b, now_ns);
    double want = (double)(bytes < b->burst ? bytes : b->burst);
    if (b->tokens >= want)
        return 0;
    if (b->rate == 0)
        return UINT64_MAX;
    return (uint64_t)((want - b->tokens) / (double)b->rate * 1e9) + 1;
}

void va_budget_set_rate(va_budget *b, uint64_t rate, uint64_t burst, uint64_t now_ns)
{
    refill(b, now_ns);
    b->rate = rate;
    b->burst = burst;
    if (b->tokens > (double)burst)
        b->tokens = (double)burst;
}
