/*
 * Optimizer update kernels. The element-wise ones split large variables
 * into fixed chunks on the thread pool. Every element is updated on its
 * own, so the split never changes the bits. Lamb and Adafactor need norms
 * over the whole variable and run on the calling thread, summing in double
 * in index order, so their results do not depend on the thread count.
 */
#include "optimizers.h"

#include <math.h>

#include "threadpool.h"

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

/* Elements per task, and the size below which waking the pool costs more than it saves. */
#define OPT_CHUNK 65536
#define OPT_PARALLEL_MIN 262144

typedef void (*range_fn)(const void *args, size_t start, size_t end);

typedef struct {
  range_fn fn;
  const void *args;
  size_t n;
} range_job;

static void range_task(void *context, size_t task) {
  const range_job *job = context;
  const size_t start = task * OPT_CHUNK;
  const size_t end = start + OPT_CHUNK < job->n ? start + OPT_CHUNK : job->n;
  job->fn(job->args, start, end);
}

/* Runs fn over [0, n), on the pool when n is large. */
static void run_ranges(range_fn fn, const void *args, size_t n) {
  if (n < OPT_PARALLEL_MIN) {
    fn(args, 0, n);
    return;
  }
  range_job job = {fn, args, n};
  stratum_pool_run((n + OPT_CHUNK - 1) / OPT_CHUNK, range_task, &job);
}

/* ---- RMSprop ---- */

typedef struct {
  float *w, *v, *m, *avg;
  const float *g;
  float lr, rho, one_minus_rho, momentum, epsilon;
} rmsprop_args;

VECTOR_CLONES
static void rmsprop_range(const void *context, size_t start, size_t end) {
  const rmsprop_args *a = context;
  for (size_t i = start; i < end; i++) {
    const float g = a->g[i];
    const float v = a->rho * a->v[i] + a->one_minus_rho * g * g;
    a->v[i] = v;
    float denominator;
    if (a->avg != NULL) {
      const float average = a->rho * a->avg[i] + a->one_minus_rho * g;
      a->avg[i] = average;
      denominator = v - average * average + a->epsilon;
    } else {
      denominator = v + a->epsilon;
    }
    const float increment = a->lr * g / sqrtf(denominator);
    if (a->m != NULL) {
      const float m = a->momentum * a->m[i] + increment;
      a->m[i] = m;
      a->w[i] -= m;
    } else {
      a->w[i] -= increment;
    }
  }
}

void k_rmsprop_update(float *variable, const float *gradient, float *velocity, float *momentum, float *average_gradient,
                      size_t n, double learning_rate, double rho, double momentum_factor, double epsilon) {
  rmsprop_args args = {variable,          velocity,   momentum,        average_gradient, gradient,
                       (float)learning_rate, (float)rho, (float)(1.0 - rho), (float)momentum_factor, (float)epsilon};
  run_ranges(rmsprop_range, &args, n);
}

/* ---- Adagrad ---- */

typedef struct {
  float *w, *acc;
  const float *g;
  float lr, epsilon;
} adagrad_args;

VECTOR_CLONES
static void adagrad_range(const void *context, size_t start, size_t end) {
  const adagrad_args *a = context;
  for (size_t i = start; i < end; i++) {
    const float g = a->g[i];
    const float acc = a->acc[i] + g * g;
    a->acc[i] = acc;
    a->w[i] -= a->lr * g / sqrtf(acc + a->epsilon);
  }
}

void k_adagrad_update(float *variable, const float *gradient, float *accumulator, size_t n, double learning_rate,
                      double epsilon) {
  adagrad_args args = {variable, accumulator, gradient, (float)learning_rate, (float)epsilon};
  run_ranges(adagrad_range, &args, n);
}

/* ---- Adadelta ---- */

typedef struct {
  float *w, *grad_avg, *delta_avg;
  const float *g;
  float lr, rho, one_minus_rho, epsilon;
} adadelta_args;

VECTOR_CLONES
static void adadelta_range(const void *context, size_t start, size_t end) {
  const adadelta_args *a = context;
  for (size_t i = start; i < end; i++) {
    const float g = a->g[i];
    const float grad_avg = a->rho * a->grad_avg[i] + a->one_minus_rho * g * g;
    a->grad_avg[i] = grad_avg;
    const float delta = -(sqrtf(a->delta_avg[i] + a->epsilon) * g) / sqrtf(grad_avg + a->epsilon);
    a->delta_avg[i] = a->rho * a->delta_avg[i] + a->one_minus_rho * delta * delta;
    a->w[i] += a->lr * delta;
  }
}

void k_adadelta_update(float *variable, const float *gradient, float *accumulated_grad, float *accumulated_delta_var,
                       size_t n, double learning_rate, double rho, double epsilon) {
  adadelta_args args = {variable, accumulated_grad, accumulated_delta_var, gradient, (float)learning_rate, (float)rho,
                        (float)(1.0 - rho), (float)epsilon};
  run_ranges(adadelta_range, &args, n);
}

/* ---- Adamax ---- */

typedef struct {
  float *w, *m, *u;
  const float *g;
  float lr, one_minus_beta1, beta2, epsilon, correction;
} adamax_args;

VECTOR_CLONES
static void adamax_range(const void *context, size_t start, size_t end) {
  const adamax_args *a = context;
  for (size_t i = start; i < end; i++) {
    const float g = a->g[i];
    const float m = a->m[i] + (g - a->m[i]) * a->one_minus_beta1;
    const float decayed = a->beta2 * a->u[i];
    const float magnitude = fabsf(g);
    const float u = decayed > magnitude ? decayed : magnitude;
    a->m[i] = m;
    a->u[i] = u;
    a->w[i] -= a->lr * m / (a->correction * (u + a->epsilon));
  }
}

void k_adamax_update(float *variable, const float *gradient, float *momentum, float *norm, size_t n,
                     double learning_rate, double beta1, double beta2, double epsilon, double step) {
  const float correction = 1.0f - (float)pow((double)(float)beta1, step);
  adamax_args args = {variable, momentum, norm, gradient, (float)learning_rate, (float)(1.0 - beta1), (float)beta2,
                      (float)epsilon, correction};
  run_ranges(adamax_range, &args, n);
}

/* ---- Nadam ---- */

typedef struct {
  float *w, *m, *v;
  const float *g;
  float lr, one_minus_beta1, one_minus_beta2, epsilon, momentum_scale, gradient_scale, velocity_correction;
} nadam_args;

VECTOR_CLONES
static void nadam_range(const void *context, size_t start, size_t end) {
  const nadam_args *a = context;
  for (size_t i = start; i < end; i++) {
    const float g = a->g[i];
    const float m = a->m[i] + (g - a->m[i]) * a->one_minus_beta1;
    const float v = a->v[i] + (g * g - a->v[i]) * a->one_minus_beta2;
    a->m[i] = m;
    a->v[i] = v;
    const float m_hat = a->momentum_scale * m + a->gradient_scale * g;
    const float v_hat = v / a->velocity_correction;
    a->w[i] -= m_hat * a->lr / (sqrtf(v_hat) + a->epsilon);
  }
}

/* Keras's momentum schedule β1 · (1 − 0.5 · 0.96^t), one float32 operation at a time. */
static float nadam_momentum(float beta1, double step) {
  const float decay = (float)pow((double)0.96f, step);
  return beta1 * (1.0f - 0.5f * decay);
}

void k_nadam_update(float *variable, const float *gradient, float *momentum, float *velocity, size_t n,
                    double learning_rate, double beta1, double beta2, double epsilon, double step,
                    double momentum_product) {
  const float b1 = (float)beta1, b2 = (float)beta2;
  const float mu_now = nadam_momentum(b1, step), mu_next = nadam_momentum(b1, step + 1);
  const float product_now = (float)momentum_product;
  const float product_next = product_now * mu_next;
  nadam_args args = {variable,
                     momentum,
                     velocity,
                     gradient,
                     (float)learning_rate,
                     1.0f - b1,
                     1.0f - b2,
                     (float)epsilon,
                     mu_next / (1.0f - product_next),
                     (1.0f - mu_now) / (1.0f - product_now),
                     1.0f - (float)pow((double)b2, step)};
  run_ranges(nadam_range, &args, n);
}

/* ---- Lion ---- */

typedef struct {
  float *w, *m;
  const float *g;
  float lr, beta1, one_minus_beta1, beta2, one_minus_beta2;
} lion_args;

VECTOR_CLONES
static void lion_range(const void *context, size_t start, size_t end) {
  const lion_args *a = context;
  for (size_t i = start; i < end; i++) {
    const float g = a->g[i];
    const float m = a->m[i];
    const float direction = m * a->beta1 + g * a->one_minus_beta1;
    const float sign = direction > 0.0f ? 1.0f : (direction < 0.0f ? -1.0f : direction);
    a->w[i] -= a->lr * sign;
    a->m[i] = m * a->beta2 + g * a->one_minus_beta2;
  }
}

void k_lion_update(float *variable, const float *gradient, float *momentum, size_t n, double learning_rate,
                   double beta1, double beta2) {
  const float b1 = (float)beta1, b2 = (float)beta2;
  lion_args args = {variable, momentum, gradient, (float)learning_rate, b1, 1.0f - b1, b2, 1.0f - b2};
  run_ranges(lion_range, &args, n);
}

/* ---- Lamb ---- */

void k_lamb_update(float *variable, const float *gradient, float *momentum, float *velocity, size_t n,
                   double learning_rate, double beta1, double beta2, double epsilon, double step) {
  const float momentum_correction = 1.0f - (float)pow((double)(float)beta1, step);
  const float velocity_correction = 1.0f - (float)pow((double)(float)beta2, step);
  const float one_minus_beta1 = (float)(1.0 - beta1), one_minus_beta2 = (float)(1.0 - beta2);
  const float eps = (float)epsilon;
  double weight_squares = 0, update_squares = 0;
  for (size_t i = 0; i < n; i++) {
    const float g = gradient[i];
    const float m = momentum[i] + (g - momentum[i]) * one_minus_beta1;
    const float v = velocity[i] + (g * g - velocity[i]) * one_minus_beta2;
    momentum[i] = m;
    velocity[i] = v;
    const double update = (double)m / momentum_correction / (sqrt((double)v / velocity_correction) + eps);
    weight_squares += (double)variable[i] * variable[i];
    update_squares += update * update;
  }
  const double weight_norm = sqrt(weight_squares), update_norm = sqrt(update_squares);
  const double ratio = weight_norm > 0 && update_norm > 0 ? weight_norm / update_norm : 1.0;
  const double scale = ratio * (float)learning_rate;
  for (size_t i = 0; i < n; i++) {
    const double update = (double)momentum[i] / momentum_correction / (sqrt((double)velocity[i] / velocity_correction) + eps);
    variable[i] = (float)(variable[i] - scale * update);
  }
}

/* ---- Ftrl ---- */

typedef struct {
  float *w, *acc, *lin;
  const float *g;
  double lr, power, l1, l2, l2_shrinkage;
} ftrl_args;

static void ftrl_range(const void *context, size_t start, size_t end) {
  const ftrl_args *a = context;
  for (size_t i = start; i < end; i++) {
    /* Double precision, because the step is a small difference of two powers. */
    const double g = a->g[i], w = a->w[i];
    const double shrunk = g + 2 * a->l2_shrinkage * w;
    const double previous = a->acc[i];
    const float next = (float)(previous + g * g);
    const double next_power = pow((double)next, a->power);
    const float linear = (float)(a->lin[i] + (shrunk - (next_power - pow(previous, a->power)) / a->lr * w));
    a->lin[i] = linear;
    const double quadratic = next_power / a->lr + 2 * a->l2;
    const double clipped = linear < -a->l1 ? -a->l1 : (linear > a->l1 ? a->l1 : (double)linear);
    a->w[i] = (float)((clipped - linear) / quadratic);
    a->acc[i] = next;
  }
}

void k_ftrl_update(float *variable, const float *gradient, float *accumulator, float *linear, size_t n,
                   double learning_rate, double learning_rate_power, double l1, double l2, double l2_shrinkage) {
  ftrl_args args = {variable, accumulator, linear, gradient, learning_rate, -learning_rate_power, l1, l2, l2_shrinkage};
  run_ranges(ftrl_range, &args, n);
}

/* ---- Adafactor ---- */

void k_adafactor_update(float *variable, const float *gradient, float *velocity, float *row_factor,
                        float *column_factor, size_t n, size_t batch, size_t rows, size_t cols, double relative_step,
                        double beta2, double epsilon1, double epsilon2, double clip_threshold) {
  if (n == 0) return;
  const double weight_rms = sqrt(k_squared_norm(variable, n) / (double)n);
  const double alpha = (weight_rms > epsilon2 ? weight_rms : epsilon2) * relative_step;
  const double one_minus_beta2 = 1.0 - beta2;
  if (row_factor != NULL && column_factor != NULL) {
    for (size_t b = 0; b < batch; b++) {
      const float *grad = gradient + b * rows * cols;
      float *r = row_factor + b * rows, *c = column_factor + b * cols, *v = velocity + b * rows * cols;
      for (size_t i = 0; i < rows; i++) {
        double total = 0;
        for (size_t j = 0; j < cols; j++) total += (double)grad[i * cols + j] * grad[i * cols + j] + epsilon1;
        r[i] = (float)(beta2 * r[i] + one_minus_beta2 * (total / (double)cols));
      }
      for (size_t j = 0; j < cols; j++) {
        double total = 0;
        for (size_t i = 0; i < rows; i++) total += (double)grad[i * cols + j] * grad[i * cols + j] + epsilon1;
        c[j] = (float)(beta2 * c[j] + one_minus_beta2 * (total / (double)rows));
      }
      double row_total = 0;
      for (size_t i = 0; i < rows; i++) row_total += r[i];
      const double row_mean = row_total / (double)rows;
      for (size_t i = 0; i < rows; i++) {
        const double row_scale = r[i] / row_mean;
        for (size_t j = 0; j < cols; j++) v[i * cols + j] = (float)(row_scale * c[j]);
      }
    }
  } else {
    for (size_t i = 0; i < n; i++) {
      const double g = gradient[i];
      velocity[i] = (float)(beta2 * velocity[i] + one_minus_beta2 * (g * g + epsilon1));
    }
  }
  double update_squares = 0;
  for (size_t i = 0; i < n; i++) {
    const double u = gradient[i] / sqrt((double)velocity[i]);
    update_squares += u * u;
  }
  const double update_rms = sqrt(update_squares / (double)n);
  const double ratio = update_rms / clip_threshold;
  const double scale = alpha / (ratio > 1.0 ? ratio : 1.0);
  for (size_t i = 0; i < n; i++) variable[i] = (float)(variable[i] - scale * (gradient[i] / sqrt((double)velocity[i])));
}

/* ---- Moving average and norm ---- */

typedef struct {
  float *average;
  const float *w;
  float momentum, rest;
} ema_args;

VECTOR_CLONES
static void ema_range(const void *context, size_t start, size_t end) {
  const ema_args *a = context;
  for (size_t i = start; i < end; i++) a->average[i] = a->momentum * a->average[i] + a->rest * a->w[i];
}

void k_ema_update(float *average, const float *variable, size_t n, double momentum) {
  ema_args args = {average, variable, (float)momentum, (float)(1.0 - momentum)};
  run_ranges(ema_range, &args, n);
}

double k_squared_norm(const float *x, size_t n) {
  double total = 0;
  for (size_t i = 0; i < n; i++) total += (double)x[i] * x[i];
  return total;
}
