/*
 * Gates of one recurrent step, after the step's recurrent matmul. The
 * TypeScript backend's src/backend/typescript/recurrent.ts is the reference
 * these kernels follow line by line. Gates sit side by side in each row:
 * LSTM i, f, c, o and GRU z, r, h.
 */
#include "recurrent.h"

#include <math.h>
#include <stdint.h>

#include "gemm.h"

static inline float activate(int activation, float x) {
  switch (activation) {
    case STRATUM_ACT_RELU:
      return x > 0.0f ? x : 0.0f;
    case STRATUM_ACT_SIGMOID:
      if (x >= 0) return 1.0f / (1.0f + expf(-x));
      {
        float e = expf(x);
        return e / (1.0f + e);
      }
    case STRATUM_ACT_TANH:
      return tanhf(x);
    default:
      return x;
  }
}

/* The activation's derivative, written in terms of its output y. */
static inline float derivative(int activation, float y) {
  switch (activation) {
    case STRATUM_ACT_RELU:
      return y > 0.0f ? 1.0f : 0.0f;
    case STRATUM_ACT_SIGMOID:
      return y * (1.0f - y);
    case STRATUM_ACT_TANH:
      return 1.0f - y * y;
    default:
      return 1.0f;
  }
}

static size_t gate_count(int kind) { return kind == RNN_LSTM ? 4 : (kind == RNN_GRU ? 3 : 1); }

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && !defined(__clang__)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

/*
 * exp(x) in float32 without a library call and without branches. x = n·ln 2 + r with
 * |r| <= ln 2 / 2 (ln 2 split in two parts so that n·ln 2 stays exact), then
 * exp(r) from its Taylor series to r^7 / 7!, whose truncation error is below
 * 6e-9, and 2^n from the exponent bits. Inputs are clamped to the range
 * where the result is a normal float.
 */
static inline float exp_branchless(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  const float n = floorf(x * 1.44269504088896341f + 0.5f);
  const float r = (x - n * 0.693145751953125f) - n * 1.428606765330187e-06f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  union {
    int32_t bits;
    float value;
  } scale;
  scale.bits = ((int32_t)n + 127) << 23;
  return p * scale.value;
}

static inline float sigmoid_branchless(float x) { return 1.0f / (1.0f + exp_branchless(-x)); }

/*
 * tanh(x) = sign(x)·(1 − 2 / (exp(2|x|) + 1)); below |x| = 1/16, where that
 * form loses digits to cancellation, the Taylor series to x^7 (error below
 * 1e-11) is used instead.
 */
static inline float tanh_branchless(float x) {
  const float a = fabsf(x);
  const float large = 1.0f - 2.0f / (exp_branchless(2.0f * a) + 1.0f);
  const float x2 = x * x;
  const float small = x * (1.0f + x2 * (-1.0f / 3.0f + x2 * (2.0f / 15.0f + x2 * (-17.0f / 315.0f))));
  const float signed_large = x < 0.0f ? -large : large;
  return a < 0.0625f ? small : signed_large;
}

/*
 * The LSTM gates with Keras's default activations (tanh, and sigmoid for the
 * gates) for one batch row, as one branch-free loop.
 * NOTE: GCC 12 does not vectorize this loop yet (it reports no vector type
 * for the loads), so each clone runs it one element at a time.
 */
VECTOR_CLONES
static void lstm_row_default(size_t units, const float *restrict x, const float *restrict rec, const float *restrict c_prev,
                             float *restrict gates, float *restrict extra, float *restrict c_new, float *restrict h_new) {
  for (size_t j = 0; j < units; j++) {
    const float i = sigmoid_branchless(x[j] + rec[j]);
    const float f = sigmoid_branchless(x[units + j] + rec[units + j]);
    const float g = tanh_branchless(x[2 * units + j] + rec[2 * units + j]);
    const float o = sigmoid_branchless(x[3 * units + j] + rec[3 * units + j]);
    const float c = f * c_prev[j] + i * g;
    const float ac = tanh_branchless(c);
    gates[j] = i;
    gates[units + j] = f;
    gates[2 * units + j] = g;
    gates[3 * units + j] = o;
    extra[j] = ac;
    c_new[j] = c;
    h_new[j] = o * ac;
  }
}

void k_recurrent_gates_forward(const rnn_step *p, const float *projected, const float *products, const float *recurrent_bias,
                               const float *mask, const float *h_prev, const float *c_prev, float *gate_values, float *extra,
                               float *h_new, float *c_new, float *output) {
  const size_t units = p->units, width = gate_count(p->kind) * units;
  const int act = p->activation, gate_act = p->recurrent_activation;
  const int fast_lstm = p->kind == RNN_LSTM && act == STRATUM_ACT_TANH && gate_act == STRATUM_ACT_SIGMOID;
  for (size_t b = 0; b < p->batch; b++) {
    const float *x = projected + (b * p->steps + p->step) * width;
    const float *rec = products + b * width;
    float *gates = gate_values + b * width;
    const int unmasked = mask == NULL || mask[b * p->steps + p->step] != 0.0f;
    if (fast_lstm) {
      const size_t row = b * units;
      lstm_row_default(units, x, rec, c_prev + row, gates, extra + row, c_new + row, h_new + row);
      for (size_t j = 0; j < units; j++) {
        const size_t bj = row + j;
        if (unmasked) {
          output[bj] = h_new[bj];
        } else {
          h_new[bj] = h_prev[bj];
          c_new[bj] = c_prev[bj];
          output[bj] = p->zero_output ? 0.0f : h_prev[bj];
        }
      }
      continue;
    }
    for (size_t j = 0; j < units; j++) {
      const size_t bj = b * units + j;
      if (p->kind == RNN_SIMPLE) {
        float y = activate(act, x[j] + rec[j]);
        gates[j] = y;
        h_new[bj] = y;
      } else if (p->kind == RNN_LSTM) {
        float i = activate(gate_act, x[j] + rec[j]);
        float f = activate(gate_act, x[units + j] + rec[units + j]);
        float g = activate(act, x[2 * units + j] + rec[2 * units + j]);
        float o = activate(gate_act, x[3 * units + j] + rec[3 * units + j]);
        float c = f * c_prev[bj] + i * g;
        float ac = activate(act, c);
        gates[j] = i;
        gates[units + j] = f;
        gates[2 * units + j] = g;
        gates[3 * units + j] = o;
        extra[bj] = ac;
        c_new[bj] = c;
        h_new[bj] = o * ac;
      } else {
        float inner_z = rec[j] + (recurrent_bias ? recurrent_bias[j] : 0.0f);
        float inner_r = rec[units + j] + (recurrent_bias ? recurrent_bias[units + j] : 0.0f);
        float inner_h = rec[2 * units + j] + (recurrent_bias ? recurrent_bias[2 * units + j] : 0.0f);
        float z = activate(gate_act, x[j] + inner_z);
        float r = activate(gate_act, x[units + j] + inner_r);
        float hh = activate(act, x[2 * units + j] + r * inner_h);
        gates[j] = z;
        gates[units + j] = r;
        gates[2 * units + j] = hh;
        extra[bj] = inner_h;
        h_new[bj] = z * h_prev[bj] + (1.0f - z) * hh;
      }
      if (unmasked) {
        output[bj] = h_new[bj];
      } else {
        h_new[bj] = h_prev[bj];
        if (c_new) c_new[bj] = c_prev[bj];
        output[bj] = p->zero_output ? 0.0f : h_prev[bj];
      }
    }
  }
}

void k_recurrent_gates_backward(const rnn_step *p, const float *mask, const float *gate_values, const float *extra,
                                const float *h_prev, const float *c_prev, const float *d_output, const float *d_h,
                                const float *d_c, float *d_projected, float *product_gradients, float *d_h_prev,
                                float *d_c_prev) {
  const size_t units = p->units, gates_per_row = gate_count(p->kind), width = gates_per_row * units;
  const int act = p->activation, gate_act = p->recurrent_activation;
  for (size_t b = 0; b < p->batch; b++) {
    float *dx = d_projected + (b * p->steps + p->step) * width;
    float *dp = product_gradients + b * width;
    const float *gates = gate_values + b * width;
    const int unmasked = mask == NULL || mask[b * p->steps + p->step] != 0.0f;
    for (size_t j = 0; j < units; j++) {
      const size_t bj = b * units + j;
      if (!unmasked) {
        d_h_prev[bj] = d_h[bj] + (p->zero_output ? 0.0f : d_output[bj]);
        if (d_c_prev) d_c_prev[bj] = d_c[bj];
        for (size_t g = 0; g < gates_per_row; g++) {
          dx[g * units + j] = 0.0f;
          dp[g * units + j] = 0.0f;
        }
        continue;
      }
      const float dh = d_h[bj] + d_output[bj];
      if (p->kind == RNN_SIMPLE) {
        float da = dh * derivative(act, gates[j]);
        dx[j] = da;
        dp[j] = da;
        d_h_prev[bj] = 0.0f;
      } else if (p->kind == RNN_LSTM) {
        float i = gates[j], f = gates[units + j], g = gates[2 * units + j], o = gates[3 * units + j];
        float ac = extra[bj];
        float dc = d_c[bj] + dh * o * derivative(act, ac);
        float d_i = dc * g * derivative(gate_act, i);
        float d_f = dc * c_prev[bj] * derivative(gate_act, f);
        float d_g = dc * i * derivative(act, g);
        float d_o = dh * ac * derivative(gate_act, o);
        dx[j] = d_i;
        dx[units + j] = d_f;
        dx[2 * units + j] = d_g;
        dx[3 * units + j] = d_o;
        dp[j] = d_i;
        dp[units + j] = d_f;
        dp[2 * units + j] = d_g;
        dp[3 * units + j] = d_o;
        d_c_prev[bj] = dc * f;
        d_h_prev[bj] = 0.0f;
      } else {
        float z = gates[j], r = gates[units + j], hh = gates[2 * units + j];
        float d_pre_z = dh * (h_prev[bj] - hh) * derivative(gate_act, z);
        float d_pre_h = dh * (1.0f - z) * derivative(act, hh);
        float d_pre_r = d_pre_h * extra[bj] * derivative(gate_act, r);
        dx[j] = d_pre_z;
        dx[units + j] = d_pre_r;
        dx[2 * units + j] = d_pre_h;
        dp[j] = d_pre_z;
        dp[units + j] = d_pre_r;
        dp[2 * units + j] = d_pre_h * r;
        d_h_prev[bj] = dh * z;
      }
    }
  }
}
