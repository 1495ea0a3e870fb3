/*
 * Float32 kernels other than matrix multiply. The loops are plain C that
 * GCC vectorizes. On x86-64 Linux each hot loop is compiled for AVX-512,
 * AVX2 and baseline x86-64, and the loader picks the best at run time.
 *
 * NaN handling follows the TypeScript backend (relu and maximum keep NaN).
 */
#include "kernels.h"

#include <math.h>
#include <string.h>

#include "gemm.h"
#include "threadpool.h"

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif


static inline float clampf(float v, float low, float high) { return v < low ? low : (v > high ? high : v); }

VECTOR_CLONES
static void relu_forward(const float *x, float *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = x[i] <= 0.0f ? 0.0f : x[i];
}

VECTOR_CLONES
static void square_forward(const float *x, float *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = x[i] * x[i];
}

void k_unary(int op, const float *x, float *out, size_t n) {
  switch (op) {
    case OP_NEG:
      for (size_t i = 0; i < n; i++) out[i] = -x[i];
      return;
    case OP_ABS:
      for (size_t i = 0; i < n; i++) out[i] = fabsf(x[i]);
      return;
    case OP_EXP:
      for (size_t i = 0; i < n; i++) out[i] = expf(x[i]);
      return;
    case OP_LOG:
      for (size_t i = 0; i < n; i++) out[i] = logf(x[i]);
      return;
    case OP_SQRT:
      for (size_t i = 0; i < n; i++) out[i] = sqrtf(x[i]);
      return;
    case OP_SQUARE:
      square_forward(x, out, n);
      return;
    case OP_RELU:
      relu_forward(x, out, n);
      return;
    case OP_SIGMOID:
      for (size_t i = 0; i < n; i++) out[i] = stratum_sigmoidf(x[i]);
      return;
    case OP_TANH:
      for (size_t i = 0; i < n; i++) out[i] = tanhf(x[i]);
      return;
  }
}

void k_unary_backward(int op, const float *x, const float *y, const float *dy, float *dx, size_t n) {
  switch (op) {
    case OP_NEG:
      for (size_t i = 0; i < n; i++) dx[i] = -dy[i];
      return;
    case OP_ABS:
      for (size_t i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : (x[i] < 0 ? -dy[i] : 0.0f);
      return;
    case OP_EXP:
      for (size_t i = 0; i < n; i++) dx[i] = dy[i] * y[i];
      return;
    case OP_LOG:
      for (size_t i = 0; i < n; i++) dx[i] = dy[i] / x[i];
      return;
    case OP_SQRT:
      for (size_t i = 0; i < n; i++) dx[i] = dy[i] / (2.0f * y[i]);
      return;
    case OP_SQUARE:
      for (size_t i = 0; i < n; i++) dx[i] = 2.0f * x[i] * dy[i];
      return;
    case OP_RELU:
      for (size_t i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0.0f;
      return;
    case OP_SIGMOID:
      for (size_t i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
      return;
    case OP_TANH:
      for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
      return;
  }
}

static inline float apply_binary(int op, float a, float b) {
  switch (op) {
    case OP_ADD:
      return a + b;
    case OP_SUB:
      return a - b;
    case OP_MUL:
      return a * b;
    case OP_DIV:
      return a / b;
    case OP_MAXIMUM:
      return (a >= b || a != a) ? a : b;
    default:
      return (a <= b || a != a) ? a : b;
  }
}

VECTOR_CLONES
static void add_same(const float *a, const float *b, float *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

VECTOR_CLONES
static void mul_same(const float *a, const float *b, float *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = a[i] * b[i];
}

void k_binary(int op, const float *a, const float *b, size_t b_period, float *out, size_t n) {
  if (b_period == n && op == OP_ADD) {
    add_same(a, b, out, n);
    return;
  }
  if (b_period == n && op == OP_MUL) {
    mul_same(a, b, out, n);
    return;
  }
  if (b_period == n) {
    for (size_t i = 0; i < n; i++) out[i] = apply_binary(op, a[i], b[i]);
  } else if (b_period == 1) {
    const float value = b[0];
    for (size_t i = 0; i < n; i++) out[i] = apply_binary(op, a[i], value);
  } else {
    for (size_t start = 0; start < n; start += b_period) {
      for (size_t j = 0; j < b_period; j++) out[start + j] = apply_binary(op, a[start + j], b[j]);
    }
  }
}

void k_binary_left(int op, const float *a, size_t a_period, const float *b, float *out, size_t n) {
  for (size_t start = 0; start < n; start += a_period) {
    for (size_t j = 0; j < a_period && start + j < n; j++) out[start + j] = apply_binary(op, a[j], b[start + j]);
  }
}

VECTOR_CLONES
void k_affine(const float *x, float scale, float offset, float *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = x[i] * scale + offset;
}

void k_clip(const float *x, float low, float high, float *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = clampf(x[i], low, high);
}

VECTOR_CLONES
void k_sum_rows(const float *x, size_t rows, size_t cols, float *out) {
  /* Column sums, adding the rows in order so the result does not depend on threads. */
  memset(out, 0, cols * sizeof(float));
  for (size_t r = 0; r < rows; r++) {
    const float *row = x + r * cols;
    for (size_t c = 0; c < cols; c++) out[c] += row[c];
  }
}

void k_sum_cols(const float *x, size_t rows, size_t cols, float *out) {
  for (size_t r = 0; r < rows; r++) {
    float total = 0.0f;
    for (size_t c = 0; c < cols; c++) total += x[r * cols + c];
    out[r] = total;
  }
}

void k_argmax(const float *x, size_t rows, size_t cols, int32_t *out) {
  for (size_t r = 0; r < rows; r++) {
    const float *row = x + r * cols;
    int32_t best = 0;
    float best_value = row[0];
    for (size_t c = 1; c < cols; c++) {
      if (row[c] > best_value) {
        best_value = row[c];
        best = (int32_t)c;
      }
    }
    out[r] = best;
  }
}

void k_softmax(const float *x, float *out, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; r++) {
    const float *in = x + r * cols;
    float *o = out + r * cols;
    float max = -INFINITY;
    for (size_t c = 0; c < cols; c++) max = in[c] > max ? in[c] : max;
    /* The sum is kept in double, as the TypeScript backend does. */
    double total = 0.0;
    for (size_t c = 0; c < cols; c++) {
      o[c] = expf(in[c] - max);
      total += o[c];
    }
    for (size_t c = 0; c < cols; c++) o[c] = (float)(o[c] / total);
  }
}

void k_softmax_backward(const float *y, const float *dy, float *dx, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; r++) {
    const size_t row = r * cols;
    double dot = 0.0;
    for (size_t c = 0; c < cols; c++) dot += (double)dy[row + c] * y[row + c];
    for (size_t c = 0; c < cols; c++) dx[row + c] = (float)(y[row + c] * (dy[row + c] - dot));
  }
}

void k_dense_forward(const float *x, const float *kernel, const float *bias, float *out, size_t m, size_t k, size_t n,
                     int activation) {
  if (activation == STRATUM_DENSE_SOFTMAX) {
    stratum_sgemm_fused(0, 0, m, n, k, x, kernel, out, 0, bias, STRATUM_ACT_LINEAR);
    k_softmax(out, out, m, n);
    return;
  }
  stratum_sgemm_fused(0, 0, m, n, k, x, kernel, out, 0, bias, activation);
}

/*
 * The pass over dy that precedes the dense backward products: d_pre = dy ⊙
 * activation'(y) for relu, sigmoid and tanh, and d_bias = the column sums of
 * that gradient (of dy for linear), added row by row in order, so the sums
 * do not depend on threads. This one pass reads dy and y once. Both products
 * then read d_pre, [m, n], while it is in cache. Applying the derivative while
 * packing instead would compute it twice, because d_pre is an operand of both
 * products, and the small products of batch-32 training are not packed at all.
 */
VECTOR_CLONES
static void dense_gradient_pass(const float *y, const float *dy, float *d_pre, float *d_bias, size_t m, size_t n,
                                int activation) {
  if (d_bias != NULL) memset(d_bias, 0, n * sizeof(float));
  for (size_t i = 0; i < m; i++) {
    const float *y_row = y + i * n;
    const float *dy_row = dy + i * n;
    float *d_row = d_pre + i * n;
    switch (activation) {
      case STRATUM_ACT_RELU:
        for (size_t j = 0; j < n; j++) d_row[j] = y_row[j] > 0.0f ? dy_row[j] : 0.0f;
        break;
      case STRATUM_ACT_SIGMOID:
        for (size_t j = 0; j < n; j++) d_row[j] = dy_row[j] * y_row[j] * (1.0f - y_row[j]);
        break;
      case STRATUM_ACT_TANH:
        for (size_t j = 0; j < n; j++) d_row[j] = dy_row[j] * (1.0f - y_row[j] * y_row[j]);
        break;
      default:
        d_row = (float *)dy_row;
        break;
    }
    if (d_bias != NULL) {
      for (size_t j = 0; j < n; j++) d_bias[j] += d_row[j];
    }
  }
}

void k_dense_backward(const float *x, const float *kernel, const float *y, const float *dy, float *d_pre, float *dx,
                      float *d_kernel, float *d_bias, size_t m, size_t k, size_t n, int activation) {
  const float *grad = activation == STRATUM_ACT_LINEAR ? dy : d_pre;
  if (activation != STRATUM_ACT_LINEAR || d_bias != NULL) dense_gradient_pass(y, dy, d_pre, d_bias, m, n, activation);
  if (d_kernel != NULL) stratum_sgemm(1, 0, k, n, m, x, grad, d_kernel, 0);
  if (dx != NULL) stratum_sgemm(0, 1, m, k, n, grad, kernel, dx, 0);
}

void k_categorical_crossentropy(const float *probs, const float *labels, float *loss, size_t rows, size_t classes,
                                float epsilon) {
  for (size_t r = 0; r < rows; r++) {
    const size_t row = r * classes;
    double total = 0.0;
    for (size_t c = 0; c < classes; c++) total += probs[row + c];
    double value = 0.0;
    for (size_t c = 0; c < classes; c++) {
      const float label = labels[row + c];
      if (label == 0.0f) continue;
      double q = probs[row + c] / total;
      q = q < epsilon ? epsilon : (q > 1.0 - epsilon ? 1.0 - epsilon : q);
      value -= label * log(q);
    }
    loss[r] = (float)value;
  }
}

void k_sparse_categorical_crossentropy(const float *probs, const int32_t *labels, float *loss, size_t rows,
                                       size_t classes, float epsilon) {
  for (size_t r = 0; r < rows; r++) {
    const size_t row = r * classes;
    double total = 0.0;
    for (size_t c = 0; c < classes; c++) total += probs[row + c];
    double q = probs[row + (size_t)labels[r]] / total;
    q = q < epsilon ? epsilon : (q > 1.0 - epsilon ? 1.0 - epsilon : q);
    loss[r] = (float)-log(q);
  }
}

void k_crossentropy_backward(const float *probs, const float *labels, const int32_t *sparse_labels, const float *d_loss,
                             float *grad, size_t rows, size_t classes, float epsilon, int through_softmax) {
  for (size_t r = 0; r < rows; r++) {
    const size_t row = r * classes;
    const double upstream = d_loss[r];
    double total = 0.0;
    for (size_t c = 0; c < classes; c++) total += probs[row + c];
    /* g_c = d loss / d q_c for q = p / total, zero where the clip is active. */
    double weighted = 0.0;
    for (size_t c = 0; c < classes; c++) {
      double label;
      if (sparse_labels != NULL) {
        label = sparse_labels[r] == (int32_t)c ? 1.0 : 0.0;
      } else {
        label = labels[row + c];
      }
      const double q = probs[row + c] / total;
      const double g = (label != 0.0 && q > epsilon && q < 1.0 - epsilon) ? (-label / q) * upstream : 0.0;
      grad[row + c] = (float)g;
      weighted += g * q;
    }
    for (size_t c = 0; c < classes; c++) {
      const double g = grad[row + c];
      grad[row + c] = through_softmax ? (float)(probs[row + c] * (g - weighted)) : (float)((g - weighted) / total);
    }
  }
}

void k_binary_crossentropy(const float *probs, const float *labels, float *loss, size_t rows, size_t cols,
                           float epsilon) {
  for (size_t r = 0; r < rows; r++) {
    double total = 0.0;
    for (size_t c = 0; c < cols; c++) {
      const size_t i = r * cols + c;
      double p = probs[i];
      p = p < epsilon ? epsilon : (p > 1.0 - epsilon ? 1.0 - epsilon : p);
      const double y = labels[i];
      total -= y * log(p) + (1.0 - y) * log(1.0 - p);
    }
    loss[r] = (float)(total / (double)cols);
  }
}

void k_binary_crossentropy_backward(const float *probs, const float *labels, const float *d_loss, float *grad,
                                    size_t rows, size_t cols, float epsilon) {
  for (size_t r = 0; r < rows; r++) {
    const double upstream = (double)d_loss[r] / (double)cols;
    for (size_t c = 0; c < cols; c++) {
      const size_t i = r * cols + c;
      const double p = probs[i];
      const double y = labels[i];
      grad[i] = (p > epsilon && p < 1.0 - epsilon) ? (float)(upstream * ((1.0 - y) / (1.0 - p) - y / p)) : 0.0f;
    }
  }
}

typedef struct {
  float *variable;
  const float *gradient;
  float *momentum;
  float *velocity;
  float *velocity_hat;
  size_t n;
  float alpha;
  float one_minus_beta1;
  float one_minus_beta2;
  float epsilon;
} adam_args;

/*
 * Elements per task of an optimizer update. Each element is updated on its
 * own, so any split gives the same bits; below PARALLEL_MIN elements, waking
 * the pool costs more than it saves.
 */
#define UPDATE_CHUNK 65536
#define PARALLEL_MIN 262144

VECTOR_CLONES
static void adam_range(const adam_args *args, size_t start, size_t end) {
  float *restrict w = args->variable;
  const float *restrict g = args->gradient;
  float *restrict m = args->momentum;
  float *restrict v = args->velocity;
  for (size_t i = start; i < end; i++) {
    const float gi = g[i];
    const float mi = m[i] + (gi - m[i]) * args->one_minus_beta1;
    const float vi = v[i] + (gi * gi - v[i]) * args->one_minus_beta2;
    m[i] = mi;
    v[i] = vi;
    w[i] -= args->alpha * mi / (sqrtf(vi) + args->epsilon);
  }
}

static void adam_amsgrad_range(const adam_args *args, size_t start, size_t end) {
  for (size_t i = start; i < end; i++) {
    const float gi = args->gradient[i];
    const float mi = args->momentum[i] + (gi - args->momentum[i]) * args->one_minus_beta1;
    const float vi = args->velocity[i] + (gi * gi - args->velocity[i]) * args->one_minus_beta2;
    args->momentum[i] = mi;
    args->velocity[i] = vi;
    const float v_hat = args->velocity_hat[i] > vi ? args->velocity_hat[i] : vi;
    args->velocity_hat[i] = v_hat;
    args->variable[i] -= args->alpha * mi / (sqrtf(v_hat) + args->epsilon);
  }
}

static void adam_task(void *context, size_t task) {
  const adam_args *args = context;
  const size_t chunk = args->n < PARALLEL_MIN ? args->n : UPDATE_CHUNK;
  const size_t start = task * chunk;
  const size_t end = start + chunk < args->n ? start + chunk : args->n;
  if (args->velocity_hat != NULL) {
    adam_amsgrad_range(args, start, end);
  } else {
    adam_range(args, start, end);
  }
}

void k_adam_update(float *variable, const float *gradient, float *momentum, float *velocity, float *velocity_hat,
                   size_t n, float learning_rate, double beta1, double beta2, float epsilon, double step) {
  /* Keras computes the step size in float32, one rounded operation at a time. */
  const float beta1_power = (float)pow((double)(float)beta1, step);
  const float beta2_power = (float)pow((double)(float)beta2, step);
  const float corrected = learning_rate * sqrtf(1.0f - beta2_power);
  const float alpha = corrected / (1.0f - beta1_power);
  adam_args args = {variable, gradient, momentum, velocity, velocity_hat, n, alpha,
                    (float)(1.0 - beta1), (float)(1.0 - beta2), epsilon};
  if (n < PARALLEL_MIN) {
    adam_task(&args, 0);
    return;
  }
  stratum_pool_run((n + UPDATE_CHUNK - 1) / UPDATE_CHUNK, adam_task, &args);
}

void k_sgd_update(float *variable, const float *gradient, float *momentum, size_t n, float learning_rate,
                  float momentum_factor, int nesterov) {
  if (momentum == NULL) {
    for (size_t i = 0; i < n; i++) variable[i] -= learning_rate * gradient[i];
    return;
  }
  for (size_t i = 0; i < n; i++) {
    const float g = gradient[i];
    const float m = momentum_factor * momentum[i] - learning_rate * g;
    momentum[i] = m;
    variable[i] += nesterov ? momentum_factor * m - learning_rate * g : m;
  }
}
