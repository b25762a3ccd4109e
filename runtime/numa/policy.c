/* The per-VM gate (policy.h). */
#include "policy.h"

#include <math.h>

void va_policy_config_defaults(va_policy_config *c)
{
    c->threshold = 0.8;
    c->hysteresis = 0.05;
    c->trigger_samples = 3;
    c->clear_fraction = 0.5;
    c->cooldown_samples = 5;
    c->max_backoff_shift = 4;
}

static unsigned cooldown(const va_policy_config *c, const va_policy_state *s)
{
    return c->cooldown_samples << s->backoff_shift;
}

/* Twice the longest cooldown: actions closer than this are relapses. */
static unsigned relapse_window(const va_policy_config *c)
{
    return 2 * (c->cooldown_samples << c->max_backoff_shift);
}

static void track_streak(const va_policy_config *c, va_policy_state *s, double rate)
{
    if (rate < c->threshold)
        s->low_streak++;
    else if (rate >= c->threshold + c->hysteresis)
        s->low_streak = 0;
}

bool va_policy_gate(const va_policy_config *c, va_policy_state *s, double rate,
                    double error)
{
    if (s->since_action < UINT32_MAX)
        s->since_action++;
    if (isnan(rate))
        return false;
    track_streak(c, s, rate);
    if (s->actions > 0 && s->since_action < cooldown(c, s))
        return false;
    bool clearly = rate + error < c->clear_fraction * c->threshold;
    return s->low_streak >= c->trigger_samples || (clearly && s->low_streak > 0);
}

void va_policy_acted(const va_policy_config *c, va_policy_state *s)
{
    if (s->actions == 0 || s->since_action >= relapse_window(c))
        s->backoff_shift = 0;
    else if (s->backoff_shift < c->max_backoff_shift)
        s->backoff_shift++;
    s->actions++;
    s->since_action = 0;
    s->low_streak = 0;
}
