/* Scans over whole arrays that return a position instead of writing an array. */
#ifndef STRATUM_SCAN_H
#define STRATUM_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* Index of the first NaN or infinite element of x, or -1 when every element is finite. */
int64_t k_find_non_finite(const float *x, size_t n);

/* The same on the calling thread alone, for use inside a task of the thread pool. */
int64_t k_find_non_finite_serial(const float *x, size_t n);

#endif
