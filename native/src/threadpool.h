/*
 * A persistent pool of worker threads. The calling thread takes part in
 * every parallel region, so a pool of N threads runs N - 1 workers.
 *
 * Results never depend on the thread count: a parallel region is split into
 * a number of tasks chosen by the caller (never by the pool), every task
 * writes its own outputs, and tasks are handed out in any order.
 */
#ifndef STRATUM_THREADPOOL_H
#define STRATUM_THREADPOOL_H

#include <stddef.h>

typedef void (*stratum_task_fn)(void *context, size_t task);

/* Starts the pool with `threads` threads in all (1 means no workers). Safe to call again to resize. */
int stratum_pool_init(int threads);

/* The number of threads that run parallel regions, the caller included. */
int stratum_pool_threads(void);

/* Runs fn(context, t) for t in [0, tasks) on the pool and returns when all are done. */
void stratum_pool_run(size_t tasks, stratum_task_fn fn, void *context);

/* Per-thread scratch memory, one buffer per use, so that users never share a buffer. */
typedef enum {
  STRATUM_SCRATCH_GEMM_PACK = 0,
  STRATUM_SCRATCH_GEMM_SWAPPED = 1,
  STRATUM_SCRATCH_SPARSE = 2,
  STRATUM_SCRATCH_SPARSE_MASKS = 3,
  STRATUM_SCRATCH_USES = 4
} stratum_scratch_use;

/*
 * Returns this thread's 64-byte-aligned buffer for `use`, of at least `bytes`
 * bytes, or NULL when out of memory. The buffer is kept and grown as needed,
 * so that steady work does not map and fault in fresh pages on every call,
 * and freed when the thread exits (the main thread's lives until the process
 * ends). A larger request replaces the old contents.
 */
void *stratum_thread_scratch(stratum_scratch_use use, size_t bytes);

#endif
