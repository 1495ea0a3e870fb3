#define _GNU_SOURCE
#include "threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * Between regions, workers first spin for a short while, because training
 * starts regions microseconds apart and waking a sleeping thread costs tens
 * of microseconds. After that they sleep on a condition variable. A region
 * bumps `generation`, and every thread (the caller too) takes task indices
 * from one atomic counter until they run out. The caller then waits, again
 * spinning first, until every worker has left the region.
 */
#define SPIN_ITERATIONS 4000

typedef struct {
  pthread_mutex_t mutex;
  pthread_cond_t start;
  pthread_cond_t done;
  pthread_t *workers;
  int worker_count;
  atomic_ulong generation;
  atomic_int active_workers;
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

static void run_tasks(void) {
  for (;;) {
    size_t task = atomic_fetch_add_explicit(&pool.next_task, 1, memory_order_relaxed);
    if (task >= pool.tasks) return;
    pool.fn(pool.context, task);
  }
}

static int region_pending(unsigned long seen) {
  return atomic_load_explicit(&pool.generation, memory_order_acquire) != seen ||
         atomic_load_explicit(&pool.stopping, memory_order_acquire);
}

/* `start` is the generation when the worker was created: a thread may start running after the next region begins. */
static void *worker_main(void *start) {
  unsigned long seen = (unsigned long)(uintptr_t)start;
  for (;;) {
    for (int i = 0; i < SPIN_ITERATIONS && !region_pending(seen); i++) cpu_relax();
    pthread_mutex_lock(&pool.mutex);
    while (!region_pending(seen)) pthread_cond_wait(&pool.start, &pool.mutex);
    pthread_mutex_unlock(&pool.mutex);
    if (atomic_load_explicit(&pool.stopping, memory_order_acquire)) break;
    seen = atomic_load_explicit(&pool.generation, memory_order_acquire);
    run_tasks();
    if (atomic_fetch_sub_explicit(&pool.active_workers, 1, memory_order_acq_rel) == 1) {
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
  if (tasks == 1 || pool.worker_count == 0) {
    for (size_t t = 0; t < tasks; t++) fn(context, t);
    return;
  }
  pthread_mutex_lock(&region_mutex);
  pool.fn = fn;
  pool.context = context;
  pool.tasks = tasks;
  atomic_store_explicit(&pool.next_task, 0, memory_order_relaxed);
  atomic_store_explicit(&pool.active_workers, pool.worker_count, memory_order_relaxed);
  /* The release publishes fn, context, tasks and the counters to workers that see the new generation. */
  pthread_mutex_lock(&pool.mutex);
  atomic_fetch_add_explicit(&pool.generation, 1, memory_order_release);
  pthread_cond_broadcast(&pool.start);
  pthread_mutex_unlock(&pool.mutex);

  run_tasks();

  for (int i = 0; i < SPIN_ITERATIONS && atomic_load_explicit(&pool.active_workers, memory_order_acquire) > 0; i++) {
    cpu_relax();
  }
  pthread_mutex_lock(&pool.mutex);
  while (atomic_load_explicit(&pool.active_workers, memory_order_acquire) > 0) pthread_cond_wait(&pool.done, &pool.mutex);
  pthread_mutex_unlock(&pool.mutex);
  pthread_mutex_unlock(&region_mutex);
}
