/* The migrator (migrator.h): workers take windows of every job in turn,
 * under one shared byte budget; threads on a real host, inline on the sim. */
#include "numa/migrator.h"

#include "core/cond_clock.h"
#include "core/error.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE 4096u
/* The bucket holds a quarter second's worth (at least a window): enough
 * to keep every worker busy, small enough to keep migrations smooth.
 * Inline (a manual clock that jumps a period at a time) it holds a
 * second's worth, so a period moves what the budget allows in it. */
#define BURST_MIN (VA_MIGRATE_WINDOW * PAGE)
/* Weight of the past in the calibrated rate, per finished migration. */
#define RATE_DECAY 0.5

struct va_migrator {
    pthread_mutex_t lock;
    pthread_cond_t wake;        /* workers: a job, budget, a cancel, the end */
    clockid_t wake_clock;       /* what `wake`'s timed waits read */
    pthread_cond_t idle;        /* cancel/wait_idle: a window was let go */
    const va_platform *plat;
    bool threaded, stopping;
    unsigned nworkers, started;
    pthread_t threads[VA_MIGRATOR_MAX_WORKERS];
    va_migrate_buf *bufs[VA_MIGRATOR_MAX_WORKERS];
    va_budget budget;
    va_mig_job *jobs;           /* in turn order; done ones stay until collected */
    uint64_t turns;             /* windows claimed and whole moves paid, ever */
    double rate;                /* calibrated bytes/s, 0 unknown */
};

typedef struct worker {
    va_migrator *m;
    unsigned index;
} worker;

static uint64_t burst_for(const va_migrator *m, uint64_t rate)
{
    uint64_t burst = m->threaded ? rate / 4 : rate;
    return burst > BURST_MIN ? burst : BURST_MIN;
}

static uint64_t now(const va_migrator *m)
{
    return m->plat->now_ns(m->plat);
}

int va_migrator_new(const va_platform *p, uint64_t rate, bool threaded, unsigned workers,
                    va_migrator **out)
{
    va_migrator *m = calloc(1, sizeof *m);
    if (!m)
        return va_fail(VMACCEL_ENOMEM, "out of memory for the migrator");
    m->nworkers = workers < 1 ? 1 : workers > VA_MIGRATOR_MAX_WORKERS
                                        ? VA_MIGRATOR_MAX_WORKERS : workers;
    if (!threaded)
        m->nworkers = 1;
    for (unsigned i = 0; i < m->nworkers; i++)
        if (va_migrate_buf_new(&m->bufs[i])) {
            while (i--)
                va_migrate_buf_free(m->bufs[i]);
            free(m);
            return VMACCEL_ENOMEM;
        }
    pthread_mutex_init(&m->lock, NULL);
    m->wake_clock = va_cond_init_timed(&m->wake);
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
    va_budget_set_rate(&m->budget, rate, burst_for(m, rate), now(m));
    pthread_cond_broadcast(&m->wake);
    pthread_mutex_unlock(&m->lock);
}

static uint64_t moved_bytes(const va_mig_job *j)
{
    return j->mg.done.pages_moved * PAGE;
}

/* A job with nothing left to claim and no window out is done. Lock held. */
static void maybe_finish(va_migrator *m, va_mig_job *j)
{
    if (j->state == VA_JOB_DONE || j->inflight || (!j->stop && j->mg.active))
        return;
    j->state = VA_JOB_DONE;
    j->end_ns = now(m);
    double secs = j->start_ns && j->end_ns > j->start_ns
                      ? (double)(j->end_ns - j->start_ns) * 1e-9 : 0;
    if (secs > 0 && moved_bytes(j) >= 64 * PAGE) {
        double r = (double)moved_bytes(j) / secs;
        m->rate = m->rate > 0 ? RATE_DECAY * m->rate + (1 - RATE_DECAY) * r : r;
    }
}

static void end_job(va_migrator *m, va_mig_job *j, int rc)
{
    if (!j->rc)
        j->rc = rc;
    j->stop = true;
    maybe_finish(m, j);
}

/* Passes the job's turn on: to the back of the list. Lock held. */
static void rotate(va_migrator *m, va_mig_job *j)
{
    va_mig_job **pp = &m->jobs;
    while (*pp != j)
        pp = &(*pp)->next;
    *pp = j->next;
    j->next = NULL;
    while (*pp)
        pp = &(*pp)->next;
    *pp = j;
}

/* Whether a worker may claim a window of j now. One whose vCPUs stop for
 * its windows: the first window out stops them, and only the worker that
 * stopped them may let them go (ptrace), so no window goes out while it
 * scans or lets go; while they are stopped, idle workers help. Once
 * stopping has failed, windows go out as for any job. */
static bool claimable(const va_mig_job *j)
{
    if (j->state == VA_JOB_DONE || j->stop || !j->mg.active)
        return false;
    return !j->vcpu_stop.ntids || j->vcpus_run_on || !j->inflight || j->vcpus_stopped;
}

/* The first job that still has windows (or its whole move) to hand out. */
static va_mig_job *job_with_work(va_migrator *m)
{
    for (va_mig_job *j = m->jobs; j; j = j->next)
        if (claimable(j))
            return j;
    return NULL;
}

static bool alive(const va_mig_job *j)
{
    return j->pidfd < 0 || j->plat->pidfd_alive(j->plat, j->pidfd) == 0;
}

/* Spends `bytes` of budget, waiting for it (threaded) while the job is
 * wanted. False: not now (inline, or the job was stopped). Lock held. */
static bool pay(va_migrator *m, va_mig_job *j, uint64_t bytes)
{
    for (;;) {
        if (j->stop || m->stopping)
            return false;
        uint64_t wait = va_budget_wait_ns(&m->budget, bytes, now(m));
        if (!wait) {
            va_budget_spend(&m->budget, bytes, now(m));
            return true;
        }
        if (!m->threaded)
            return false;
        struct timespec until =
            va_deadline_in(m->wake_clock, wait < 1000000000ull ? wait : 1000000000ull);
        pthread_cond_timedwait(&m->wake, &m->lock, &until);
    }
}

/* The whole process in one migrate_pages call. Lock held on entry/exit. */
static void move_whole(va_migrator *m, va_mig_job *j)
{
    if (!pay(m, j, j->bytes_wanted))
        return;
    m->turns++;
    j->mg.active = false;
    j->inflight++;
    j->state = VA_JOB_RUNNING;
    pthread_mutex_unlock(&m->lock);
    va_mig_counts c = {0};
    uint64_t t0 = now(m);
    int rc = alive(j) ? va_migration_whole(&j->mg, j->plat, j->bytes_wanted / PAGE, &c)
                      : va_fail(VMACCEL_EGONE, "the VMM (pid %d) exited during the migration",
                                j->pid);
    pthread_mutex_lock(&m->lock);
    j->start_ns = j->start_ns ? j->start_ns : t0;
    va_mig_counts_add(&j->mg.done, &c);
    j->inflight--;
    end_job(m, j, rc);
}

/* Before the window moves: stops the VM's vCPUs (when asked for), and from
 * then on other workers may help with its windows. Lock dropped. */
static void hold_vcpus(va_migrator *m, va_mig_job *j)
{
    va_vcpu_stop_hold(&j->vcpu_stop, j->plat, j->pid);
    pthread_mutex_lock(&m->lock);
    j->vcpus_stopped = j->vcpu_stop.ntids && !j->vcpu_stop.off;
    j->vcpus_run_on = j->vcpu_stop.off;
    if (j->vcpus_stopped || j->vcpus_run_on) /* its windows are open to all */
        pthread_cond_broadcast(&m->wake);
    pthread_mutex_unlock(&m->lock);
}

/* After it moved: no more helpers; once those helping are done, the vCPUs
 * run again. Lock dropped. */
static void let_vcpus_go(va_migrator *m, va_mig_job *j)
{
    pthread_mutex_lock(&m->lock);
    j->vcpus_stopped = false;
    while (j->helpers)
        pthread_cond_wait(&m->idle, &m->lock);
    pthread_mutex_unlock(&m->lock);
    va_vcpu_stop_release(&j->vcpu_stop, j->plat);
}

/* One window of job j: claim, scan, pay for what is misplaced, move,
 * account. A worker claiming a window while another holds the job's vCPUs
 * stopped helps: it moves its window within that stop. Lock held on entry
 * and exit, dropped around system calls. */
static void move_window(va_migrator *m, va_mig_job *j, va_migrate_buf *buf)
{
    va_mig_window w;
    /* Inline, nothing waits for the budget: a window is claimed only when
     * a whole one could be paid for. */
    if (!m->threaded && va_budget_available(&m->budget, now(m)) < VA_MIGRATE_WINDOW * PAGE)
        return;
    if (!va_migration_claim(&j->mg, j->regions, j->nregions, &w)) {
        maybe_finish(m, j);
        return;
    }
    bool helping = j->vcpus_stopped;
    m->turns++;
    j->inflight++;
    j->helpers += helping;
    j->state = VA_JOB_RUNNING;
    rotate(m, j);
    pthread_mutex_unlock(&m->lock);
    va_mig_counts c = {0};
    int rc = alive(j) ? va_migration_scan(&j->mg, j->plat, &w, buf, &c)
                      : va_fail(VMACCEL_EGONE, "the VMM (pid %d) exited during the migration",
                                j->pid);
    pthread_mutex_lock(&m->lock);
    bool paid = !rc && w.misplaced && pay(m, j, (uint64_t)w.misplaced * PAGE);
    if (paid) {
        pthread_mutex_unlock(&m->lock);
        uint64_t t0 = now(m);
        if (!helping)
            hold_vcpus(m, j);
        rc = va_migration_move(&j->mg, j->plat, &w, buf, &c);
        if (!helping)
            let_vcpus_go(m, j);
        pthread_mutex_lock(&m->lock);
        j->start_ns = j->start_ns ? j->start_ns : t0;
        j->helped_windows += helping;
    }
    va_mig_counts_add(&j->mg.done, &c);
    j->inflight--;
    j->helpers -= helping;
    if (rc)
        end_job(m, j, rc);
    else if (moved_bytes(j) >= j->bytes_wanted)
        end_job(m, j, 0);
    maybe_finish(m, j);
    pthread_cond_broadcast(&m->idle);
}

/* A worker's turn with job j (lock held). */
static void work_on(va_migrator *m, va_mig_job *j, va_migrate_buf *buf)
{
    if (j->whole_process)
        move_whole(m, j);
    else
        move_window(m, j, buf);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    va_migrator *m = w->m;
    va_migrate_buf *buf = m->bufs[w->index];
    free(w);
    pthread_mutex_lock(&m->lock);
    while (!m->stopping) {
        va_mig_job *j = job_with_work(m);
        if (!j) {
            pthread_cond_broadcast(&m->idle);
            pthread_cond_wait(&m->wake, &m->lock);
            continue;
        }
        work_on(m, j, buf);
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

/* The workers take no signals (like the loop thread). Lock held. */
static void start_workers(va_migrator *m)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (unsigned i = m->started; i < m->nworkers; i++) {
        worker *w = malloc(sizeof *w);
        if (!w)
            break;
        *w = (worker){m, i};
        if (pthread_create(&m->threads[i], NULL, worker_main, w) != 0) {
            free(w);
            break;
        }
        pthread_setname_np(m->threads[i], "vmaccel-migrate");
        m->started++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
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
    if (m->threaded && m->started < m->nworkers)
        start_workers(m);
    if (m->threaded && !m->started) /* no thread: it runs inline instead */
        m->threaded = false;
    pthread_cond_broadcast(&m->wake);
    pthread_mutex_unlock(&m->lock);
}

void va_migrator_run(va_migrator *m)
{
    pthread_mutex_lock(&m->lock);
    /* Each turn claims a window (or ends a job), so this stops once the
     * budget is out or every job is done. */
    for (va_mig_job *j; !m->threaded && (j = job_with_work(m)) != NULL;) {
        uint64_t turns = m->turns;
        work_on(m, j, m->bufs[0]);
        if (m->turns == turns && job_with_work(m) == j)
            break; /* it could not be paid for: the budget is out */
    }
    pthread_mutex_unlock(&m->lock);
}

void va_migrator_cancel(va_migrator *m, va_mig_job *job)
{
    pthread_mutex_lock(&m->lock);
    job->stop = true;
    if (!job->rc && job->state != VA_JOB_DONE)
        job->rc = va_fail(VMACCEL_ESTATE, "the migration was cancelled");
    pthread_cond_broadcast(&m->wake); /* a worker waiting to pay for it gives up */
    while (job->inflight)
        pthread_cond_wait(&m->idle, &m->lock);
    maybe_finish(m, job);
    for (va_mig_job **pp = &m->jobs; *pp; pp = &(*pp)->next)
        if (*pp == job) {
            *pp = job->next;
            break;
        }
    job->next = NULL;
    pthread_mutex_unlock(&m->lock);
}

size_t va_migrator_collect(va_migrator *m, va_mig_job **done, size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&m->lock);
    for (va_mig_job **pp = &m->jobs; *pp && n < max;) {
        if ((*pp)->state == VA_JOB_DONE) {
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
    for (;;) {
        bool busy = false;
        for (const va_mig_job *j = m->jobs; j && !busy; j = j->next)
            busy = j->state != VA_JOB_DONE;
        if (!m->threaded || !busy)
            break;
        pthread_cond_wait(&m->idle, &m->lock);
    }
    pthread_mutex_unlock(&m->lock);
}

uint64_t va_migrator_pending_bytes(va_migrator *m)
{
    uint64_t left = 0;
    pthread_mutex_lock(&m->lock);
    for (const va_mig_job *j = m->jobs; j; j = j->next)
        if (j->state != VA_JOB_DONE && j->bytes_wanted > moved_bytes(j))
            left += j->bytes_wanted - moved_bytes(j);
    pthread_mutex_unlock(&m->lock);
    return left;
}

double va_migrator_observed_rate(va_migrator *m)
{
    pthread_mutex_lock(&m->lock);
    double r = m->rate;
    pthread_mutex_unlock(&m->lock);
    return r;
}

void va_migrator_free(va_migrator *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->stopping = true;
    pthread_cond_broadcast(&m->wake);
    pthread_mutex_unlock(&m->lock);
    for (unsigned i = 0; i < m->started; i++)
        pthread_join(m->threads[i], NULL);
    for (va_mig_job *j = m->jobs; j; j = j->next)
        if (j->state != VA_JOB_DONE) {
            j->inflight = 0;
            end_job(m, j, VMACCEL_ESTATE);
        }
    for (unsigned i = 0; i < m->nworkers; i++)
        va_migrate_buf_free(m->bufs[i]);
    pthread_cond_destroy(&m->wake);
    pthread_cond_destroy(&m->idle);
    pthread_mutex_destroy(&m->lock);
    free(m);
}
