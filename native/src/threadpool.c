#define _GNU_SOURCE
#include "threadpool.h"

#include "cpu.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/*
 * Between regions, workers first spin for a short while, because training
 * starts regions microseconds apart and waking a sleeping thread costs tens
 * of microseconds. After that they sleep on a condition variable. A region
 * bumps `generation`, and every thread (the caller too) takes task indices
 * from one atomic counter until they run out.
 *
 * A worker joins a region by incrementing `joined`. Once the caller has
 * claimed the last task it closes the region (sets REGION_CLOSED in
 * `joined`) and waits, spinning first, only for the workers that joined
 * before that. A worker that arrives later sees the flag and touches nothing
 * else, so a worker the scheduler has not run yet (the cores may be shared
 * with other processes) never delays the caller.
 */
#define SPIN_ITERATIONS 4000

/*
 * Time a worker spins after a region before it sleeps. It is timed rather
 * than counted because a pause takes 25 ns on the AMD EPYC of
 * bench/RESULTS.md, where SPIN_ITERATIONS pauses were only 100 µs. There,
 * one-epoch fits at batch 256 that start after 200 ms of idleness ran 7-24%
 * faster with 500 µs than with 100 µs (medians of 15 fits, three runs each).
 * The likely cause, not verified, is that the host slows a virtual CPU that
 * keeps going idle.
 */
#define WORKER_SPIN_NANOSECONDS 500000
/* Pause instructions between two readings of the clock. */
#define SPIN_CHECK_EVERY 64

/* Set in `joined` when the caller closes a region to workers that have not joined it. */
#define REGION_CLOSED (1ul << 62)

typedef struct {
  pthread_mutex_t mutex;
  pthread_cond_t start;
  pthread_cond_t done;
  pthread_t *workers;
  int worker_count;
  atomic_ulong generation;
  /* Workers that joined the current region, plus REGION_CLOSED once it is closed. */
  atomic_ulong joined;
  /* Workers that joined the current region and have left it. */
  atomic_ulong finished;
  /* Nonzero while the caller sleeps on `done`. */
  atomic_int caller_waiting;
  atomic_int stopping;
  stratum_task_fn fn;
  void *context;
  size_t tasks;
  atomic_size_t next_task;
} pool_state;

static pool_state pool = {
    .mutex = PTHREAD_MUTEX_INITIALIZER,
    .start = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
};

/* Serializes whole regions: the pool runs one region at a time. */
static pthread_mutex_t region_mutex = PTHREAD_MUTEX_INITIALIZER;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/*
 * Set while a thread runs tasks. A task that starts a parallel region of its
 * own (a matrix multiply inside a per-row recurrent task, say) runs that
 * region inline: the pool is busy with the outer region, and waiting for it
 * would deadlock.
 */
static _Thread_local int in_task;

static void run_tasks(void) {
  in_task = 1;
  for (;;) {
    size_t task = atomic_fetch_add_explicit(&pool.next_task, 1, memory_order_relaxed);
    if (task >= pool.tasks) break;
    pool.fn(pool.context, task);
  }
  in_task = 0;
}

static int region_pending(unsigned long seen) {
  return atomic_load_explicit(&pool.generation, memory_order_acquire) != seen ||
         atomic_load_explicit(&pool.stopping, memory_order_acquire);
}

static uint64_t monotonic_nanoseconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* Spins until a region after generation `seen` starts, or for WORKER_SPIN_NANOSECONDS at most. */
static void spin_until_region(unsigned long seen) {
  const uint64_t deadline = monotonic_nanoseconds() + WORKER_SPIN_NANOSECONDS;
  for (;;) {
    for (int i = 0; i < SPIN_CHECK_EVERY; i++) {
      if (region_pending(seen)) return;
      cpu_relax();
    }
    if (monotonic_nanoseconds() >= deadline) return;
  }
}

/* `start` is the generation when the worker was created: a thread may start running after the next region begins. */
static void *worker_main(void *start) {
  unsigned long seen = (unsigned long)(uintptr_t)start;
  /* Workers run only kernels, so they keep the mode that the calling thread takes for the length of a call. */
  stratum_flush_subnormals();
  for (;;) {
    spin_until_region(seen);
    pthread_mutex_lock(&pool.mutex);
    while (!region_pending(seen)) pthread_cond_wait(&pool.start, &pool.mutex);
    pthread_mutex_unlock(&pool.mutex);
    if (atomic_load_explicit(&pool.stopping, memory_order_acquire)) break;
    seen = atomic_load_explicit(&pool.generation, memory_order_acquire);
    /*
     * The caller resets `joined` with a release store after it has written
     * the region's fields, so a successful join (acquire) sees them. A worker
     * that is late for one region may join the next one here and then counts
     * in that region, which is correct because it runs that region's tasks.
     */
    if (atomic_fetch_add_explicit(&pool.joined, 1, memory_order_acq_rel) & REGION_CLOSED) continue;
    run_tasks();
    atomic_fetch_add_explicit(&pool.finished, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&pool.caller_waiting, memory_order_seq_cst)) {
      pthread_mutex_lock(&pool.mutex);
      pthread_cond_signal(&pool.done);
      pthread_mutex_unlock(&pool.mutex);
    }
  }
  return NULL;
}

static void stop_workers(void) {
  pthread_mutex_lock(&pool.mutex);
  atomic_store_explicit(&pool.stopping, 1, memory_order_release);
  pthread_cond_broadcast(&pool.start);
  pthread_mutex_unlock(&pool.mutex);
  for (int i = 0; i < pool.worker_count; i++) pthread_join(pool.workers[i], NULL);
  free(pool.workers);
  pool.workers = NULL;
  pool.worker_count = 0;
  atomic_store_explicit(&pool.stopping, 0, memory_order_release);
}

int stratum_pool_init(int threads) {
  if (threads < 1) threads = 1;
  pthread_mutex_lock(&region_mutex);
  if (pool.worker_count > 0) stop_workers();
  int worker_target = threads - 1;
  int started = 0;
  if (worker_target > 0) {
    pool.workers = calloc((size_t)worker_target, sizeof(pthread_t));
    if (pool.workers != NULL) {
      for (; started < worker_target; started++) {
        void *start = (void *)(uintptr_t)atomic_load_explicit(&pool.generation, memory_order_acquire);
        if (pthread_create(&pool.workers[started], NULL, worker_main, start) != 0) break;
      }
    }
  }
  pool.worker_count = started;
  pthread_mutex_unlock(&region_mutex);
  return started + 1;
}

int stratum_pool_threads(void) { return pool.worker_count + 1; }

void stratum_pool_run(size_t tasks, stratum_task_fn fn, void *context) {
  if (tasks == 0) return;
  if (tasks == 1 || pool.worker_count == 0 || in_task) {
    for (size_t t = 0; t < tasks; t++) fn(context, t);
    return;
  }
  pthread_mutex_lock(&region_mutex);
  pool.fn = fn;
  pool.context = context;
  pool.tasks = tasks;
  atomic_store_explicit(&pool.next_task, 0, memory_order_relaxed);
  atomic_store_explicit(&pool.finished, 0, memory_order_relaxed);
  /* This release publishes fn, context, tasks and the counters to every worker that joins. */
  atomic_store_explicit(&pool.joined, 0, memory_order_release);
  pthread_mutex_lock(&pool.mutex);
  atomic_fetch_add_explicit(&pool.generation, 1, memory_order_release);
  pthread_cond_broadcast(&pool.start);
  pthread_mutex_unlock(&pool.mutex);

  run_tasks();

  /* Every task is claimed, so workers that have not joined yet have nothing to do. */
  const unsigned long joined = atomic_fetch_or_explicit(&pool.joined, REGION_CLOSED, memory_order_acq_rel);
  for (int i = 0; i < SPIN_ITERATIONS && atomic_load_explicit(&pool.finished, memory_order_acquire) < joined; i++) {
    cpu_relax();
  }
  if (atomic_load_explicit(&pool.finished, memory_order_acquire) < joined) {
    pthread_mutex_lock(&pool.mutex);
    atomic_store_explicit(&pool.caller_waiting, 1, memory_order_seq_cst);
    while (atomic_load_explicit(&pool.finished, memory_order_seq_cst) < joined) pthread_cond_wait(&pool.done, &pool.mutex);
    atomic_store_explicit(&pool.caller_waiting, 0, memory_order_relaxed);
    pthread_mutex_unlock(&pool.mutex);
  }
  pthread_mutex_unlock(&region_mutex);
}

typedef struct {
  void *data[STRATUM_SCRATCH_USES];
  size_t capacity[STRATUM_SCRATCH_USES];
} scratch_buffers;

static pthread_key_t scratch_key;
static pthread_once_t scratch_key_once = PTHREAD_ONCE_INIT;

static void free_scratch(void *pointer) {
  scratch_buffers *buffers = pointer;
  for (int use = 0; use < STRATUM_SCRATCH_USES; use++) free(buffers->data[use]);
  free(buffers);
}

static void create_scratch_key(void) { pthread_key_create(&scratch_key, free_scratch); }

void *stratum_thread_scratch(stratum_scratch_use use, size_t bytes) {
  pthread_once(&scratch_key_once, create_scratch_key);
  scratch_buffers *buffers = pthread_getspecific(scratch_key);
  if (buffers == NULL) {
    buffers = calloc(1, sizeof *buffers);
    if (buffers == NULL) return NULL;
    if (pthread_setspecific(scratch_key, buffers) != 0) {
      free(buffers);
      return NULL;
    }
  }
  if (buffers->capacity[use] < bytes) {
    void *grown = NULL;
    if (posix_memalign(&grown, 64, bytes) != 0) return NULL;
    free(buffers->data[use]);
    buffers->data[use] = grown;
    buffers->capacity[use] = bytes;
  }
  return buffers->data[use];
}
