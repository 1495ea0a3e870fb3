/* Float32 kernels of the native backend, other than matrix multiply. */
#ifndef STRATUM_KERNELS_H
#define STRATUM_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "gemm.h"

/* Operation codes shared with src/backend/native/index.ts. */
enum { OP_NEG, OP_ABS, OP_EXP, OP_LOG, OP_SQRT, OP_SQUARE, OP_RELU, OP_SIGMOID, OP_TANH };
enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MAXIMUM, OP_MINIMUM };

void k_unary(int op, const float *x, float *out, size_t n);
void k_unary_backward(int op, const float *x, const float *y, const float *dy, float *dx, size_t n);
/* out[i] = a[i] op b[i % b_period]: b_period = n for equal shapes, 1 for a scalar, cols for a row broadcast. */
void k_binary(int op, const float *a, const float *b, size_t b_period, float *out, size_t n);
/* out[i] = a[i % a_period] op b[i]: the mirror case, for a scalar or row on the left. */
void k_binary_left(int op, const float *a, size_t a_period, const float *b, float *out, size_t n);
void k_affine(const float *x, float scale, float offset, float *out, size_t n);
void k_clip(const float *x, float low, float high, float *out, size_t n);
void k_sum_rows(const float *x, size_t rows, size_t cols, float *out);
void k_sum_cols(const float *x, size_t rows, size_t cols, float *out);
void k_argmax(const float *x, size_t rows, size_t cols, int32_t *out);
void k_softmax(const float *x, float *out, size_t rows, size_t cols);
void k_softmax_backward(const float *y, const float *dy, float *dx, size_t rows, size_t cols);
/*
 * The dense forward activation past the epilogue codes of gemm.h: softmax
 * over each row of out, applied after the product and the bias. It has no
 * dense backward; its gradient goes through k_softmax_backward.
 */
#define STRATUM_DENSE_SOFTMAX 4
void k_dense_forward(const float *x, const float *kernel, const float *bias, float *out, size_t m, size_t k, size_t n,
                     int activation);
void k_dense_backward(const float *x, const float *kernel, const float *y, const float *dy, float *d_pre, float *dx,
                      float *d_kernel, float *d_bias, size_t m, size_t k, size_t n, int activation);
void k_categorical_crossentropy(const float *probs, const float *labels, float *loss, size_t rows, size_t classes,
                                float epsilon);
void k_sparse_categorical_crossentropy(const float *probs, const int32_t *labels, float *loss, size_t rows,
                                       size_t classes, float epsilon);
void k_crossentropy_backward(const float *probs, const float *labels, const int32_t *sparse_labels, const float *d_loss,
                             float *grad, size_t rows, size_t classes, float epsilon, int through_softmax);
void k_binary_crossentropy(const float *probs, const float *labels, float *loss, size_t rows, size_t cols,
                           float epsilon);
void k_binary_crossentropy_backward(const float *probs, const float *labels, const float *d_loss, float *grad,
                                    size_t rows, size_t cols, float epsilon);
void k_adam_update(float *variable, const float *gradient, float *momentum, float *velocity, float *velocity_hat,
                   size_t n, float learning_rate, double beta1, double beta2, float epsilon, double step);
void k_sgd_update(float *variable, const float *gradient, float *momentum, size_t n, float learning_rate,
                  float momentum_factor, int nesterov);

#endif
