#define _GNU_SOURCE
#include "threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/*
 * Workers sleep on a condition variable between regions. A region bumps
 * `generation`, and every thread (the caller too) takes task indices from
 * one atomic counter until they run out. The caller then waits until every
 * worker has left the region.
 */
typedef struct {
  pthread_mutex_t mutex;
  pthread_cond_t start;
  pthread_cond_t done;
  pthread_t *workers;
  int worker_count;
  unsigned long generation;
  int active_workers;
  int stopping;
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

static void run_tasks(void) {
  for (;;) {
    size_t task = atomic_fetch_add_explicit(&pool.next_task, 1, memory_order_relaxed);
    if (task >= pool.tasks) return;
    pool.fn(pool.context, task);
  }
}

static void *worker_main(void *unused) {
  (void)unused;
  unsigned long seen = 0;
  pthread_mutex_lock(&pool.mutex);
  for (;;) {
    while (!pool.stopping && pool.generation == seen) pthread_cond_wait(&pool.start, &pool.mutex);
    if (pool.stopping) break;
    seen = pool.generation;
    pthread_mutex_unlock(&pool.mutex);
    run_tasks();
    pthread_mutex_lock(&pool.mutex);
    if (--pool.active_workers == 0) pthread_cond_signal(&pool.done);
  }
  pthread_mutex_unlock(&pool.mutex);
  return NULL;
}

static void stop_workers(void) {
  pthread_mutex_lock(&pool.mutex);
  pool.stopping = 1;
  pthread_cond_broadcast(&pool.start);
  pthread_mutex_unlock(&pool.mutex);
  for (int i = 0; i < pool.worker_count; i++) pthread_join(pool.workers[i], NULL);
  free(pool.workers);
  pool.workers = NULL;
  pool.worker_count = 0;
  pool.stopping = 0;
}

int stratum_pool_init(int threads) {
  if (threads < 1) threads = 1;
  pthread_mutex_lock(&region_mutex);
  if (pool.worker_count > 0) stop_workers();
  int wanted = threads - 1;
  int started = 0;
  if (wanted > 0) {
    pool.workers = calloc((size_t)wanted, sizeof(pthread_t));
    if (pool.workers != NULL) {
      for (; started < wanted; started++) {
        if (pthread_create(&pool.workers[started], NULL, worker_main, NULL) != 0) break;
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
  pthread_mutex_lock(&pool.mutex);
  pool.fn = fn;
  pool.context = context;
  pool.tasks = tasks;
  atomic_store_explicit(&pool.next_task, 0, memory_order_relaxed);
  pool.active_workers = pool.worker_count;
  pool.generation++;
  pthread_cond_broadcast(&pool.start);
  pthread_mutex_unlock(&pool.mutex);

  run_tasks();

  pthread_mutex_lock(&pool.mutex);
  while (pool.active_workers > 0) pthread_cond_wait(&pool.done, &pool.mutex);
  pthread_mutex_unlock(&pool.mutex);
  pthread_mutex_unlock(&region_mutex);
}
