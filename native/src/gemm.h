/* Single-precision matrix multiply for the native backend. */
#ifndef STRATUM_GEMM_H
#define STRATUM_GEMM_H

#include <math.h>
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

/* Activations of the fused epilogue; the codes are shared with src/backend/native/index.ts. */
enum { STRATUM_ACT_LINEAR, STRATUM_ACT_RELU, STRATUM_ACT_SIGMOID, STRATUM_ACT_TANH };

/* Logistic sigmoid that never overflows: exp is taken of a non-positive number only. */
static inline float stratum_sigmoidf(float x) {
  if (x >= 0) return 1.0f / (1.0f + expf(-x));
  float e = expf(x);
  return e / (1.0f + e);
}

/*
 * c = activation(op(a) · op(b) + bias), or activation(c + op(a) · op(b) +
 * bias) when accumulating, where `bias` (length n, or NULL for none) is added
 * to every row. The bias and the activation are applied as each tile of c is
 * stored, so c is written once. The result is bit-identical to stratum_sgemm
 * followed by a separate bias add and activation, whatever the thread count.
 */
void stratum_sgemm_fused(int transpose_a, int transpose_b, size_t m, size_t n, size_t k, const float *a,
                         const float *b, float *c, int accumulate, const float *bias, int activation);

#endif
