/*
 * Activations and crossentropy from logits on float32 arrays, matching the
 * TypeScript reference in src/backend/typescript/activations.ts. Each value
 * is computed in double and rounded to float32 once.
 */
#include "activations.h"

#include <math.h>
#include <stdlib.h>

#define SELU_ALPHA 1.6732632423543772
#define SELU_SCALE 1.0507009873554805
#define INV_SQRT_TWO_PI 0.3989422804014327
#define GELU_TANH_SCALE 0.7978845608028654
#define GELU_TANH_CUBIC 0.044715

static double softplus(double x) { return fmax(x, 0.0) + log1p(exp(-fabs(x))); }

static double sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + exp(-x));
  double e = exp(x);
  return e / (1.0 + e);
}

static double clamp(double x, double low, double high) { return x < low ? low : (x > high ? high : x); }

/* Keras's relu with options; see reluFull in src/backend/typescript/activations.ts. */
static double relu_full(double x, double slope, double max_value, double threshold) {
  if (slope != 0 && isinf(max_value) && threshold == 0) return x >= 0 ? x : slope * x;
  double positive = threshold != 0 ? (x > threshold ? x : 0) : fmax(x, 0.0);
  if (!isinf(max_value)) positive = clamp(positive, 0, max_value);
  double negative = slope != 0 ? fmax(threshold - x, 0.0) : 0;
  return positive - slope * negative;
}

static double relu_full_derivative(double x, double slope, double max_value, double threshold) {
  if (slope != 0 && isinf(max_value) && threshold == 0) return x >= 0 ? 1 : slope;
  int passes = threshold != 0 ? x > threshold : x > 0;
  double positive = passes && (isinf(max_value) || (x > 0 && x < max_value)) ? 1 : 0;
  double negative = slope != 0 && threshold - x > 0 ? slope : 0;
  return positive + negative;
}

static double activation_value(int op, double x, double p0, double p1, double p2) {
  switch (op) {
    case ACT_RELU_FULL: return relu_full(x, p0, p1, p2);
    case ACT_LEAKY_RELU: return x >= 0 ? x : p0 * x;
    case ACT_RELU6: return clamp(x, 0, 6);
    case ACT_ELU: return x > 0 ? x : p0 * expm1(x);
    case ACT_SELU: return SELU_SCALE * (x > 0 ? x : SELU_ALPHA * expm1(x));
    case ACT_CELU: return fmax(x, 0.0) + p0 * expm1(fmin(x, 0.0) / p0);
    case ACT_SOFTPLUS: return softplus(x);
    case ACT_SOFTSIGN: return x / (1 + fabs(x));
    case ACT_SILU: return x * sigmoid(x);
    case ACT_GELU: return 0.5 * x * (1 + erf(x * M_SQRT1_2));
    case ACT_GELU_TANH: return 0.5 * x * (1 + tanh(GELU_TANH_SCALE * (x + GELU_TANH_CUBIC * x * x * x)));
    case ACT_EXPONENTIAL: return exp(x);
    case ACT_HARD_SIGMOID: return clamp(x + 3, 0, 6) / 6;
    case ACT_HARD_SILU: return x * clamp(x + 3, 0, 6) / 6;
    case ACT_HARD_TANH: return clamp(x, -1, 1);
    case ACT_HARD_SHRINK: return fabs(x) > p0 ? x : 0;
    case ACT_SOFT_SHRINK: return x > p0 ? x - p0 : (x < -p0 ? x + p0 : 0);
    case ACT_TANH_SHRINK: return x - tanh(x);
    case ACT_SPARSE_PLUS: return x <= -1 ? 0 : (x >= 1 ? x : (x + 1) * (x + 1) / 4);
    case ACT_SPARSE_SIGMOID: return 0.5 * clamp(x + 1, 0, 2);
    case ACT_SQUAREPLUS: return (x + sqrt(x * x + p0)) / 2;
    case ACT_MISH: return x * tanh(softplus(x));
    case ACT_LOG_SIGMOID: return -softplus(-x);
    case ACT_THRESHOLD: return x > p0 ? x : p1;
    case ACT_POWER: return pow(x, p0);
    default: return NAN;
  }
}

static double activation_derivative(int op, double x, double y, double p0, double p1, double p2) {
  switch (op) {
    case ACT_RELU_FULL: return relu_full_derivative(x, p0, p1, p2);
    case ACT_LEAKY_RELU: return x >= 0 ? 1 : p0;
    case ACT_RELU6: return x > 0 && x < 6 ? 1 : 0;
    case ACT_ELU: return x > 0 ? 1 : y + p0;
    case ACT_SELU: return x > 0 ? SELU_SCALE : y + SELU_SCALE * SELU_ALPHA;
    case ACT_CELU: return x > 0 ? 1 : exp(x / p0);
    case ACT_SOFTPLUS: return sigmoid(x);
    case ACT_SOFTSIGN: {
      double d = 1 + fabs(x);
      return 1 / (d * d);
    }
    case ACT_SILU: {
      double s = sigmoid(x);
      return s * (1 + x * (1 - s));
    }
    case ACT_GELU: return 0.5 * (1 + erf(x * M_SQRT1_2)) + x * INV_SQRT_TWO_PI * exp(-0.5 * x * x);
    case ACT_GELU_TANH: {
      double t = tanh(GELU_TANH_SCALE * (x + GELU_TANH_CUBIC * x * x * x));
      double d_inner = GELU_TANH_SCALE * (1 + 3 * GELU_TANH_CUBIC * x * x);
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner;
    }
    case ACT_EXPONENTIAL: return y;
    case ACT_HARD_SIGMOID: return x > -3 && x < 3 ? 1.0 / 6 : 0;
    case ACT_HARD_SILU: return x <= -3 ? 0 : (x >= 3 ? 1 : (2 * x + 3) / 6);
    case ACT_HARD_TANH: return x > -1 && x < 1 ? 1 : 0;
    case ACT_HARD_SHRINK: return fabs(x) > p0 ? 1 : 0;
    case ACT_SOFT_SHRINK: return x > p0 || x < -p0 ? 1 : 0;
    case ACT_TANH_SHRINK: {
      double t = tanh(x);
      return t * t;
    }
    case ACT_SPARSE_PLUS: return x <= -1 ? 0 : (x >= 1 ? 1 : (x + 1) / 2);
    case ACT_SPARSE_SIGMOID: return x > -1 && x < 1 ? 0.5 : 0;
    case ACT_SQUAREPLUS: return 0.5 * (1 + x / sqrt(x * x + p0));
    case ACT_MISH: {
      double t = tanh(softplus(x));
      return t + x * (1 - t * t) * sigmoid(x);
    }
    case ACT_LOG_SIGMOID: return sigmoid(-x);
    case ACT_THRESHOLD: return x > p0 ? 1 : 0;
    case ACT_POWER: return p0 == 0 ? 0 : p0 * pow(x, p0 - 1);
    default: return NAN;
  }
}

void k_activation(int op, const float *x, float *out, size_t n, double p0, double p1, double p2) {
  for (size_t i = 0; i < n; i++) out[i] = (float)activation_value(op, x[i], p0, p1, p2);
}

void k_activation_backward(int op, const float *x, const float *y, const float *dy, float *dx, size_t n, double p0,
                           double p1, double p2) {
  for (size_t i = 0; i < n; i++) dx[i] = (float)(dy[i] * activation_derivative(op, x[i], y[i], p0, p1, p2));
}

static double log_sum_exp(const float *x, size_t cols) {
  double max = -INFINITY;
  for (size_t c = 0; c < cols; c++) max = fmax(max, x[c]);
  if (isinf(max) && max < 0) return max;
  double total = 0;
  for (size_t c = 0; c < cols; c++) total += exp(x[c] - max);
  return max + log(total);
}

typedef struct {
  double value;
  size_t index;
} ranked;

static int descending(const void *a, const void *b) {
  double x = ((const ranked *)a)->value, y = ((const ranked *)b)->value;
  return (x < y) - (x > y);
}

/*
 * Keras 3.15.1's sparsemax threshold for one row (see sparsemaxThreshold in
 * src/backend/typescript/activations.ts): sorts the row into `order`, marks
 * the support in `support` (by sorted position) and returns tau.
 */
static double sparsemax_threshold(const float *row, size_t cols, ranked *order, unsigned char *support, size_t *count) {
  for (size_t c = 0; c < cols; c++) {
    order[c].value = row[c];
    order[c].index = c;
  }
  qsort(order, cols, sizeof(ranked), descending);
  double cumulative = 0, cumulative_total = 0;
  *count = 0;
  for (size_t i = 0; i < cols; i++) {
    cumulative += order[i].value;
    support[i] = order[i].value - (cumulative - 1) / (double)(i + 1) > 0;
    if (support[i]) {
      cumulative_total += cumulative;
      (*count)++;
    }
  }
  return (cumulative_total - 1) / (double)*count;
}

int k_row_activation(int op, const float *x, float *out, size_t rows, size_t cols) {
  if (op == ROW_GLU) {
    size_t half = cols / 2;
    for (size_t r = 0; r < rows; r++) {
      for (size_t c = 0; c < half; c++) out[r * half + c] = (float)(x[r * cols + c] * sigmoid(x[r * cols + half + c]));
    }
    return 0;
  }
  if (op == ROW_SPARSEMAX) {
    size_t scratch = cols > 0 ? cols : 1;
    ranked *order = malloc(scratch * sizeof(ranked));
    unsigned char *support = malloc(scratch);
    if (!order || !support) {
      free(order);
      free(support);
      return -1;
    }
    for (size_t r = 0; r < rows; r++) {
      size_t count;
      double tau = sparsemax_threshold(x + r * cols, cols, order, support, &count);
      for (size_t c = 0; c < cols; c++) out[r * cols + c] = (float)fmax(x[r * cols + c] - tau, 0.0);
    }
    free(order);
    free(support);
    return 0;
  }
  for (size_t r = 0; r < rows; r++) {
    double shift = log_sum_exp(x + r * cols, cols);
    for (size_t c = 0; c < cols; c++) out[r * cols + c] = (float)(x[r * cols + c] - shift);
  }
  return 0;
}

int k_row_activation_backward(int op, const float *x, const float *y, const float *dy, float *dx, size_t rows,
                              size_t cols) {
  ranked *order = NULL;
  unsigned char *support = NULL;
  if (op == ROW_SPARSEMAX) {
    size_t scratch = cols > 0 ? cols : 1;
    order = malloc(scratch * sizeof(ranked));
    support = malloc(scratch);
    if (!order || !support) {
      free(order);
      free(support);
      return -1;
    }
  }
  for (size_t r = 0; r < rows; r++) {
    size_t offset = r * cols;
    if (op == ROW_GLU) {
      size_t half = cols / 2;
      for (size_t c = 0; c < half; c++) {
        double a = x[offset + c], s = sigmoid(x[offset + half + c]), g = dy[r * half + c];
        dx[offset + c] = (float)(g * s);
        dx[offset + half + c] = (float)(g * a * s * (1 - s));
      }
    } else if (op == ROW_SPARSEMAX) {
      size_t count;
      double tau = sparsemax_threshold(x + offset, cols, order, support, &count);
      double active = 0;
      for (size_t c = 0; c < cols; c++) {
        if (x[offset + c] - tau > 0) active += dy[offset + c];
      }
      size_t later = 0;
      for (size_t i = cols; i-- > 0;) {
        if (support[i]) later++;
        size_t c = order[i].index;
        double direct = x[offset + c] - tau > 0 ? dy[offset + c] : 0;
        dx[offset + c] = (float)(direct - active * (double)later / (double)count);
      }
    } else {
      double total = 0;
      for (size_t c = 0; c < cols; c++) total += dy[offset + c];
      for (size_t c = 0; c < cols; c++) dx[offset + c] = (float)(dy[offset + c] - exp(y[offset + c]) * total);
    }
  }
  free(order);
  free(support);
  return 0;
}

void k_softmax_crossentropy(const float *logits, const float *labels, const int32_t *sparse_labels, float *loss,
                            float *probs, size_t rows, size_t classes) {
  for (size_t r = 0; r < rows; r++) {
    size_t offset = r * classes;
    double shift = log_sum_exp(logits + offset, classes);
    double value = 0;
    for (size_t c = 0; c < classes; c++) {
      double log_probability = logits[offset + c] - shift;
      probs[offset + c] = (float)exp(log_probability);
      double label = sparse_labels ? (sparse_labels[r] == (int32_t)c ? 1.0 : 0.0) : labels[offset + c];
      if (label != 0) value -= label * log_probability;
    }
    loss[r] = (float)value;
  }
}

void k_softmax_crossentropy_backward(const float *probs, const float *labels, const int32_t *sparse_labels,
                                     const float *d_loss, float *grad, size_t rows, size_t classes) {
  for (size_t r = 0; r < rows; r++) {
    size_t offset = r * classes;
    double upstream = d_loss[r];
    double label_sum = 1;
    if (!sparse_labels) {
      label_sum = 0;
      for (size_t c = 0; c < classes; c++) label_sum += labels[offset + c];
    }
    for (size_t c = 0; c < classes; c++) {
      double label = sparse_labels ? (sparse_labels[r] == (int32_t)c ? 1.0 : 0.0) : labels[offset + c];
      grad[offset + c] = (float)(upstream * (probs[offset + c] * label_sum - label));
    }
  }
}

void k_sigmoid_crossentropy(const float *logits, const float *labels, float *loss, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; r++) {
    double total = 0;
    for (size_t c = 0; c < cols; c++) {
      double z = logits[r * cols + c], y = labels[r * cols + c];
      total += fmax(z, 0.0) - z * y + log1p(exp(-fabs(z)));
    }
    loss[r] = (float)(total / (double)cols);
  }
}

void k_sigmoid_crossentropy_backward(const float *logits, const float *labels, const float *d_loss, float *grad,
                                     size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; r++) {
    double upstream = d_loss[r] / (double)cols;
    for (size_t c = 0; c < cols; c++) {
      size_t i = r * cols + c;
      grad[i] = (float)(upstream * (sigmoid(logits[i]) - labels[i]));
    }
  }
}
