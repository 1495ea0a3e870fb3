/*
 * Float32 batch and layer normalization. Statistics and sums are
 * accumulated in double, in the same order as the TypeScript reference
 * kernels (src/backend/typescript/normalization.ts), on one thread.
 */
#include "normalization.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Keras's fuzz factor, added to the weight total of masked statistics. */
#define WEIGHT_EPSILON 1e-7

typedef struct {
  double *mean;
  double *variance;
  double *count;
  double *residual;
} moments;

/* Per-channel weighted mean, biased variance, weight total and residual Σw(x − mean) / count, in two passes. */
static int channel_moments(const float *x, size_t outer, size_t channels, size_t inner, const float *weights,
                           moments *result) {
  double *buffer = calloc(6 * (channels > 0 ? channels : 1), sizeof(double));
  if (!buffer) return 0;
  result->mean = buffer;
  result->variance = buffer + channels;
  result->count = buffer + 2 * channels;
  result->residual = buffer + 3 * channels;
  double *sums = buffer + 4 * channels;
  double *deviations = buffer + 5 * channels;
  size_t index = 0;
  for (size_t o = 0; o < outer; o++) {
    for (size_t c = 0; c < channels; c++) {
      double sum = 0, weight = 0;
      for (size_t i = 0; i < inner; i++, index++) {
        double w = weights ? weights[index] : 1.0;
        sum += w * x[index];
        weight += w;
      }
      sums[c] += sum;
      result->count[c] += weight;
    }
  }
  for (size_t c = 0; c < channels; c++) {
    if (weights) result->count[c] += WEIGHT_EPSILON;
    result->mean[c] = sums[c] / result->count[c];
    sums[c] = 0;
  }
  index = 0;
  for (size_t o = 0; o < outer; o++) {
    for (size_t c = 0; c < channels; c++) {
      double m = result->mean[c], square = 0, deviation = 0;
      for (size_t i = 0; i < inner; i++, index++) {
        double w = weights ? weights[index] : 1.0;
        double d = x[index] - m;
        square += w * d * d;
        deviation += w * d;
      }
      sums[c] += square;
      deviations[c] += deviation;
    }
  }
  for (size_t c = 0; c < channels; c++) {
    result->variance[c] = sums[c] / result->count[c];
    result->residual[c] = weights ? deviations[c] / result->count[c] : 0.0;
  }
  return 1;
}

int k_batch_norm_forward(const float *x, size_t outer, size_t channels, size_t inner, const float *weights,
                          const float *gamma, const float *beta, float *mean, float *variance, int training,
                          double epsilon, float *out) {
  moments stats = {0};
  double *scale = malloc(2 * (channels > 0 ? channels : 1) * sizeof(double));
  if (!scale) return 0;
  double *shift = scale + channels;
  if (training && !channel_moments(x, outer, channels, inner, weights, &stats)) {
    free(scale);
    return 0;
  }
  for (size_t c = 0; c < channels; c++) {
    double m = training ? stats.mean[c] : mean[c];
    double v = training ? stats.variance[c] : variance[c];
    if (training) {
      mean[c] = (float)m;
      variance[c] = (float)v;
    }
    scale[c] = (gamma ? gamma[c] : 1.0) / sqrt(v + epsilon);
    shift[c] = (beta ? beta[c] : 0.0) - m * scale[c];
  }
  size_t index = 0;
  for (size_t o = 0; o < outer; o++) {
    for (size_t c = 0; c < channels; c++) {
      double s = scale[c], t = shift[c];
      for (size_t i = 0; i < inner; i++, index++) out[index] = (float)(x[index] * s + t);
    }
  }
  free(stats.mean);
  free(scale);
  return 1;
}

int k_batch_norm_backward(const float *x, size_t outer, size_t channels, size_t inner, const float *weights,
                           const float *gamma, const float *mean, const float *variance, int training, double epsilon,
                           const float *dy, float *dx, float *d_gamma, float *d_beta) {
  moments stats = {0};
  if (training && !channel_moments(x, outer, channels, inner, weights, &stats)) return 0;
  double *buffer = calloc(4 * (channels > 0 ? channels : 1), sizeof(double));
  if (!buffer) {
    free(stats.mean);
    return 0;
  }
  double *means = buffer, *inv_std = buffer + channels, *sum_dy = buffer + 2 * channels;
  double *sum_dy_xhat = buffer + 3 * channels;
  for (size_t c = 0; c < channels; c++) {
    means[c] = training ? stats.mean[c] : mean[c];
    inv_std[c] = 1.0 / sqrt((training ? stats.variance[c] : variance[c]) + epsilon);
  }
  size_t index = 0;
  for (size_t o = 0; o < outer; o++) {
    for (size_t c = 0; c < channels; c++) {
      double m = means[c], s = inv_std[c], a = 0, b = 0;
      for (size_t i = 0; i < inner; i++, index++) {
        double g = dy[index];
        a += g;
        b += g * (x[index] - m) * s;
      }
      sum_dy[c] += a;
      sum_dy_xhat[c] += b;
    }
  }
  if (d_gamma)
    for (size_t c = 0; c < channels; c++) d_gamma[c] = (float)sum_dy_xhat[c];
  if (d_beta)
    for (size_t c = 0; c < channels; c++) d_beta[c] = (float)sum_dy[c];
  if (dx) {
    index = 0;
    for (size_t o = 0; o < outer; o++) {
      for (size_t c = 0; c < channels; c++) {
        double m = means[c], s = inv_std[c];
        double scale = (gamma ? gamma[c] : 1.0) * s;
        if (!training) {
          for (size_t i = 0; i < inner; i++, index++) dx[index] = (float)(dy[index] * scale);
          continue;
        }
        double per_weight = 1.0 / stats.count[c];
        double shifted_residual = s * stats.residual[c];
        for (size_t i = 0; i < inner; i++, index++) {
          double w = weights ? weights[index] : 1.0;
          double xhat = (x[index] - m) * s;
          dx[index] = (float)(scale * (dy[index] - w * per_weight * (sum_dy[c] + sum_dy_xhat[c] * (xhat - shifted_residual))));
        }
      }
    }
  }
  free(buffer);
  free(stats.mean);
  return 1;
}

void k_layer_norm_forward(const float *x, size_t rows, size_t cols, const float *gamma, const float *beta,
                          double epsilon, int rms_scaling, float *out, float *mean, float *inv_std) {
  for (size_t r = 0; r < rows; r++) {
    const float *row = x + r * cols;
    float *out_row = out + r * cols;
    double sum = 0;
    for (size_t j = 0; j < cols; j++) sum += row[j];
    double m = sum / (double)cols;
    double squares = 0;
    for (size_t j = 0; j < cols; j++) {
      double d = row[j] - m;
      squares += d * d;
    }
    double s = 1.0 / sqrt(squares / (double)cols + epsilon);
    mean[r] = (float)m;
    inv_std[r] = (float)s;
    double center = rms_scaling ? 0.0 : m;
    for (size_t j = 0; j < cols; j++) {
      double normalized = (row[j] - center) * s;
      out_row[j] = (float)(normalized * (gamma ? gamma[j] : 1.0) + (beta ? beta[j] : 0.0));
    }
  }
}

int k_layer_norm_backward(const float *x, size_t rows, size_t cols, const float *gamma, const float *mean,
                           const float *inv_std, int rms_scaling, const float *dy, float *dx, float *d_gamma,
                           float *d_beta) {
  double *sums = NULL;
  if (d_gamma || d_beta) {
    sums = calloc(2 * (cols > 0 ? cols : 1), sizeof(double));
    if (!sums) return 0;
  }
  double *gamma_sums = sums, *beta_sums = sums ? sums + cols : NULL;
  for (size_t r = 0; r < rows; r++) {
    const float *row = x + r * cols, *dy_row = dy + r * cols;
    double m = mean[r], s = inv_std[r];
    double center = rms_scaling ? 0.0 : m;
    double sum_g = 0, sum_gx = 0;
    for (size_t j = 0; j < cols; j++) {
      double g = dy_row[j] * (gamma ? gamma[j] : 1.0);
      double xhat = (row[j] - center) * s;
      sum_g += g;
      sum_gx += rms_scaling ? g * row[j] : g * xhat;
      if (d_gamma) gamma_sums[j] += dy_row[j] * xhat;
      if (d_beta) beta_sums[j] += dy_row[j];
    }
    if (!dx) continue;
    float *dx_row = dx + r * cols;
    for (size_t j = 0; j < cols; j++) {
      double g = dy_row[j] * (gamma ? gamma[j] : 1.0);
      if (rms_scaling) {
        dx_row[j] = (float)(s * g - s * s * s * (row[j] - m) * (sum_gx / (double)cols));
      } else {
        double xhat = (row[j] - m) * s;
        dx_row[j] = (float)(s * (g - sum_g / (double)cols - xhat * (sum_gx / (double)cols)));
      }
    }
  }
  if (d_gamma)
    for (size_t j = 0; j < cols; j++) d_gamma[j] = (float)gamma_sums[j];
  if (d_beta)
    for (size_t j = 0; j < cols; j++) d_beta[j] = (float)beta_sums[j];
  free(sums);
  return 1;
}
