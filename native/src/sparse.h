/* Matrix products with a mostly-zero left operand. */
#ifndef STRATUM_SPARSE_H
#define STRATUM_SPARSE_H

#include <stddef.h>

/*
 * Computes stratum_sgemm_fused(transpose_a, 0, m, n, k, a, b, c, accumulate,
 * bias, activation) without the multiplications by zero entries of a. It
 * does so only for a large enough product whose a is mostly zeros, and only
 * when b is free of NaN and infinity, because then leaving out 0 · b changes
 * no result. Returns 1 when it computed c and 0, with c untouched, when the
 * caller must run the dense product. The sums are those of the dense
 * kernels, bit for bit, whatever the thread count.
 */
int stratum_sgemm_sparse_a(int transpose_a, size_t m, size_t n, size_t k, const float *a, const float *b, float *c,
                           int accumulate, const float *bias, int activation);

#endif
