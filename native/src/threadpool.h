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

#endif
