/* Float32 kernels for activations and for crossentropy computed from logits. */
#ifndef STRATUM_ACTIVATIONS_H
#define STRATUM_ACTIVATIONS_H

#include <stddef.h>
#include <stdint.h>

/* Activation codes shared with ACTIVATION_OP_CODES in src/backend/native/index.ts. */
enum {
  ACT_RELU_FULL,
  ACT_LEAKY_RELU,
  ACT_RELU6,
  ACT_ELU,
  ACT_SELU,
  ACT_CELU,
  ACT_SOFTPLUS,
  ACT_SOFTSIGN,
  ACT_SILU,
  ACT_GELU,
  ACT_GELU_TANH,
  ACT_EXPONENTIAL,
  ACT_HARD_SIGMOID,
  ACT_HARD_SILU,
  ACT_HARD_TANH,
  ACT_HARD_SHRINK,
  ACT_SOFT_SHRINK,
  ACT_TANH_SHRINK,
  ACT_SPARSE_PLUS,
  ACT_SPARSE_SIGMOID,
  ACT_SQUAREPLUS,
  ACT_MISH,
  ACT_LOG_SIGMOID,
  ACT_THRESHOLD,
  ACT_POWER,
  ACT_COUNT
};

/* Row activation codes shared with ROW_ACTIVATION_CODES in src/backend/native/index.ts. */
enum { ROW_LOG_SOFTMAX, ROW_SPARSEMAX, ROW_GLU, ROW_COUNT };

void k_activation(int op, const float *x, float *out, size_t n, double p0, double p1, double p2);
void k_activation_backward(int op, const float *x, const float *y, const float *dy, float *dx, size_t n, double p0,
                           double p1, double p2);
/* Both return 0 on success, -1 when sparsemax could not allocate its scratch row. */
int k_row_activation(int op, const float *x, float *out, size_t rows, size_t cols);
int k_row_activation_backward(int op, const float *x, const float *y, const float *dy, float *dx, size_t rows,
                               size_t cols);
/* Exactly one of labels (soft, [rows, classes]) and sparse_labels ([rows]) is non-NULL. */
void k_softmax_crossentropy(const float *logits, const float *labels, const int32_t *sparse_labels, float *loss,
                            float *probs, size_t rows, size_t classes);
void k_softmax_crossentropy_backward(const float *probs, const float *labels, const int32_t *sparse_labels,
                                     const float *d_loss, float *grad, size_t rows, size_t classes);
void k_sigmoid_crossentropy(const float *logits, const float *labels, float *loss, size_t rows, size_t cols);
void k_sigmoid_crossentropy_backward(const float *logits, const float *labels, const float *d_loss, float *grad,
                                     size_t rows, size_t cols);

#endif
