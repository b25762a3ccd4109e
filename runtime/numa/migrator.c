/* The migrator (migrator.h): jobs taken in turn, a window each, under one
 * shared byte budget; a worker thread on a real host, inline on the sim. */
#include "numa/migrator.h"

#include "core/error.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE 4096u
/* The bucket holds at most this much (and a quarter second's worth):
 * enough for one window, so migrations stay smooth. Inline (a manual
 * clock that jumps a period at a time) it holds a second's worth, so a
 * period moves what the budget allows in it. */
#define BURST_MIN (VA_MIGRATE_WINDOW * PAGE)
/* Weight of the past in the calibrated rate, per measured step. */
#define RATE_DECAY 0.9

struct va_migrator {
    pthread_mutex_t lock;
    pthread_cond_t wake;        /* the worker: a job, a cancel, the end */
    pthread_cond_t idle;        /* cancel/wait_idle: the worker let go */
    const va_platform *plat;
    bool threaded, started, stopping;
    pthread_t thread;
    va_budget budget;
    va_mig_job *jobs;           /* in turn order; done ones stay until collected */
    va_mig_job *current;        /* moved by the worker outside the lock */
    va_migrate_buf *buf;
    double rate_bytes, rate_ns; /* decayed sums for the calibrated rate */
};

static uint64_t burst_for(const va_migrator *m, uint64_t rate)
{
    uint64_t burst = m->threaded ? rate / 4 : rate;
    return burst > BURST_MIN ? burst : BURST_MIN;
}

int va_migrator_new(const va_platform *p, uint64_t rate, bool threaded, va_migrator **out)
{
    va_migrator *m = calloc(1, sizeof *m);
    int rc = m ? va_migrate_buf_new(&m->buf)
               : va_fail(VMACCEL_ENOMEM, "out of memory for the migrator");
    if (rc) {
        free(m);
        return rc;
    }
    pthread_mutex_init(&m->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&m->idle, NULL);
    m->plat = p;
    m->threaded = threaded;
    va_budget_init(&m->budget, rate, burst_for(m, rate), p->now_ns(p));
    *out = m;
    return 0;
}

void va_migrator_set_rate(va_migrator *m, uint64_t rate)
{
    pthread_mutex_lock(&m->lock);
    va_budget_set_rate(&m->budget, rate, burst_for(m, rate), m->plat->now_ns(m->plat));
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->lock);
}

static bool finished(const va_mig_job *j)
{
    return j->state == VA_JOB_DONE;
}

static uint64_t moved_bytes(const va_mig_job *j)
{
    return j->mg.pages_moved * PAGE;
}

/* Budget the job's next step needs: a scanned window's misplaced pages,
 * a whole-process move's estimate, nothing for a scan. */
static uint64_t step_cost(const va_mig_job *j)
{
    if (j->whole_process)
        return j->bytes_wanted;
    return (uint64_t)j->mg.win_misplaced * PAGE;
}

static void end_job(va_mig_job *j, int rc, uint64_t now)
{
    j->state = VA_JOB_DONE;
    j->rc = rc;
    j->mg.active = false;
    j->end_ns = now;
}

/* One step of job j, outside the lock: a liveness check, then a scan, a
 * window's move or the whole-process move. */
static int step(va_migrator *m, va_mig_job *j, uint64_t *busy_ns)
{
    const va_platform *p = j->plat;
    if (j->pidfd >= 0 && p->pidfd_alive(p, j->pidfd) != 0)
        return va_fail(VMACCEL_EGONE, "the VMM (pid %d) exited during the migration", j->pid);
    uint64_t t0 = p->now_ns(p);
    int rc;
    if (j->whole_process)
        rc = va_migration_whole(&j->mg, p, j->bytes_wanted / PAGE);
    else if (j->mg.win_misplaced)
        rc = va_migration_move(&j->mg, p, m->buf);
    else
        return va_migration_scan(&j->mg, p, j->regions, j->nregions, m->buf);
    *busy_ns = p->now_ns(p) - t0;
    return rc;
}

static void calibrate(va_migrator *m, uint64_t bytes, uint64_t ns)
{
    if (!bytes || !ns)
        return;
    m->rate_bytes = m->rate_bytes * RATE_DECAY + (double)bytes;
    m->rate_ns = m->rate_ns * RATE_DECAY + (double)ns;
}

/* After a step (lock held): progress, the job's end, its turn passed on. */
static void after_step(va_migrator *m, va_mig_job *j, int rc, uint64_t moved_before,
                       uint64_t busy)
{
    uint64_t now = m->plat->now_ns(m->plat);
    j->busy_ns += busy;
    calibrate(m, moved_bytes(j) - moved_before, busy);
    if (moved_bytes(j) > moved_before && !j->start_ns)
        j->start_ns = now - busy;
    if (rc || !j->mg.active || moved_bytes(j) >= j->bytes_wanted)
        end_job(j, rc, now);
    /* Its turn is over: to the back of the list. */
    va_mig_job **pp = &m->jobs;
    while (*pp != j)
        pp = &(*pp)->next;
    *pp = j->next;
    j->next = NULL;
    while (*pp)
        pp = &(*pp)->next;
    *pp = j;
}

static va_mig_job *next_job(va_migrator *m)
{
    for (va_mig_job *j = m->jobs; j; j = j->next)
        if (!finished(j))
            return j;
    return NULL;
}

/* Runs job j's next step if the budget allows now; lock held (dropped
 * around the step). Returns the ns to wait for the budget, 0 if it ran. */
static uint64_t try_step(va_migrator *m, va_mig_job *j)
{
    uint64_t cost = step_cost(j), now = m->plat->now_ns(m->plat);
    uint64_t wait = cost ? va_budget_wait_ns(&m->budget, cost, now) : 0;
    if (wait)
        return wait;
    if (cost)
        va_budget_spend(&m->budget, cost, now);
    j->state = VA_JOB_RUNNING;
    m->current = j;
    uint64_t before = moved_bytes(j), busy = 0;
    pthread_mutex_unlock(&m->lock);
    int rc = step(m, j, &busy);
    pthread_mutex_lock(&m->lock);
    m->current = NULL;
    after_step(m, j, rc, before, busy);
    pthread_cond_broadcast(&m->idle);
    return 0;
}

static void *worker(void *arg)
{
    va_migrator *m = arg;
    pthread_mutex_lock(&m->lock);
    while (!m->stopping) {
        va_mig_job *j = next_job(m);
        if (!j) {
            pthread_cond_broadcast(&m->idle);
            pthread_cond_wait(&m->wake, &m->lock);
            continue;
        }
        uint64_t wait = try_step(m, j);
        if (wait) {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            wait = wait < 1000000000ull ? wait : 1000000000ull;
            until.tv_nsec += (long)wait;
            until.tv_sec += until.tv_nsec / 1000000000L;
            until.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&m->wake, &m->lock, &until);
        }
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

/* The worker takes no signals (like the loop thread). Lock held. */
static void start_worker(va_migrator *m)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    m->started = pthread_create(&m->thread, NULL, worker, m) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (m->started)
        pthread_setname_np(m->thread, "vmaccel-migrate");
}

void va_migrator_submit(va_migrator *m, va_mig_job *job)
{
    job->state = VA_JOB_QUEUED;
    job->next = NULL;
    pthread_mutex_lock(&m->lock);
    va_mig_job **pp = &m->jobs;
    while (*pp)
        pp = &(*pp)->next;
    *pp = job;
    if (m->threaded && !m->started)
        start_worker(m);
    if (m->threaded && !m->started) /* no thread: it runs inline instead */
        m->threaded = false;
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->lock);
}

void va_migrator_run(va_migrator *m)
{
    pthread_mutex_lock(&m->lock);
    /* Each step spends budget, advances a scan or ends a job (and passes
     * the turn on), so this stops once the budget is out or all is done. */
    va_mig_job *j;
    while (!m->threaded && (j = next_job(m)) != NULL && try_step(m, j) == 0)
        ;
    pthread_mutex_unlock(&m->lock);
}

void va_migrator_cancel(va_migrator *m, va_mig_job *job)
{
    pthread_mutex_lock(&m->lock);
    while (m->current == job)
        pthread_cond_wait(&m->idle, &m->lock);
    for (va_mig_job **pp = &m->jobs; *pp; pp = &(*pp)->next)
        if (*pp == job) {
            *pp = job->next;
            break;
        }
    job->next = NULL;
    if (!finished(job))
        end_job(job, va_fail(VMACCEL_ESTATE, "the migration was cancelled"),
                m->plat->now_ns(m->plat));
    pthread_mutex_unlock(&m->lock);
}

size_t va_migrator_collect(va_migrator *m, va_mig_job **done, size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&m->lock);
    for (va_mig_job **pp = &m->jobs; *pp && n < max;) {
        if (finished(*pp)) {
            done[n++] = *pp;
            *pp = (*pp)->next;
            done[n - 1]->next = NULL;
        } else {
            pp = &(*pp)->next;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return n;
}

void va_migrator_wait_idle(va_migrator *m)
{
    pthread_mutex_lock(&m->lock);
    while (m->threaded && (m->current || next_job(m)))
        pthread_cond_wait(&m->idle, &m->lock);
    pthread_mutex_unlock(&m->lock);
}

uint64_t va_migrator_pending_bytes(va_migrator *m)
{
    uint64_t left = 0;
    pthread_mutex_lock(&m->lock);
    for (const va_mig_job *j = m->jobs; j; j = j->next)
        if (!finished(j) && j->bytes_wanted > moved_bytes(j))
            left += j->bytes_wanted - moved_bytes(j);
    pthread_mutex_unlock(&m->lock);
    return left;
}

double va_migrator_observed_rate(va_migrator *m)
{
    pthread_mutex_lock(&m->lock);
    double r = m->rate_ns > 0 ? m->rate_bytes / m->rate_ns * 1e9 : 0.0;
    pthread_mutex_unlock(&m->lock);
    return r;
}

void va_migrator_progress(va_migrator *m, const va_mig_job *job, va_migration *out)
{
    pthread_mutex_lock(&m->lock);
    *out = job->mg;
    pthread_mutex_unlock(&m->lock);
}

void va_migrator_free(va_migrator *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->stopping = true;
    pthread_cond_broadcast(&m->wake);
    pthread_mutex_unlock(&m->lock);
    if (m->started)
        pthread_join(m->thread, NULL);
    for (va_mig_job *j = m->jobs; j; j = j->next)
        if (!finished(j))
            end_job(j, VMACCEL_ESTATE, m->plat->now_ns(m->plat));
    va_migrate_buf_free(m->buf);
    pthread_cond_destroy(&m->wake);
    pthread_cond_destroy(&m->idle);
    pthread_mutex_destroy(&m->lock);
    free(m);
}
