/* Float32 batch and layer normalization kernels. Their contracts are the matching Backend methods in src/backend/backend.ts. */
#ifndef STRATUM_NORMALIZATION_H
#define STRATUM_NORMALIZATION_H

#include <stddef.h>

/* The kernels that return int return 0 when scratch memory cannot be allocated, else 1. */
/* x is [outer, channels, inner]; weights (x's size) may be NULL, as may gamma and beta ([channels]). */
int k_batch_norm_forward(const float *x, size_t outer, size_t channels, size_t inner, const float *weights,
                          const float *gamma, const float *beta, float *mean, float *variance, int training,
                          double epsilon, float *out);
int k_batch_norm_backward(const float *x, size_t outer, size_t channels, size_t inner, const float *weights,
                           const float *gamma, const float *mean, const float *variance, int training, double epsilon,
                           const float *dy, float *dx, float *d_gamma, float *d_beta);
/* x is [rows, cols]; gamma and beta ([cols]) may be NULL; mean and inv_std ([rows]) are written. */
void k_layer_norm_forward(const float *x, size_t rows, size_t cols, const float *gamma, const float *beta,
                          double epsilon, int rms_scaling, float *out, float *mean, float *inv_std);
int k_layer_norm_backward(const float *x, size_t rows, size_t cols, const float *gamma, const float *mean,
                           const float *inv_std, int rms_scaling, const float *dy, float *dx, float *d_gamma,
                           float *d_beta);

#endif
