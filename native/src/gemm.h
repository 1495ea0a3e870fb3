/* Single-precision matrix multiply for the native backend. */
#ifndef STRATUM_GEMM_H
#define STRATUM_GEMM_H

#include <stddef.h>

/*
 * c = op(a) · op(b), or c += op(a) · op(b) when `accumulate` is non-zero.
 * All matrices are dense and row-major. op(a) is m × k: `a` is stored m × k,
 * or k × m when `transpose_a` is set. op(b) is k × n: `b` is stored k × n, or
 * n × k when `transpose_b` is set. `c` is m × n.
 *
 * The result is bit-identical whatever the thread count, and NaN or infinity
 * in either input propagates as IEEE 754 arithmetic requires.
 */
void stratum_sgemm(int transpose_a, int transpose_b, size_t m, size_t n, size_t k, const float *a, const float *b,
                   float *c, int accumulate);

#endif
