/*
 * Node-API bindings of the native backend. Every function takes typed arrays
 * and numbers, checks them, and runs a kernel on the arrays' own memory: no
 * copies, and nothing is allocated on the JavaScript heap. Argument checks
 * here are a second line of defence; the TypeScript side validates shapes
 * before calling.
 */
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "activations.h"
#include "conv.h"
#include "cpu.h"
#include "gemm.h"
#include "kernels.h"
#include "optimizers.h"
#include "normalization.h"
#include "threadpool.h"
#include "recurrent.h"
#include "scan.h"

#define MAX_ARGS 14

typedef struct {
  napi_env env;
  napi_value values[MAX_ARGS];
  size_t count;
  const char *function;
  int failed;
} call_args;

static int fail(call_args *args, const char *message) {
  if (!args->failed) {
    char text[256];
    snprintf(text, sizeof text, "stratum native %s: %s", args->function, message);
    napi_throw_range_error(args->env, NULL, text);
  }
  args->failed = 1;
  return 0;
}

static int read_args(napi_env env, napi_callback_info info, call_args *args, size_t expected, const char *function) {
  args->env = env;
  args->count = MAX_ARGS;
  args->function = function;
  args->failed = 0;
  if (napi_get_cb_info(env, info, &args->count, args->values, NULL, NULL) != napi_ok) return fail(args, "invalid call");
  if (args->count < expected) {
    char text[96];
    snprintf(text, sizeof text, "expected %zu arguments, received %zu", expected, args->count);
    return fail(args, text);
  }
  return 1;
}

static int is_null(call_args *args, size_t index) {
  napi_valuetype type;
  if (napi_typeof(args->env, args->values[index], &type) != napi_ok) return 0;
  return type == napi_null || type == napi_undefined;
}

/* The data of a typed array argument of the given type with at least `min_length` elements, or NULL (and an exception). */
static void *typed_array(call_args *args, size_t index, napi_typedarray_type expected_type, size_t min_length, int nullable) {
  if (args->failed) return NULL;
  if (nullable && is_null(args, index)) return NULL;
  char text[160];
  napi_typedarray_type type;
  size_t length;
  void *data;
  /* This fails for any value that is not a typed array, so no separate test runs first. */
  if (napi_get_typedarray_info(args->env, args->values[index], &type, &length, &data, NULL, NULL) != napi_ok) {
    snprintf(text, sizeof text, "argument %zu must be a typed array", index);
    fail(args, text);
    return NULL;
  }
  if (type != expected_type) {
    snprintf(text, sizeof text, "argument %zu has the wrong element type", index);
    fail(args, text);
    return NULL;
  }
  if (length < min_length) {
    snprintf(text, sizeof text, "argument %zu has %zu elements, at least %zu are needed", index, length, min_length);
    fail(args, text);
    return NULL;
  }
  /*
   * An empty typed array may have no backing store, so its data pointer is
   * NULL. Kernels read NULL as "argument absent", and memset or memcpy on NULL
   * is undefined even for zero bytes, so a present empty array gets a
   * pointer to storage that nothing reads or writes (its length is 0).
   */
  if (data == NULL) {
    static double empty_storage[1];
    return empty_storage;
  }
  return data;
}

static float *f32(call_args *args, size_t index, size_t min_length) {
  return typed_array(args, index, napi_float32_array, min_length, 0);
}

static float *f32_or_null(call_args *args, size_t index, size_t min_length) {
  return typed_array(args, index, napi_float32_array, min_length, 1);
}

static int32_t *i32(call_args *args, size_t index, size_t min_length) {
  return typed_array(args, index, napi_int32_array, min_length, 0);
}

static size_t length_of(call_args *args, size_t index) {
  if (args->failed) return 0;
  napi_typedarray_type type;
  size_t length = 0;
  if (napi_get_typedarray_info(args->env, args->values[index], &type, &length, NULL, NULL, NULL) != napi_ok) {
    fail(args, "expected a typed array");
  }
  return length;
}

static double number(call_args *args, size_t index) {
  double value = 0;
  if (!args->failed && napi_get_value_double(args->env, args->values[index], &value) != napi_ok) {
    char text[96];
    snprintf(text, sizeof text, "argument %zu must be a number", index);
    fail(args, text);
  }
  return value;
}

/*
 * A size argument: an integer from 0 to INT32_MAX, so that the product of two
 * sizes cannot overflow size_t and an index along one size fits an int32.
 */
static size_t size_arg(call_args *args, size_t index) {
  double value = number(args, index);
  if (!args->failed && !(value >= 0 && value <= INT32_MAX && value == (double)(size_t)value)) {
    char text[112];
    snprintf(text, sizeof text, "argument %zu must be an integer size from 0 to 2147483647", index);
    fail(args, text);
    return 0;
  }
  return (size_t)value;
}

static int flag(call_args *args, size_t index) {
  bool value = false;
  if (!args->failed && napi_get_value_bool(args->env, args->values[index], &value) != napi_ok) {
    char text[96];
    snprintf(text, sizeof text, "argument %zu must be a boolean", index);
    fail(args, text);
  }
  return value ? 1 : 0;
}

static int op_code(call_args *args, size_t index, int count) {
  double value = number(args, index);
  if (!args->failed && !(value >= 0 && value < count && value == (int)value)) fail(args, "unknown operation code");
  return (int)value;
}

static napi_value undefined(napi_env env) {
  napi_value result;
  napi_get_undefined(env, &result);
  return result;
}

/*
 * Fails when an output shares memory with the int32 indices or labels that
 * the kernel reads. Those are checked for range before the kernel runs, so an
 * output that overwrote one during the call could send a later read out of
 * bounds. The TypeScript checks reject such calls first, and this is the second line.
 */
static int output_apart(call_args *args, const void *out, size_t out_bytes, const void *indices, size_t index_bytes) {
  if (args->failed) return 0;
  if (out == NULL || indices == NULL || out_bytes == 0 || index_bytes == 0) return 1;
  const char *out_start = out, *index_start = indices;
  if (out_start < index_start + index_bytes && index_start < out_start + out_bytes) {
    return fail(args, "an output shares memory with the indices or labels. Pass separate arrays");
  }
  return 1;
}

#define BEGIN(name, expected)                                   \
  call_args args;                                               \
  if (!read_args(env, info, &args, expected, name)) return NULL;

#define END()                     \
  if (args.failed) return NULL;   \
  return undefined(env);

/* matmul(a, b, out, m, k, n, transposeA, transposeB, accumulate) */
static napi_value matmul(napi_env env, napi_callback_info info) {
  BEGIN("matmul", 9);
  size_t m = size_arg(&args, 3), k = size_arg(&args, 4), n = size_arg(&args, 5);
  int ta = flag(&args, 6), tb = flag(&args, 7), acc = flag(&args, 8);
  float *a = f32(&args, 0, m * k), *b = f32(&args, 1, k * n), *out = f32(&args, 2, m * n);
  if (args.failed) return NULL;
  stratum_sgemm(ta, tb, m, n, k, a, b, out, acc);
  END();
}

/* unary(op, x, out) */
static napi_value unary(napi_env env, napi_callback_info info) {
  BEGIN("unary", 3);
  int op = op_code(&args, 0, 9);
  size_t n = length_of(&args, 1);
  float *x = f32(&args, 1, n), *out = f32(&args, 2, n);
  if (args.failed) return NULL;
  k_unary(op, x, out, n);
  END();
}

/* unaryBackward(op, x, y, dy, dx) */
static napi_value unary_backward(napi_env env, napi_callback_info info) {
  BEGIN("unaryBackward", 5);
  int op = op_code(&args, 0, 9);
  size_t n = length_of(&args, 1);
  float *x = f32(&args, 1, n), *y = f32(&args, 2, n), *dy = f32(&args, 3, n), *dx = f32(&args, 4, n);
  if (args.failed) return NULL;
  k_unary_backward(op, x, y, dy, dx, n);
  END();
}

/* binary(op, a, b, out, bPeriod, bOnLeft): the operand with a period repeats along `out`. */
static napi_value binary(napi_env env, napi_callback_info info) {
  BEGIN("binary", 6);
  int op = op_code(&args, 0, 6);
  size_t n = length_of(&args, 3);
  size_t period = size_arg(&args, 4);
  int left = flag(&args, 5);
  if (!args.failed && (period == 0 ? n != 0 : n % period != 0)) fail(&args, "period must divide the output size");
  float *a = f32(&args, 1, left ? period : n), *b = f32(&args, 2, left ? n : period), *out = f32(&args, 3, n);
  if (args.failed) return NULL;
  if (n == 0) return undefined(env);
  if (left) {
    k_binary_left(op, a, period, b, out, n);
  } else {
    k_binary(op, a, b, period, out, n);
  }
  END();
}

/* affine(x, scale, offset, out) */
static napi_value affine(napi_env env, napi_callback_info info) {
  BEGIN("affine", 4);
  size_t n = length_of(&args, 0);
  float scale = (float)number(&args, 1), offset = (float)number(&args, 2);
  float *x = f32(&args, 0, n), *out = f32(&args, 3, n);
  if (args.failed) return NULL;
  k_affine(x, scale, offset, out, n);
  END();
}

/* clip(x, low, high, out) */
static napi_value clip(napi_env env, napi_callback_info info) {
  BEGIN("clip", 4);
  size_t n = length_of(&args, 0);
  float low = (float)number(&args, 1), high = (float)number(&args, 2);
  float *x = f32(&args, 0, n), *out = f32(&args, 3, n);
  if (args.failed) return NULL;
  k_clip(x, low, high, out, n);
  END();
}

/* sum2d(x, rows, cols, axis, out) */
static napi_value sum2d(napi_env env, napi_callback_info info) {
  BEGIN("sum2d", 5);
  size_t rows = size_arg(&args, 1), cols = size_arg(&args, 2);
  double axis = number(&args, 3);
  float *x = f32(&args, 0, rows * cols), *out = f32(&args, 4, axis == 0 ? cols : rows);
  if (args.failed) return NULL;
  if (axis == 0) {
    k_sum_rows(x, rows, cols, out);
  } else {
    k_sum_cols(x, rows, cols, out);
  }
  END();
}

/* argmax(x, rows, cols, out) */
static napi_value argmax(napi_env env, napi_callback_info info) {
  BEGIN("argmax", 4);
  size_t rows = size_arg(&args, 1), cols = size_arg(&args, 2);
  if (!args.failed && cols == 0 && rows > 0) fail(&args, "rows need at least one column");
  float *x = f32(&args, 0, rows * cols);
  int32_t *out = i32(&args, 3, rows);
  if (args.failed) return NULL;
  k_argmax(x, rows, cols, out);
  END();
}

/* Rows of gatherRows per task when the copy is split across the pool. */
#define GATHER_TASK_ROWS 64
/* Copies of at least this many bytes are split across the pool. Smaller ones stay on the calling thread. */
#define GATHER_PARALLEL_BYTES ((size_t)512 << 10)

typedef struct {
  const float *x;
  const int32_t *indices;
  float *out;
  size_t row_size, count;
} gather_job;

/* Copies rows [first, last) of a gather. */
static void gather_range(const gather_job *job, size_t first, size_t last) {
  /* Rows come from random places in a large array, so the rows a few steps ahead are prefetched. */
  const size_t lookahead = 4;
  const size_t row_bytes = job->row_size * sizeof(float);
  for (size_t i = first; i < last; i++) {
    if (i + lookahead < last) {
      const char *ahead = (const char *)(job->x + (size_t)job->indices[i + lookahead] * job->row_size);
      for (size_t offset = 0; offset < row_bytes; offset += 64) __builtin_prefetch(ahead + offset, 0, 0);
    }
    memcpy(job->out + i * job->row_size, job->x + (size_t)job->indices[i] * job->row_size, row_bytes);
  }
}

static void gather_task(void *context, size_t task) {
  const gather_job *job = context;
  const size_t first = task * GATHER_TASK_ROWS;
  gather_range(job, first, first + GATHER_TASK_ROWS < job->count ? first + GATHER_TASK_ROWS : job->count);
}

/* gatherRows(x, rowSize, indices, out): copies rows indices[i] of x into consecutive rows of out. */
static napi_value gather_rows(napi_env env, napi_callback_info info) {
  BEGIN("gatherRows", 4);
  size_t row_size = size_arg(&args, 1);
  size_t count = length_of(&args, 2);
  size_t rows = row_size == 0 ? 0 : length_of(&args, 0) / row_size;
  float *x = f32(&args, 0, 0);
  int32_t *indices = i32(&args, 2, count);
  float *out = f32(&args, 3, count * row_size);
  if (!output_apart(&args, out, count * row_size * sizeof(float), indices, count * sizeof(int32_t))) return NULL;
  for (size_t i = 0; i < count; i++) {
    if (indices[i] < 0 || (size_t)indices[i] >= rows) {
      fail(&args, "row index out of range");
      return NULL;
    }
  }
  const gather_job job = {x, indices, out, row_size, count};
  /* A large batch is read from memory faster by both cores, each with its own misses in flight. */
  if (count * row_size * sizeof(float) >= GATHER_PARALLEL_BYTES) {
    stratum_pool_run((count + GATHER_TASK_ROWS - 1) / GATHER_TASK_ROWS, gather_task, (void *)&job);
  } else {
    gather_range(&job, 0, count);
  }
  END();
}

/* softmax(x, out, rows, cols) */
static napi_value softmax(napi_env env, napi_callback_info info) {
  BEGIN("softmax", 4);
  size_t rows = size_arg(&args, 2), cols = size_arg(&args, 3);
  float *x = f32(&args, 0, rows * cols), *out = f32(&args, 1, rows * cols);
  if (args.failed) return NULL;
  k_softmax(x, out, rows, cols);
  END();
}

/* softmaxBackward(y, dy, dx, rows, cols) */
static napi_value softmax_backward(napi_env env, napi_callback_info info) {
  BEGIN("softmaxBackward", 5);
  size_t rows = size_arg(&args, 3), cols = size_arg(&args, 4);
  size_t n = rows * cols;
  float *y = f32(&args, 0, n), *dy = f32(&args, 1, n), *dx = f32(&args, 2, n);
  if (args.failed) return NULL;
  k_softmax_backward(y, dy, dx, rows, cols);
  END();
}

static int activation_code(call_args *args, size_t index) { return op_code(args, index, 4); }

/* denseForward(x, kernel, bias | null, out, m, k, n, activation) */
static napi_value dense_forward(napi_env env, napi_callback_info info) {
  BEGIN("denseForward", 8);
  size_t m = size_arg(&args, 4), k = size_arg(&args, 5), n = size_arg(&args, 6);
  /* The four epilogue activations, and STRATUM_DENSE_SOFTMAX. */
  int activation = op_code(&args, 7, STRATUM_DENSE_SOFTMAX + 1);
  float *x = f32(&args, 0, m * k), *kernel = f32(&args, 1, k * n), *bias = f32_or_null(&args, 2, n);
  float *out = f32(&args, 3, m * n);
  if (args.failed) return NULL;
  k_dense_forward(x, kernel, bias, out, m, k, n, activation);
  END();
}

/* denseBackward(x, kernel, y, dy, dPre, dx | null, dKernel | null, dBias | null, m, k, n, activation) */
static napi_value dense_backward(napi_env env, napi_callback_info info) {
  BEGIN("denseBackward", 12);
  size_t m = size_arg(&args, 8), k = size_arg(&args, 9), n = size_arg(&args, 10);
  int activation = activation_code(&args, 11);
  float *x = f32(&args, 0, m * k), *kernel = f32(&args, 1, k * n), *y = f32(&args, 2, m * n);
  float *dy = f32(&args, 3, m * n), *d_pre = f32(&args, 4, m * n);
  float *dx = f32_or_null(&args, 5, m * k), *d_kernel = f32_or_null(&args, 6, k * n);
  float *d_bias = f32_or_null(&args, 7, n);
  if (args.failed) return NULL;
  k_dense_backward(x, kernel, y, dy, d_pre, dx, d_kernel, d_bias, m, k, n, activation);
  END();
}

/* categoricalCrossentropy(probs, labels, loss, rows, classes, epsilon) */
static napi_value categorical_crossentropy(napi_env env, napi_callback_info info) {
  BEGIN("categoricalCrossentropy", 6);
  size_t rows = size_arg(&args, 3), classes = size_arg(&args, 4);
  float epsilon = (float)number(&args, 5);
  float *probs = f32(&args, 0, rows * classes), *labels = f32(&args, 1, rows * classes), *loss = f32(&args, 2, rows);
  if (args.failed) return NULL;
  k_categorical_crossentropy(probs, labels, loss, rows, classes, epsilon);
  END();
}

static int check_labels(call_args *args, const int32_t *labels, size_t rows, size_t classes) {
  if (args->failed) return 0;
  for (size_t r = 0; r < rows; r++) {
    if (labels[r] < 0 || (size_t)labels[r] >= classes) return fail(args, "class label out of range");
  }
  return 1;
}

/* sparseCategoricalCrossentropy(probs, labels, loss, rows, classes, epsilon) */
static napi_value sparse_categorical_crossentropy(napi_env env, napi_callback_info info) {
  BEGIN("sparseCategoricalCrossentropy", 6);
  size_t rows = size_arg(&args, 3), classes = size_arg(&args, 4);
  float epsilon = (float)number(&args, 5);
  float *probs = f32(&args, 0, rows * classes), *loss = f32(&args, 2, rows);
  int32_t *labels = i32(&args, 1, rows);
  if (!output_apart(&args, loss, rows * sizeof(float), labels, rows * sizeof(int32_t))) return NULL;
  if (!check_labels(&args, labels, rows, classes)) return NULL;
  k_sparse_categorical_crossentropy(probs, labels, loss, rows, classes, epsilon);
  END();
}

/* crossentropyBackward(probs, labels, dLoss, grad, rows, classes, epsilon, sparse, throughSoftmax) */
static napi_value crossentropy_backward(napi_env env, napi_callback_info info) {
  BEGIN("crossentropyBackward", 9);
  size_t rows = size_arg(&args, 4), classes = size_arg(&args, 5);
  float epsilon = (float)number(&args, 6);
  int sparse = flag(&args, 7), through_softmax = flag(&args, 8);
  float *probs = f32(&args, 0, rows * classes), *d_loss = f32(&args, 2, rows), *grad = f32(&args, 3, rows * classes);
  const float *labels = NULL;
  const int32_t *sparse_labels = NULL;
  if (sparse) {
    sparse_labels = i32(&args, 1, rows);
    if (!output_apart(&args, grad, rows * classes * sizeof(float), sparse_labels, rows * sizeof(int32_t))) return NULL;
    if (!check_labels(&args, sparse_labels, rows, classes)) return NULL;
  } else {
    labels = f32(&args, 1, rows * classes);
  }
  if (args.failed) return NULL;
  k_crossentropy_backward(probs, labels, sparse_labels, d_loss, grad, rows, classes, epsilon, through_softmax);
  END();
}

/* binaryCrossentropy(probs, labels, loss, rows, cols, epsilon) */
static napi_value binary_crossentropy(napi_env env, napi_callback_info info) {
  BEGIN("binaryCrossentropy", 6);
  size_t rows = size_arg(&args, 3), cols = size_arg(&args, 4);
  float epsilon = (float)number(&args, 5);
  float *probs = f32(&args, 0, rows * cols), *labels = f32(&args, 1, rows * cols), *loss = f32(&args, 2, rows);
  if (args.failed) return NULL;
  k_binary_crossentropy(probs, labels, loss, rows, cols, epsilon);
  END();
}

/* binaryCrossentropyBackward(probs, labels, dLoss, grad, rows, cols, epsilon) */
static napi_value binary_crossentropy_backward(napi_env env, napi_callback_info info) {
  BEGIN("binaryCrossentropyBackward", 7);
  size_t rows = size_arg(&args, 4), cols = size_arg(&args, 5);
  float epsilon = (float)number(&args, 6);
  float *probs = f32(&args, 0, rows * cols), *labels = f32(&args, 1, rows * cols);
  float *d_loss = f32(&args, 2, rows), *grad = f32(&args, 3, rows * cols);
  if (args.failed) return NULL;
  k_binary_crossentropy_backward(probs, labels, d_loss, grad, rows, cols, epsilon);
  END();
}

/* adamUpdate(variable, gradient, momentum, velocity, velocityHat | null, learningRate, beta1, beta2, epsilon, step) */
static napi_value adam_update(napi_env env, napi_callback_info info) {
  BEGIN("adamUpdate", 10);
  size_t n = length_of(&args, 0);
  float *variable = f32(&args, 0, n), *gradient = f32(&args, 1, n), *momentum = f32(&args, 2, n);
  float *velocity = f32(&args, 3, n), *velocity_hat = f32_or_null(&args, 4, n);
  float learning_rate = (float)number(&args, 5);
  double beta1 = number(&args, 6), beta2 = number(&args, 7);
  float epsilon = (float)number(&args, 8);
  double step = number(&args, 9);
  if (args.failed) return NULL;
  k_adam_update(variable, gradient, momentum, velocity, velocity_hat, n, learning_rate, beta1, beta2, epsilon, step);
  END();
}

/* sgdUpdate(variable, gradient, momentum | null, learningRate, momentumFactor, nesterov) */
static napi_value sgd_update(napi_env env, napi_callback_info info) {
  BEGIN("sgdUpdate", 6);
  size_t n = length_of(&args, 0);
  float *variable = f32(&args, 0, n), *gradient = f32(&args, 1, n), *momentum = f32_or_null(&args, 2, n);
  float learning_rate = (float)number(&args, 3), momentum_factor = (float)number(&args, 4);
  int nesterov = flag(&args, 5);
  if (args.failed) return NULL;
  k_sgd_update(variable, gradient, momentum, n, learning_rate, momentum_factor, nesterov);
  END();
}

/* rmspropUpdate(variable, gradient, velocity, momentum | null, averageGradient | null, learningRate, rho, momentumFactor, epsilon) */
static napi_value rmsprop_update(napi_env env, napi_callback_info info) {
  BEGIN("rmspropUpdate", 9);
  size_t n = length_of(&args, 0);
  float *variable = f32(&args, 0, n), *gradient = f32(&args, 1, n), *velocity = f32(&args, 2, n);
  float *momentum = f32_or_null(&args, 3, n), *average_gradient = f32_or_null(&args, 4, n);
  double learning_rate = number(&args, 5), rho = number(&args, 6), momentum_factor = number(&args, 7);
  double epsilon = number(&args, 8);
  if (args.failed) return NULL;
  k_rmsprop_update(variable, gradient, velocity, momentum, average_gradient, n, learning_rate, rho, momentum_factor,
                   epsilon);
  END();
}

/* adagradUpdate(variable, gradient, accumulator, learningRate, epsilon) */
static napi_value adagrad_update(napi_env env, napi_callback_info info) {
  BEGIN("adagradUpdate", 5);
  size_t n = length_of(&args, 0);
  float *variable = f32(&args, 0, n), *gradient = f32(&args, 1, n), *accumulator = f32(&args, 2, n);
  double learning_rate = number(&args, 3), epsilon = number(&args, 4);
  if (args.failed) return NULL;
  k_adagrad_update(variable, gradient, accumulator, n, learning_rate, epsilon);
  END();
}

/* adadeltaUpdate(variable, gradient, accumulatedGrad, accumulatedDeltaVar, learningRate, rho, epsilon) */
static napi_value adadelta_update(napi_env env, napi_callback_info info) {
  BEGIN("adadeltaUpdate", 7);
  size_t n = length_of(&args, 0);
  float *variable = f32(&args, 0, n), *gradient = f32(&args, 1, n);
  float *accumulated_grad = f32(&args, 2, n), *accumulated_delta_var = f32(&args, 3, n);
  double learning_rate = number(&args, 4), rho = number(&args, 5), epsilon = number(&args, 6);
  if (args.failed) return NULL;
  k_adadelta_update(variable, gradient, accumulated_grad, accumulated_delta_var, n, learning_rate, rho, epsilon);
  END();
}

/* adamaxUpdate(variable, gradient, momentum, norm, learningRate, beta1, beta2, epsilon, step) */
static napi_value adamax_update(napi_env env, napi_callback_info info) {
  BEGIN("adamaxUpdate", 9);
  size_t n = length_of(&args, 0);
  float *variable = f32(&args, 0, n), *gradient = f32(&args, 1, n), *momentum = f32(&args, 2, n), *norm = f32(&args, 3, n);
  double learning_rate = number(&args, 4), beta1 = number(&args, 5), beta2 = number(&args, 6);
  double epsilon = number(&args, 7), step = number(&args, 8);
  if (args.failed) return NULL;
  k_adamax_update(variable, gradient, momentum, norm, n, learning_rate, beta1, beta2, epsilon, step);
  END();
}

/* nadamUpdate(variable, gradient, momentum, velocity, learningRate, beta1, beta2, epsilon, step, momentumProduct) */
static napi_value nadam_update(napi_env env, napi_callback_info info) {
  BEGIN("nadamUpdate", 10);
  size_t n = length_of(&args, 0);
  float *variable = f32(&args, 0, n), *gradient = f32(&args, 1, n), *momentum = f32(&args, 2, n);
  float *velocity = f32(&args, 3, n);
  double learning_rate = number(&args, 4), beta1 = number(&args, 5), beta2 = number(&args, 6);
  double epsilon = number(&args, 7), step = number(&args, 8), momentum_product = number(&args, 9);
  if (args.failed) return NULL;
  k_nadam_update(variable, gradient, momentum, velocity, n, learning_rate, beta1, beta2, epsilon, step,
                 momentum_product);
  END();
}

/* lionUpdate(variable, gradient, momentum, learningRate, beta1, beta2) */
static napi_value lion_update(napi_env env, napi_callback_info info) {
  BEGIN("lionUpdate", 6);
  size_t n = length_of(&args, 0);
  float *variable = f32(&args, 0, n), *gradient = f32(&args, 1, n), *momentum = f32(&args, 2, n);
  double learning_rate = number(&args, 3), beta1 = number(&args, 4), beta2 = number(&args, 5);
  if (args.failed) return NULL;
  k_lion_update(variable, gradient, momentum, n, learning_rate, beta1, beta2);
  END();
}

/* lambUpdate(variable, gradient, momentum, velocity, learningRate, beta1, beta2, epsilon, step) */
static napi_value lamb_update(napi_env env, napi_callback_info info) {
  BEGIN("lambUpdate", 9);
  size_t n = length_of(&args, 0);
  float *variable = f32(&args, 0, n), *gradient = f32(&args, 1, n), *momentum = f32(&args, 2, n);
  float *velocity = f32(&args, 3, n);
  double learning_rate = number(&args, 4), beta1 = number(&args, 5), beta2 = number(&args, 6);
  double epsilon = number(&args, 7), step = number(&args, 8);
  if (args.failed) return NULL;
  k_lamb_update(variable, gradient, momentum, velocity, n, learning_rate, beta1, beta2, epsilon, step);
  END();
}

/* ftrlUpdate(variable, gradient, accumulator, linear, learningRate, learningRatePower, l1, l2, l2Shrinkage) */
static napi_value ftrl_update(napi_env env, napi_callback_info info) {
  BEGIN("ftrlUpdate", 9);
  size_t n = length_of(&args, 0);
  float *variable = f32(&args, 0, n), *gradient = f32(&args, 1, n), *accumulator = f32(&args, 2, n);
  float *linear = f32(&args, 3, n);
  double learning_rate = number(&args, 4), learning_rate_power = number(&args, 5), l1 = number(&args, 6);
  double l2 = number(&args, 7), l2_shrinkage = number(&args, 8);
  if (args.failed) return NULL;
  k_ftrl_update(variable, gradient, accumulator, linear, n, learning_rate, learning_rate_power, l1, l2, l2_shrinkage);
  END();
}

/* adafactorUpdate(variable, gradient, velocity, rowFactor | null, columnFactor | null, batch, rows, cols,
                   relativeStep, beta2, epsilon1, epsilon2, clipThreshold) */
static napi_value adafactor_update(napi_env env, napi_callback_info info) {
  BEGIN("adafactorUpdate", 13);
  size_t n = length_of(&args, 0);
  size_t batch = size_arg(&args, 5), rows = size_arg(&args, 6), cols = size_arg(&args, 7);
  float *variable = f32(&args, 0, n), *gradient = f32(&args, 1, n), *velocity = f32(&args, 2, n);
  float *row_factor = f32_or_null(&args, 3, batch * rows), *column_factor = f32_or_null(&args, 4, batch * cols);
  double relative_step = number(&args, 8), beta2 = number(&args, 9), epsilon1 = number(&args, 10);
  double epsilon2 = number(&args, 11), clip_threshold = number(&args, 12);
  if (args.failed) return NULL;
  if ((row_factor == NULL) != (column_factor == NULL)) {
    fail(&args, "rowFactor and columnFactor must both be arrays or both be null");
    return NULL;
  }
  size_t factored = 0;
  if (row_factor != NULL && (__builtin_mul_overflow(batch * rows, cols, &factored) || factored != n)) {
    fail(&args, "batch * rows * cols must equal the variable's length");
    return NULL;
  }
  k_adafactor_update(variable, gradient, velocity, row_factor, column_factor, n, batch, rows, cols, relative_step,
                     beta2, epsilon1, epsilon2, clip_threshold);
  END();
}

/* emaUpdate(average, variable, momentum) */
static napi_value ema_update(napi_env env, napi_callback_info info) {
  BEGIN("emaUpdate", 3);
  size_t n = length_of(&args, 0);
  float *average = f32(&args, 0, n), *variable = f32(&args, 1, n);
  double momentum = number(&args, 2);
  if (args.failed) return NULL;
  k_ema_update(average, variable, n, momentum);
  END();
}

/* squaredNorm(x): returns the sum of squares. */
static napi_value squared_norm(napi_env env, napi_callback_info info) {
  BEGIN("squaredNorm", 1);
  size_t n = length_of(&args, 0);
  float *x = f32(&args, 0, n);
  if (args.failed) return NULL;
  napi_value result;
  napi_create_double(env, k_squared_norm(x, n), &result);
  return result;
}

/* setThreads(count): resizes the pool and returns the thread count in use. */
static napi_value set_threads(napi_env env, napi_callback_info info) {
  BEGIN("setThreads", 1);
  double count = number(&args, 0);
  if (args.failed) return NULL;
  if (!(count >= 1 && count <= 256 && count == (int)count)) {
    fail(&args, "thread count must be an integer from 1 to 256");
    return NULL;
  }
  napi_value result;
  napi_create_int32(env, stratum_pool_init((int)count), &result);
  return result;
}

/* setIsaLimit(level): caps the instruction set (0 portable, 1 AVX2, 2 AVX-512); returns the name in use. */
static napi_value set_isa_limit(napi_env env, napi_callback_info info) {
  BEGIN("setIsaLimit", 1);
  int level = op_code(&args, 0, 3);
  if (args.failed) return NULL;
  napi_value result;
  const char *name = stratum_isa_name(stratum_set_isa_limit((stratum_isa)level));
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &result);
  return result;
}

/* info(): { isa, threads } */
static napi_value info_fn(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result, isa, threads;
  napi_create_object(env, &result);
  napi_create_string_utf8(env, stratum_isa_name(stratum_cpu_isa()), NAPI_AUTO_LENGTH, &isa);
  napi_create_int32(env, stratum_pool_threads(), &threads);
  napi_set_named_property(env, result, "isa", isa);
  napi_set_named_property(env, result, "threads", threads);
  return result;
}

/*
 * Reads a window geometry from an int32 array of STRATUM_WINDOW_FIELDS entries
 * and checks it: sizes non-negative, window, stride and dilation at least 1,
 * and the channel slice inside the channels.
 */
static int window_arg(call_args *args, size_t index, stratum_window *g) {
  const int32_t *dims = i32(args, index, STRATUM_WINDOW_FIELDS);
  if (args->failed) return 0;
  size_t *fields[STRATUM_WINDOW_FIELDS] = {&g->batch,      &g->height,     &g->width,         &g->channels,
                                           &g->window_h,   &g->window_w,   &g->stride_h,      &g->stride_w,
                                           &g->dilation_h, &g->dilation_w, &g->pad_top,       &g->pad_left,
                                           &g->out_h,      &g->out_w,      &g->channel_offset, &g->group_channels,
                                           &g->depth,      &g->window_d,   &g->stride_d,      &g->dilation_d,
                                           &g->pad_front,  &g->out_d};
  for (size_t i = 0; i < STRATUM_WINDOW_FIELDS; i++) {
    if (dims[i] < 0) return fail(args, "window geometry entries must be non-negative");
    *fields[i] = (size_t)dims[i];
  }
  if (g->window_h == 0 || g->window_w == 0 || g->stride_h == 0 || g->stride_w == 0 || g->dilation_h == 0 ||
      g->dilation_w == 0 || g->depth == 0 || g->window_d == 0 || g->stride_d == 0 || g->dilation_d == 0) {
    return fail(args, "window size, strides and dilation must be at least 1");
  }
  if (g->channel_offset + g->group_channels > g->channels) return fail(args, "channel slice exceeds the channels");
  return 1;
}

/* Product of the given sizes, or 0 with an exception when it overflows. */
static size_t element_count(call_args *args, size_t count, const size_t *sizes) {
  size_t total = 1;
  for (size_t i = 0; i < count; i++) {
    if (__builtin_mul_overflow(total, sizes[i], &total)) {
      fail(args, "window geometry describes more elements than memory can hold");
      return 0;
    }
  }
  return total;
}

static size_t image_elements(call_args *args, const stratum_window *g) {
  const size_t sizes[] = {g->batch, g->depth, g->height, g->width, g->channels};
  return element_count(args, 5, sizes);
}

static size_t pooled_elements(call_args *args, const stratum_window *g) {
  const size_t sizes[] = {g->batch, g->out_d, g->out_h, g->out_w, g->channels};
  return element_count(args, 5, sizes);
}

static size_t patch_elements(call_args *args, const stratum_window *g) {
  const size_t sizes[] = {g->batch, g->out_d, g->out_h, g->out_w, g->window_d, g->window_h, g->window_w, g->group_channels};
  return element_count(args, 8, sizes);
}

/* im2col(x, cols, geometry) */
static napi_value im2col(napi_env env, napi_callback_info info) {
  BEGIN("im2col", 3);
  stratum_window g;
  if (!window_arg(&args, 2, &g)) return NULL;
  size_t image = image_elements(&args, &g), patches = patch_elements(&args, &g);
  float *x = f32(&args, 0, image), *cols = f32(&args, 1, patches);
  if (args.failed) return NULL;
  k_im2col(&g, x, cols);
  END();
}

/* col2im(cols, dx, geometry) */
static napi_value col2im(napi_env env, napi_callback_info info) {
  BEGIN("col2im", 3);
  stratum_window g;
  if (!window_arg(&args, 2, &g)) return NULL;
  size_t image = image_elements(&args, &g), patches = patch_elements(&args, &g);
  float *cols = f32(&args, 0, patches), *dx = f32(&args, 1, image);
  if (args.failed) return NULL;
  k_col2im(&g, cols, dx);
  END();
}

/* maxPool(x, out, geometry) and avgPool(x, out, geometry) */
static napi_value pool_forward(napi_env env, napi_callback_info info, const char *name, int average) {
  BEGIN(name, 3);
  stratum_window g;
  if (!window_arg(&args, 2, &g)) return NULL;
  size_t image = image_elements(&args, &g), pooled = pooled_elements(&args, &g);
  float *x = f32(&args, 0, image), *out = f32(&args, 1, pooled);
  if (args.failed) return NULL;
  if (average) {
    k_avg_pool(&g, x, out);
  } else {
    k_max_pool(&g, x, out);
  }
  END();
}

static napi_value max_pool(napi_env env, napi_callback_info info) { return pool_forward(env, info, "maxPool", 0); }
static napi_value avg_pool(napi_env env, napi_callback_info info) { return pool_forward(env, info, "avgPool", 1); }

/* maxPoolBackward(x, dy, dx, geometry) and avgPoolBackward(x, dy, dx, geometry) */
static napi_value pool_backward(napi_env env, napi_callback_info info, const char *name, int average) {
  BEGIN(name, 4);
  stratum_window g;
  if (!window_arg(&args, 3, &g)) return NULL;
  size_t image = image_elements(&args, &g), pooled = pooled_elements(&args, &g);
  float *x = f32(&args, 0, image), *dy = f32(&args, 1, pooled), *dx = f32(&args, 2, image);
  if (args.failed) return NULL;
  if (average) {
    k_avg_pool_backward(&g, dy, dx);
  } else {
    k_max_pool_backward(&g, x, dy, dx);
  }
  END();
}

static napi_value max_pool_backward(napi_env env, napi_callback_info info) {
  return pool_backward(env, info, "maxPoolBackward", 0);
}
static napi_value avg_pool_backward(napi_env env, napi_callback_info info) {
  return pool_backward(env, info, "avgPoolBackward", 1);
}

/* activation(op, x, out, p0, p1, p2) */
static napi_value activation(napi_env env, napi_callback_info info) {
  BEGIN("activation", 6);
  int op = op_code(&args, 0, ACT_COUNT);
  size_t n = length_of(&args, 1);
  float *x = f32(&args, 1, n), *out = f32(&args, 2, n);
  double p0 = number(&args, 3), p1 = number(&args, 4), p2 = number(&args, 5);
  if (args.failed) return NULL;
  k_activation(op, x, out, n, p0, p1, p2);
  END();
}

/* activationBackward(op, x, y, dy, dx, p0, p1, p2) */
static napi_value activation_backward(napi_env env, napi_callback_info info) {
  BEGIN("activationBackward", 8);
  int op = op_code(&args, 0, ACT_COUNT);
  size_t n = length_of(&args, 1);
  float *x = f32(&args, 1, n), *y = f32(&args, 2, n), *dy = f32(&args, 3, n), *dx = f32(&args, 4, n);
  double p0 = number(&args, 5), p1 = number(&args, 6), p2 = number(&args, 7);
  if (args.failed) return NULL;
  k_activation_backward(op, x, y, dy, dx, n, p0, p1, p2);
  END();
}

/* Elements of a row activation's output: glu halves the last axis. */
static size_t row_output_size(call_args *args, int op, size_t rows, size_t cols) {
  if (op != ROW_GLU) return rows * cols;
  if (!args->failed && cols % 2 != 0) fail(args, "glu needs an even number of columns");
  return rows * (cols / 2);
}

/* rowActivation(op, x, out, rows, cols) */
static napi_value row_activation(napi_env env, napi_callback_info info) {
  BEGIN("rowActivation", 5);
  int op = op_code(&args, 0, ROW_COUNT);
  size_t rows = size_arg(&args, 3), cols = size_arg(&args, 4);
  size_t out_size = row_output_size(&args, op, rows, cols);
  float *x = f32(&args, 1, rows * cols), *out = f32(&args, 2, out_size);
  if (args.failed) return NULL;
  if (k_row_activation(op, x, out, rows, cols) != 0) fail(&args, "out of memory");
  END();
}

/* rowActivationBackward(op, x, y, dy, dx, rows, cols) */
static napi_value row_activation_backward(napi_env env, napi_callback_info info) {
  BEGIN("rowActivationBackward", 7);
  int op = op_code(&args, 0, ROW_COUNT);
  size_t rows = size_arg(&args, 5), cols = size_arg(&args, 6);
  size_t out_size = row_output_size(&args, op, rows, cols);
  float *x = f32(&args, 1, rows * cols), *y = f32(&args, 2, out_size), *dy = f32(&args, 3, out_size);
  float *dx = f32(&args, 4, rows * cols);
  if (args.failed) return NULL;
  if (k_row_activation_backward(op, x, y, dy, dx, rows, cols) != 0) fail(&args, "out of memory");
  END();
}

/* softmaxCrossentropy(logits, labels, sparse, loss, probs, rows, classes) */
static napi_value softmax_crossentropy(napi_env env, napi_callback_info info) {
  BEGIN("softmaxCrossentropy", 7);
  size_t rows = size_arg(&args, 5), classes = size_arg(&args, 6);
  int sparse = flag(&args, 2);
  float *logits = f32(&args, 0, rows * classes), *loss = f32(&args, 3, rows), *probs = f32(&args, 4, rows * classes);
  const float *labels = NULL;
  const int32_t *sparse_labels = NULL;
  if (sparse) {
    sparse_labels = i32(&args, 1, rows);
    if (!output_apart(&args, loss, rows * sizeof(float), sparse_labels, rows * sizeof(int32_t)) ||
        !output_apart(&args, probs, rows * classes * sizeof(float), sparse_labels, rows * sizeof(int32_t))) {
      return NULL;
    }
    if (!check_labels(&args, sparse_labels, rows, classes)) return NULL;
  } else {
    labels = f32(&args, 1, rows * classes);
  }
  if (args.failed) return NULL;
  k_softmax_crossentropy(logits, labels, sparse_labels, loss, probs, rows, classes);
  END();
}

/* softmaxCrossentropyBackward(probs, labels, sparse, dLoss, grad, rows, classes) */
static napi_value softmax_crossentropy_backward(napi_env env, napi_callback_info info) {
  BEGIN("softmaxCrossentropyBackward", 7);
  size_t rows = size_arg(&args, 5), classes = size_arg(&args, 6);
  int sparse = flag(&args, 2);
  float *probs = f32(&args, 0, rows * classes), *d_loss = f32(&args, 3, rows), *grad = f32(&args, 4, rows * classes);
  const float *labels = NULL;
  const int32_t *sparse_labels = NULL;
  if (sparse) {
    sparse_labels = i32(&args, 1, rows);
    if (!output_apart(&args, grad, rows * classes * sizeof(float), sparse_labels, rows * sizeof(int32_t))) return NULL;
    if (!check_labels(&args, sparse_labels, rows, classes)) return NULL;
  } else {
    labels = f32(&args, 1, rows * classes);
  }
  if (args.failed) return NULL;
  k_softmax_crossentropy_backward(probs, labels, sparse_labels, d_loss, grad, rows, classes);
  END();
}

/* sigmoidCrossentropy(logits, labels, loss, rows, cols) */
static napi_value sigmoid_crossentropy(napi_env env, napi_callback_info info) {
  BEGIN("sigmoidCrossentropy", 5);
  size_t rows = size_arg(&args, 3), cols = size_arg(&args, 4);
  float *logits = f32(&args, 0, rows * cols), *labels = f32(&args, 1, rows * cols), *loss = f32(&args, 2, rows);
  if (args.failed) return NULL;
  k_sigmoid_crossentropy(logits, labels, loss, rows, cols);
  END();
}

/* sigmoidCrossentropyBackward(logits, labels, dLoss, grad, rows, cols) */
static napi_value sigmoid_crossentropy_backward(napi_env env, napi_callback_info info) {
  BEGIN("sigmoidCrossentropyBackward", 6);
  size_t rows = size_arg(&args, 4), cols = size_arg(&args, 5);
  float *logits = f32(&args, 0, rows * cols), *labels = f32(&args, 1, rows * cols);
  float *d_loss = f32(&args, 2, rows), *grad = f32(&args, 3, rows * cols);
  if (args.failed) return NULL;
  k_sigmoid_crossentropy_backward(logits, labels, d_loss, grad, rows, cols);
  END();
}

/* The element count outer · channels · inner of a batch-norm input, or 0 with an exception when it overflows. */
static size_t batch_norm_size(call_args *args, size_t outer, size_t channels, size_t inner) {
  if (args->failed) return 0;
  size_t per_outer = channels * inner;
  if (per_outer != 0 && outer > SIZE_MAX / per_outer) {
    fail(args, "outer * channels * inner overflows");
    return 0;
  }
  return outer * per_outer;
}

/* batchNormForward(x, outer, channels, inner, weights | null, gamma | null, beta | null, mean, variance, training, epsilon, out) */
static napi_value batch_norm_forward(napi_env env, napi_callback_info info) {
  BEGIN("batchNormForward", 12);
  size_t outer = size_arg(&args, 1), channels = size_arg(&args, 2), inner = size_arg(&args, 3);
  size_t n = batch_norm_size(&args, outer, channels, inner);
  float *x = f32(&args, 0, n), *weights = f32_or_null(&args, 4, n);
  float *gamma = f32_or_null(&args, 5, channels), *beta = f32_or_null(&args, 6, channels);
  float *mean = f32(&args, 7, channels), *variance = f32(&args, 8, channels);
  int training = flag(&args, 9);
  double epsilon = number(&args, 10);
  float *out = f32(&args, 11, n);
  if (args.failed) return NULL;
  if (!k_batch_norm_forward(x, outer, channels, inner, weights, gamma, beta, mean, variance, training, epsilon, out)) {
    fail(&args, "out of memory");
    return NULL;
  }
  END();
}

/* batchNormBackward(x, outer, channels, inner, weights | null, gamma | null, mean, variance, training, epsilon, dy, dx | null, dGamma | null, dBeta | null) */
static napi_value batch_norm_backward(napi_env env, napi_callback_info info) {
  BEGIN("batchNormBackward", 14);
  size_t outer = size_arg(&args, 1), channels = size_arg(&args, 2), inner = size_arg(&args, 3);
  size_t n = batch_norm_size(&args, outer, channels, inner);
  float *x = f32(&args, 0, n), *weights = f32_or_null(&args, 4, n), *gamma = f32_or_null(&args, 5, channels);
  float *mean = f32(&args, 6, channels), *variance = f32(&args, 7, channels);
  int training = flag(&args, 8);
  double epsilon = number(&args, 9);
  float *dy = f32(&args, 10, n), *dx = f32_or_null(&args, 11, n);
  float *d_gamma = f32_or_null(&args, 12, channels), *d_beta = f32_or_null(&args, 13, channels);
  if (args.failed) return NULL;
  if (!k_batch_norm_backward(x, outer, channels, inner, weights, gamma, mean, variance, training, epsilon, dy, dx, d_gamma,
                             d_beta)) {
    fail(&args, "out of memory");
    return NULL;
  }
  END();
}

/* layerNormForward(x, rows, cols, gamma | null, beta | null, epsilon, rmsScaling, out, mean, invStd) */
static napi_value layer_norm_forward(napi_env env, napi_callback_info info) {
  BEGIN("layerNormForward", 10);
  size_t rows = size_arg(&args, 1), cols = size_arg(&args, 2);
  float *x = f32(&args, 0, rows * cols), *gamma = f32_or_null(&args, 3, cols), *beta = f32_or_null(&args, 4, cols);
  double epsilon = number(&args, 5);
  int rms_scaling = flag(&args, 6);
  float *out = f32(&args, 7, rows * cols), *mean = f32(&args, 8, rows), *inv_std = f32(&args, 9, rows);
  if (args.failed) return NULL;
  k_layer_norm_forward(x, rows, cols, gamma, beta, epsilon, rms_scaling, out, mean, inv_std);
  END();
}

/* layerNormBackward(x, rows, cols, gamma | null, mean, invStd, rmsScaling, dy, dx | null, dGamma | null, dBeta | null) */
static napi_value layer_norm_backward(napi_env env, napi_callback_info info) {
  BEGIN("layerNormBackward", 11);
  size_t rows = size_arg(&args, 1), cols = size_arg(&args, 2);
  float *x = f32(&args, 0, rows * cols), *gamma = f32_or_null(&args, 3, cols);
  float *mean = f32(&args, 4, rows), *inv_std = f32(&args, 5, rows);
  int rms_scaling = flag(&args, 6);
  float *dy = f32(&args, 7, rows * cols), *dx = f32_or_null(&args, 8, rows * cols);
  float *d_gamma = f32_or_null(&args, 9, cols), *d_beta = f32_or_null(&args, 10, cols);
  if (args.failed) return NULL;
  if (!k_layer_norm_backward(x, rows, cols, gamma, mean, inv_std, rms_scaling, dy, dx, d_gamma, d_beta)) {
    fail(&args, "out of memory");
    return NULL;
  }
  END();
}

/*
 * Reads the eight int32 values of a recurrent call, [kind, activation,
 * recurrentActivation, batch, units, steps, step or goBackwards, zeroOutput],
 * and checks what both call kinds share. Returns NULL after failing the call.
 */
static int32_t *read_rnn_values(call_args *args, size_t index) {
  int32_t *values = i32(args, index, 8);
  if (args->failed) return NULL;
  for (int i = 0; i < 8; i++) {
    if (values[i] < 0) return fail(args, "recurrent sizes must be non-negative"), NULL;
  }
  if (values[0] > RNN_GRU || values[1] > STRATUM_ACT_TANH || values[2] > STRATUM_ACT_TANH) {
    return fail(args, "unknown recurrent cell or activation code"), NULL;
  }
  /* The largest arrays, [batch, steps + 2, 4 * units], must have a size that size_t can hold. */
  size_t total;
  if (__builtin_mul_overflow((size_t)values[3], (size_t)values[5] + 2, &total) ||
      __builtin_mul_overflow(total, 4 * (size_t)values[4], &total)) {
    return fail(args, "batch * steps * gates * units overflows"), NULL;
  }
  return values;
}

/* Reads the configuration of a one-step call, whose seventh value is the step index. */
static int read_rnn_step(call_args *args, size_t index, rnn_step *p) {
  int32_t *values = read_rnn_values(args, index);
  if (values == NULL) return 0;
  if (values[6] >= values[5]) return fail(args, "the step index must be below the number of steps");
  p->kind = values[0];
  p->activation = values[1];
  p->recurrent_activation = values[2];
  p->batch = (size_t)values[3];
  p->units = (size_t)values[4];
  p->steps = (size_t)values[5];
  p->step = (size_t)values[6];
  p->zero_output = values[7] != 0;
  return 1;
}

/* Columns of the recurrent kernel: gates times units. */
static size_t rnn_width(int kind, size_t units) { return (kind == RNN_LSTM ? 4 : (kind == RNN_GRU ? 3 : 1)) * units; }

/* recurrentGatesForward(step, projected, products, recurrentBias | null, mask | null, hPrev, cPrev | null,
 *                       gateValues, extra | null, hNew, cNew | null, output) */
static napi_value recurrent_gates_forward(napi_env env, napi_callback_info info) {
  BEGIN("recurrentGatesForward", 12);
  rnn_step p;
  if (!read_rnn_step(&args, 0, &p)) return NULL;
  const size_t width = rnn_width(p.kind, p.units), rows = p.batch * p.units, lstm = p.kind == RNN_LSTM;
  float *projected = f32(&args, 1, p.batch * p.steps * width), *products = f32(&args, 2, p.batch * width);
  float *recurrent_bias = f32_or_null(&args, 3, width), *mask = f32_or_null(&args, 4, p.batch * p.steps);
  float *h_prev = f32(&args, 5, rows), *c_prev = lstm ? f32(&args, 6, rows) : NULL;
  float *gate_values = f32(&args, 7, p.batch * width), *extra = p.kind == RNN_SIMPLE ? NULL : f32(&args, 8, rows);
  float *h_new = f32(&args, 9, rows), *c_new = lstm ? f32(&args, 10, rows) : NULL, *output = f32(&args, 11, rows);
  if (args.failed) return NULL;
  k_recurrent_gates_forward(&p, projected, products, recurrent_bias, mask, h_prev, c_prev, gate_values, extra, h_new, c_new, output);
  END();
}

/* recurrentGatesBackward(step, mask | null, gateValues, extra | null, hPrev, cPrev | null, dOutput, dH, dC | null,
 *                        dProjected, productGradients, dHPrev, dCPrev | null) */
static napi_value recurrent_gates_backward(napi_env env, napi_callback_info info) {
  BEGIN("recurrentGatesBackward", 13);
  rnn_step p;
  if (!read_rnn_step(&args, 0, &p)) return NULL;
  const size_t width = rnn_width(p.kind, p.units), rows = p.batch * p.units, lstm = p.kind == RNN_LSTM;
  float *mask = f32_or_null(&args, 1, p.batch * p.steps), *gate_values = f32(&args, 2, p.batch * width);
  float *extra = p.kind == RNN_SIMPLE ? NULL : f32(&args, 3, rows);
  float *h_prev = f32(&args, 4, rows), *c_prev = lstm ? f32(&args, 5, rows) : NULL;
  float *d_output = f32(&args, 6, rows), *d_h = f32(&args, 7, rows), *d_c = lstm ? f32(&args, 8, rows) : NULL;
  float *d_projected = f32(&args, 9, p.batch * p.steps * width), *product_gradients = f32(&args, 10, p.batch * width);
  float *d_h_prev = f32(&args, 11, rows), *d_c_prev = lstm ? f32(&args, 12, rows) : NULL;
  if (args.failed) return NULL;
  k_recurrent_gates_backward(&p, mask, gate_values, extra, h_prev, c_prev, d_output, d_h, d_c, d_projected, product_gradients,
                             d_h_prev, d_c_prev);
  END();
}

/* Reads the configuration of a whole-sequence call, whose seventh value is goBackwards. */
static int read_rnn_sequence(call_args *args, size_t index, rnn_sequence *p) {
  int32_t *values = read_rnn_values(args, index);
  if (values == NULL) return 0;
  p->kind = values[0];
  p->activation = values[1];
  p->recurrent_activation = values[2];
  p->batch = (size_t)values[3];
  p->units = (size_t)values[4];
  p->steps = (size_t)values[5];
  p->go_backwards = values[6] != 0;
  p->zero_output = values[7] != 0;
  return 1;
}

/* recurrentSequenceForward(config, projected, kernel, recurrentBias | null, mask | null,
 *                          hHistory, cHistory | null, gateValues, extra | null, output) */
static napi_value recurrent_sequence_forward(napi_env env, napi_callback_info info) {
  BEGIN("recurrentSequenceForward", 10);
  rnn_sequence p;
  if (!read_rnn_sequence(&args, 0, &p)) return NULL;
  const size_t width = rnn_width(p.kind, p.units), size = p.batch * p.units, lstm = p.kind == RNN_LSTM;
  const size_t out_steps = p.steps + (lstm ? 2 : 1);
  float *projected = f32(&args, 1, p.batch * p.steps * width), *kernel = f32(&args, 2, p.units * width);
  float *recurrent_bias = f32_or_null(&args, 3, width), *mask = f32_or_null(&args, 4, p.batch * p.steps);
  float *h_history = f32(&args, 5, (p.steps + 1) * size), *c_history = lstm ? f32(&args, 6, (p.steps + 1) * size) : NULL;
  float *gate_values = f32(&args, 7, p.steps * p.batch * width);
  float *extra = p.kind == RNN_SIMPLE ? NULL : f32(&args, 8, p.steps * size);
  float *output = f32(&args, 9, out_steps * size);
  if (args.failed) return NULL;
  if (!k_recurrent_sequence_forward(&p, projected, kernel, recurrent_bias, mask, h_history, c_history, gate_values, extra, output)) {
    fail(&args, "out of memory");
    return NULL;
  }
  END();
}

/* recurrentSequenceBackward(config, kernel, mask | null, gateValues, extra | null, hHistory, cHistory | null, dy,
 *                           dProjected, productGradients, dInitialH, dInitialC | null) */
static napi_value recurrent_sequence_backward(napi_env env, napi_callback_info info) {
  BEGIN("recurrentSequenceBackward", 12);
  rnn_sequence p;
  if (!read_rnn_sequence(&args, 0, &p)) return NULL;
  const size_t width = rnn_width(p.kind, p.units), size = p.batch * p.units, lstm = p.kind == RNN_LSTM;
  const size_t out_steps = p.steps + (lstm ? 2 : 1);
  float *kernel = f32(&args, 1, p.units * width), *mask = f32_or_null(&args, 2, p.batch * p.steps);
  float *gate_values = f32(&args, 3, p.steps * p.batch * width);
  float *extra = p.kind == RNN_SIMPLE ? NULL : f32(&args, 4, p.steps * size);
  float *h_history = f32(&args, 5, (p.steps + 1) * size), *c_history = lstm ? f32(&args, 6, (p.steps + 1) * size) : NULL;
  float *dy = f32(&args, 7, out_steps * size);
  float *d_projected = f32(&args, 8, p.batch * p.steps * width), *product_gradients = f32(&args, 9, p.steps * p.batch * width);
  float *d_initial_h = f32(&args, 10, size), *d_initial_c = lstm ? f32(&args, 11, size) : NULL;
  if (args.failed) return NULL;
  if (!k_recurrent_sequence_backward(&p, kernel, mask, gate_values, extra, h_history, c_history, dy, d_projected,
                                     product_gradients, d_initial_h, d_initial_c)) {
    fail(&args, "out of memory");
    return NULL;
  }
  END();
}

/* Checks that a window geometry describes images (no depth axis), as the depthwise kernels need. */
static int image_window(call_args *args, const stratum_window *g) {
  if (g->depth != 1 || g->window_d != 1 || g->out_d != 1 || g->pad_front != 0) return fail(args, "the depthwise kernels take images only, not volumes");
  return 1;
}

/* depthwiseConv(x, kernel, out, multiplier, geometry) */
static napi_value depthwise_conv(napi_env env, napi_callback_info info) {
  BEGIN("depthwiseConv", 5);
  stratum_window g;
  if (!window_arg(&args, 4, &g) || !image_window(&args, &g)) return NULL;
  const size_t multiplier = size_arg(&args, 3);
  const size_t kernel_sizes[] = {g.window_h, g.window_w, g.channels, multiplier};
  const size_t out_sizes[] = {g.batch, g.out_h, g.out_w, g.channels, multiplier};
  size_t image = image_elements(&args, &g), kernel_size = element_count(&args, 4, kernel_sizes), out_size = element_count(&args, 5, out_sizes);
  float *x = f32(&args, 0, image), *kernel = f32(&args, 1, kernel_size), *out = f32(&args, 2, out_size);
  if (args.failed) return NULL;
  if (multiplier == 0) {
    fail(&args, "multiplier must be at least 1");
    return NULL;
  }
  k_depthwise_conv(&g, multiplier, x, kernel, out);
  END();
}

/* depthwiseConvBackward(x, kernel, dy, dx or null, dKernel or null, multiplier, geometry) */
static napi_value depthwise_conv_backward(napi_env env, napi_callback_info info) {
  BEGIN("depthwiseConvBackward", 7);
  stratum_window g;
  if (!window_arg(&args, 6, &g) || !image_window(&args, &g)) return NULL;
  const size_t multiplier = size_arg(&args, 5);
  const size_t kernel_sizes[] = {g.window_h, g.window_w, g.channels, multiplier};
  const size_t out_sizes[] = {g.batch, g.out_h, g.out_w, g.channels, multiplier};
  size_t image = image_elements(&args, &g), kernel_size = element_count(&args, 4, kernel_sizes), out_size = element_count(&args, 5, out_sizes);
  float *x = f32(&args, 0, image), *kernel = f32(&args, 1, kernel_size), *dy = f32(&args, 2, out_size);
  float *dx = f32_or_null(&args, 3, image), *dkernel = f32_or_null(&args, 4, kernel_size);
  if (args.failed) return NULL;
  if (multiplier == 0) {
    fail(&args, "multiplier must be at least 1");
    return NULL;
  }
  k_depthwise_conv_backward(&g, multiplier, x, kernel, dy, dx, dkernel);
  END();
}

/* findNonFinite(x): index of the first NaN or infinite element of x, or -1. */
static napi_value find_non_finite(napi_env env, napi_callback_info info) {
  BEGIN("findNonFinite", 1);
  size_t n = length_of(&args, 0);
  float *x = f32(&args, 0, n);
  if (args.failed) return NULL;
  napi_value result;
  napi_create_double(env, (double)k_find_non_finite(x, n), &result);
  return result;
}

/*
 * Every exported function runs through this: the kernels flush subnormals
 * (see stratum_flush_subnormals), and the caller's mode is back before
 * JavaScript runs again, since JavaScript numbers must keep them.
 */
static napi_value with_subnormals_flushed(napi_env env, napi_callback_info info) {
  void *data = NULL;
  if (napi_get_cb_info(env, info, NULL, NULL, NULL, &data) != napi_ok || data == NULL) return NULL;
  napi_callback fn = (napi_callback)data;
  const unsigned mode = stratum_flush_subnormals();
  napi_value result = fn(env, info);
  stratum_restore_float_mode(mode);
  return result;
}

NAPI_MODULE_INIT() {
  const struct {
    const char *name;
    napi_callback fn;
  } functions[] = {
      {"matmul", matmul},
      {"unary", unary},
      {"unaryBackward", unary_backward},
      {"binary", binary},
      {"affine", affine},
      {"clip", clip},
      {"sum2d", sum2d},
      {"argmax", argmax},
      {"gatherRows", gather_rows},
      {"softmax", softmax},
      {"softmaxBackward", softmax_backward},
      {"denseForward", dense_forward},
      {"denseBackward", dense_backward},
      {"categoricalCrossentropy", categorical_crossentropy},
      {"sparseCategoricalCrossentropy", sparse_categorical_crossentropy},
      {"crossentropyBackward", crossentropy_backward},
      {"binaryCrossentropy", binary_crossentropy},
      {"binaryCrossentropyBackward", binary_crossentropy_backward},
      {"adamUpdate", adam_update},
      {"sgdUpdate", sgd_update},
      {"setThreads", set_threads},
      {"setIsaLimit", set_isa_limit},
      {"recurrentSequenceForward", recurrent_sequence_forward},
      {"recurrentSequenceBackward", recurrent_sequence_backward},
      {"info", info_fn},
      {"im2col", im2col},
      {"col2im", col2im},
      {"maxPool", max_pool},
      {"maxPoolBackward", max_pool_backward},
      {"avgPool", avg_pool},
      {"avgPoolBackward", avg_pool_backward},
      {"rmspropUpdate", rmsprop_update},
      {"adagradUpdate", adagrad_update},
      {"adadeltaUpdate", adadelta_update},
      {"adamaxUpdate", adamax_update},
      {"nadamUpdate", nadam_update},
      {"lionUpdate", lion_update},
      {"lambUpdate", lamb_update},
      {"ftrlUpdate", ftrl_update},
      {"adafactorUpdate", adafactor_update},
      {"emaUpdate", ema_update},
      {"squaredNorm", squared_norm},
      {"activation", activation},
      {"activationBackward", activation_backward},
      {"rowActivation", row_activation},
      {"rowActivationBackward", row_activation_backward},
      {"softmaxCrossentropy", softmax_crossentropy},
      {"softmaxCrossentropyBackward", softmax_crossentropy_backward},
      {"sigmoidCrossentropy", sigmoid_crossentropy},
      {"sigmoidCrossentropyBackward", sigmoid_crossentropy_backward},
      {"batchNormForward", batch_norm_forward},
      {"batchNormBackward", batch_norm_backward},
      {"layerNormForward", layer_norm_forward},
      {"layerNormBackward", layer_norm_backward},
      {"recurrentGatesForward", recurrent_gates_forward},
      {"recurrentGatesBackward", recurrent_gates_backward},
      {"depthwiseConv", depthwise_conv},
      {"depthwiseConvBackward", depthwise_conv_backward},
      {"findNonFinite", find_non_finite},
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    napi_value fn;
    napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, with_subnormals_flushed, (void *)functions[i].fn, &fn);
    napi_set_named_property(env, exports, functions[i].name, fn);
  }
  return exports;
}
