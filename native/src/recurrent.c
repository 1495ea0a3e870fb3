/*
 * Gates of one recurrent step, after the step's recurrent matmul. The
 * TypeScript backend's src/backend/typescript/recurrent.ts is the reference
 * these kernels follow line by line. Gates sit side by side in each row:
 * LSTM i, f, c, o and GRU z, r, h.
 */
#include "recurrent.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "gemm.h"
#include "threadpool.h"

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
 * gates) for elements [from, units) of one batch row, one element at a time.
 * The vector versions below run the same operations in the same order, so
 * every element gets the same bits whichever version computes it.
 */
static void lstm_row_default_scalar(size_t from, size_t units, const float *restrict x, const float *restrict rec,
                                    const float *restrict c_prev, float *restrict gates, float *restrict extra,
                                    float *restrict c_new, float *restrict h_new) {
  for (size_t j = from; j < units; j++) {
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

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX512_TARGET __attribute__((target("avx512f")))
#define AVX2_TARGET __attribute__((target("avx2")))

/* exp_branchless on 16 lanes. max(lo, x) and min(hi, x) return x when it is NaN, as the scalar clamp does. */
AVX512_TARGET static inline __m512 exp_avx512(__m512 x) {
  x = _mm512_min_ps(_mm512_set1_ps(88.0f), _mm512_max_ps(_mm512_set1_ps(-87.0f), x));
  const __m512 scaled = _mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _mm512_set1_ps(0.5f));
  const __m512 n = _mm512_roundscale_ps(scaled, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  const __m512 r = _mm512_sub_ps(_mm512_sub_ps(x, _mm512_mul_ps(n, _mm512_set1_ps(0.693145751953125f))),
                                 _mm512_mul_ps(n, _mm512_set1_ps(1.428606765330187e-06f)));
  __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f / 720.0f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f / 120.0f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f / 24.0f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f / 6.0f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(0.5f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f));
  const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvttps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
}

AVX512_TARGET static inline __m512 negate_avx512(__m512 x) {
  return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int32_t)0x80000000u)));
}

AVX512_TARGET static inline __m512 sigmoid_avx512(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  return _mm512_div_ps(one, _mm512_add_ps(one, exp_avx512(negate_avx512(x))));
}

AVX512_TARGET static inline __m512 tanh_avx512(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 a = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff)));
  const __m512 e = exp_avx512(_mm512_mul_ps(_mm512_set1_ps(2.0f), a));
  const __m512 large = _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, one)));
  const __m512 x2 = _mm512_mul_ps(x, x);
  __m512 q = _mm512_mul_ps(x2, _mm512_set1_ps(-17.0f / 315.0f));
  q = _mm512_mul_ps(x2, _mm512_add_ps(_mm512_set1_ps(2.0f / 15.0f), q));
  q = _mm512_mul_ps(x2, _mm512_add_ps(_mm512_set1_ps(-1.0f / 3.0f), q));
  const __m512 small = _mm512_mul_ps(x, _mm512_add_ps(one, q));
  const __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  const __m512 signed_large = _mm512_mask_blend_ps(negative, large, negate_avx512(large));
  const __mmask16 near_zero = _mm512_cmp_ps_mask(a, _mm512_set1_ps(0.0625f), _CMP_LT_OQ);
  return _mm512_mask_blend_ps(near_zero, signed_large, small);
}

AVX512_TARGET static void lstm_row_default_avx512(size_t units, const float *restrict x, const float *restrict rec,
                                                  const float *restrict c_prev, float *restrict gates, float *restrict extra,
                                                  float *restrict c_new, float *restrict h_new) {
  size_t j = 0;
  for (; j + 16 <= units; j += 16) {
    const __m512 i = sigmoid_avx512(_mm512_add_ps(_mm512_loadu_ps(x + j), _mm512_loadu_ps(rec + j)));
    const __m512 f = sigmoid_avx512(_mm512_add_ps(_mm512_loadu_ps(x + units + j), _mm512_loadu_ps(rec + units + j)));
    const __m512 g = tanh_avx512(_mm512_add_ps(_mm512_loadu_ps(x + 2 * units + j), _mm512_loadu_ps(rec + 2 * units + j)));
    const __m512 o = sigmoid_avx512(_mm512_add_ps(_mm512_loadu_ps(x + 3 * units + j), _mm512_loadu_ps(rec + 3 * units + j)));
    const __m512 c = _mm512_add_ps(_mm512_mul_ps(f, _mm512_loadu_ps(c_prev + j)), _mm512_mul_ps(i, g));
    const __m512 ac = tanh_avx512(c);
    _mm512_storeu_ps(gates + j, i);
    _mm512_storeu_ps(gates + units + j, f);
    _mm512_storeu_ps(gates + 2 * units + j, g);
    _mm512_storeu_ps(gates + 3 * units + j, o);
    _mm512_storeu_ps(extra + j, ac);
    _mm512_storeu_ps(c_new + j, c);
    _mm512_storeu_ps(h_new + j, _mm512_mul_ps(o, ac));
  }
  lstm_row_default_scalar(j, units, x, rec, c_prev, gates, extra, c_new, h_new);
}

/* The same functions on 8 lanes. */
AVX2_TARGET static inline __m256 exp_avx2(__m256 x) {
  x = _mm256_min_ps(_mm256_set1_ps(88.0f), _mm256_max_ps(_mm256_set1_ps(-87.0f), x));
  const __m256 scaled = _mm256_add_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _mm256_set1_ps(0.5f));
  const __m256 n = _mm256_round_ps(scaled, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  const __m256 r = _mm256_sub_ps(_mm256_sub_ps(x, _mm256_mul_ps(n, _mm256_set1_ps(0.693145751953125f))),
                                 _mm256_mul_ps(n, _mm256_set1_ps(1.428606765330187e-06f)));
  __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f / 720.0f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(0.5f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

AVX2_TARGET static inline __m256 negate_avx2(__m256 x) { return _mm256_xor_ps(x, _mm256_set1_ps(-0.0f)); }

AVX2_TARGET static inline __m256 sigmoid_avx2(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_div_ps(one, _mm256_add_ps(one, exp_avx2(negate_avx2(x))));
}

AVX2_TARGET static inline __m256 tanh_avx2(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  const __m256 e = exp_avx2(_mm256_mul_ps(_mm256_set1_ps(2.0f), a));
  const __m256 large = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
  const __m256 x2 = _mm256_mul_ps(x, x);
  __m256 q = _mm256_mul_ps(x2, _mm256_set1_ps(-17.0f / 315.0f));
  q = _mm256_mul_ps(x2, _mm256_add_ps(_mm256_set1_ps(2.0f / 15.0f), q));
  q = _mm256_mul_ps(x2, _mm256_add_ps(_mm256_set1_ps(-1.0f / 3.0f), q));
  const __m256 small = _mm256_mul_ps(x, _mm256_add_ps(one, q));
  const __m256 negative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
  const __m256 signed_large = _mm256_blendv_ps(large, negate_avx2(large), negative);
  const __m256 near_zero = _mm256_cmp_ps(a, _mm256_set1_ps(0.0625f), _CMP_LT_OQ);
  return _mm256_blendv_ps(signed_large, small, near_zero);
}

AVX2_TARGET static void lstm_row_default_avx2(size_t units, const float *restrict x, const float *restrict rec,
                                              const float *restrict c_prev, float *restrict gates, float *restrict extra,
                                              float *restrict c_new, float *restrict h_new) {
  size_t j = 0;
  for (; j + 8 <= units; j += 8) {
    const __m256 i = sigmoid_avx2(_mm256_add_ps(_mm256_loadu_ps(x + j), _mm256_loadu_ps(rec + j)));
    const __m256 f = sigmoid_avx2(_mm256_add_ps(_mm256_loadu_ps(x + units + j), _mm256_loadu_ps(rec + units + j)));
    const __m256 g = tanh_avx2(_mm256_add_ps(_mm256_loadu_ps(x + 2 * units + j), _mm256_loadu_ps(rec + 2 * units + j)));
    const __m256 o = sigmoid_avx2(_mm256_add_ps(_mm256_loadu_ps(x + 3 * units + j), _mm256_loadu_ps(rec + 3 * units + j)));
    const __m256 c = _mm256_add_ps(_mm256_mul_ps(f, _mm256_loadu_ps(c_prev + j)), _mm256_mul_ps(i, g));
    const __m256 ac = tanh_avx2(c);
    _mm256_storeu_ps(gates + j, i);
    _mm256_storeu_ps(gates + units + j, f);
    _mm256_storeu_ps(gates + 2 * units + j, g);
    _mm256_storeu_ps(gates + 3 * units + j, o);
    _mm256_storeu_ps(extra + j, ac);
    _mm256_storeu_ps(c_new + j, c);
    _mm256_storeu_ps(h_new + j, _mm256_mul_ps(o, ac));
  }
  lstm_row_default_scalar(j, units, x, rec, c_prev, gates, extra, c_new, h_new);
}
#endif

static void lstm_row_default(size_t units, const float *restrict x, const float *restrict rec, const float *restrict c_prev,
                             float *restrict gates, float *restrict extra, float *restrict c_new, float *restrict h_new) {
#if defined(__x86_64__) && defined(__GNUC__)
  switch (stratum_cpu_isa()) {
    case STRATUM_ISA_AVX512:
      lstm_row_default_avx512(units, x, rec, c_prev, gates, extra, c_new, h_new);
      return;
    case STRATUM_ISA_AVX2:
      lstm_row_default_avx2(units, x, rec, c_prev, gates, extra, c_new, h_new);
      return;
    default:
      break;
  }
#endif
  lstm_row_default_scalar(0, units, x, rec, c_prev, gates, extra, c_new, h_new);
}

/*
 * Backpropagation through the default LSTM gates of one unmasked batch row,
 * writing the gradients of the gate inputs to dx. The derivatives are written
 * in terms of the saved outputs: sigmoid' = y(1 − y) and tanh' = 1 − y².
 * GCC vectorizes this loop in each clone (checked with -fopt-info-vec). It
 * stops doing so when the loop also stores a second copy of dx, so the
 * caller copies dx afterwards.
 */
VECTOR_CLONES
static void lstm_row_default_backward(size_t units, const float *restrict gates, const float *restrict ac_row,
                                      const float *restrict c_prev, const float *restrict d_output, const float *restrict d_h,
                                      const float *restrict d_c, float *restrict dx, float *restrict d_c_prev) {
  for (size_t j = 0; j < units; j++) {
    const float i = gates[j], f = gates[units + j], g = gates[2 * units + j], o = gates[3 * units + j];
    const float ac = ac_row[j];
    const float dh = d_h[j] + d_output[j];
    const float dc = d_c[j] + dh * o * (1.0f - ac * ac);
    const float d_i = dc * g * (i * (1.0f - i));
    const float d_f = dc * c_prev[j] * (f * (1.0f - f));
    const float d_g = dc * i * (1.0f - g * g);
    const float d_o = dh * ac * (o * (1.0f - o));
    dx[j] = d_i;
    dx[units + j] = d_f;
    dx[2 * units + j] = d_g;
    dx[3 * units + j] = d_o;
    d_c_prev[j] = dc * f;
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
    if (unmasked && p->kind == RNN_LSTM && act == STRATUM_ACT_TANH && gate_act == STRATUM_ACT_SIGMOID) {
      const size_t row = b * units;
      lstm_row_default_backward(units, gates, extra + row, c_prev + row, d_output + row, d_h + row, d_c + row, dx,
                                d_c_prev + row);
      memcpy(dp, dx, width * sizeof(float));
      memset(d_h_prev + row, 0, units * sizeof(float));
      continue;
    }
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

/* ------------------------------------------------------------------------ */
/* Whole sequences                                                          */
/* ------------------------------------------------------------------------ */

/*
 * Batch rows never interact in a recurrent layer, so each task runs every
 * step for its own block of rows, with no synchronization between steps. The
 * block size depends on nothing but this constant, so the results are the
 * same whatever the thread count.
 */
#define SEQUENCE_ROWS 16

typedef struct {
  const rnn_sequence *p;
  size_t width;
  const float *projected, *kernel, *recurrent_bias, *mask;
  float *h_history, *c_history, *gate_values, *extra, *output;
  /* Scratch, [batch, width] and [batch, units]: each task uses its own rows. */
  float *products, *step_output;
} sequence_forward;

static size_t min_rows(size_t a, size_t b) { return a < b ? a : b; }

static rnn_step block_step(const rnn_sequence *p, size_t rows) {
  rnn_step step = {p->kind, p->activation, p->recurrent_activation, rows, p->units, p->steps, 0, p->zero_output};
  return step;
}

static void sequence_forward_task(void *context, size_t task) {
  const sequence_forward *f = context;
  const rnn_sequence *p = f->p;
  const size_t units = p->units, width = f->width, batch = p->batch, size = batch * units;
  const size_t b0 = task * SEQUENCE_ROWS, rows = min_rows(SEQUENCE_ROWS, batch - b0);
  const size_t out_steps = p->steps + (f->c_history ? 2 : 1);
  rnn_step step = block_step(p, rows);
  float *products = f->products + b0 * width, *step_output = f->step_output + b0 * units;
  const float *projected = f->projected + b0 * p->steps * width;
  const float *mask = f->mask ? f->mask + b0 * p->steps : NULL;
  for (size_t s = 0; s < p->steps; s++) {
    step.step = p->go_backwards ? p->steps - 1 - s : s;
    const float *h_prev = f->h_history + s * size + b0 * units;
    float *h_new = f->h_history + (s + 1) * size + b0 * units;
    const float *c_prev = f->c_history ? f->c_history + s * size + b0 * units : NULL;
    float *c_new = f->c_history ? f->c_history + (s + 1) * size + b0 * units : NULL;
    float *extra = f->extra ? f->extra + s * size + b0 * units : NULL;
    stratum_sgemm(0, 0, rows, width, units, h_prev, f->kernel, products, 0);
    k_recurrent_gates_forward(&step, projected, products, f->recurrent_bias, mask, h_prev, c_prev,
                              f->gate_values + (s * batch + b0) * width, extra, h_new, c_new, step_output);
    for (size_t r = 0; r < rows; r++) {
      memcpy(f->output + ((b0 + r) * out_steps + s) * units, step_output + r * units, units * sizeof(float));
    }
  }
  for (size_t r = 0; r < rows; r++) {
    float *final = f->output + ((b0 + r) * out_steps + p->steps) * units;
    memcpy(final, f->h_history + p->steps * size + (b0 + r) * units, units * sizeof(float));
    if (f->c_history) memcpy(final + units, f->c_history + p->steps * size + (b0 + r) * units, units * sizeof(float));
  }
}

int k_recurrent_sequence_forward(const rnn_sequence *p, const float *projected, const float *kernel, const float *recurrent_bias,
                                 const float *mask, float *h_history, float *c_history, float *gate_values, float *extra,
                                 float *output) {
  const size_t width = gate_count(p->kind) * p->units;
  if (p->batch == 0 || p->units == 0) return 1;
  float *scratch = malloc((width + p->units) * p->batch * sizeof(float));
  if (scratch == NULL) return 0;
  sequence_forward f = {p,         width,     projected,   kernel, recurrent_bias, mask, h_history, c_history,
                        gate_values, extra, output, scratch, scratch + p->batch * width};
  stratum_pool_run((p->batch + SEQUENCE_ROWS - 1) / SEQUENCE_ROWS, sequence_forward_task, &f);
  free(scratch);
  return 1;
}

typedef struct {
  const rnn_sequence *p;
  size_t width;
  const float *kernel, *mask, *gate_values, *extra, *h_history, *c_history, *dy;
  float *d_projected, *product_gradients, *d_initial_h, *d_initial_c;
  /* Scratch, five [batch, units] arrays: the state gradients (two of each, swapped every step) and the step's output gradient. */
  float *scratch;
} sequence_backward;

static void sequence_backward_task(void *context, size_t task) {
  const sequence_backward *g = context;
  const rnn_sequence *p = g->p;
  const size_t units = p->units, width = g->width, batch = p->batch, size = batch * units;
  const size_t b0 = task * SEQUENCE_ROWS, rows = min_rows(SEQUENCE_ROWS, batch - b0);
  const int lstm = g->c_history != NULL;
  const size_t out_steps = p->steps + (lstm ? 2 : 1);
  rnn_step step = block_step(p, rows);
  float *d_h = g->scratch + b0 * units, *d_h_prev = d_h + size, *d_c = d_h_prev + size, *d_c_prev = d_c + size;
  float *d_output = d_c_prev + size;
  float *d_projected = g->d_projected + b0 * p->steps * width;
  const float *mask = g->mask ? g->mask + b0 * p->steps : NULL;
  for (size_t r = 0; r < rows; r++) {
    const float *final = g->dy + ((b0 + r) * out_steps + p->steps) * units;
    memcpy(d_h + r * units, final, units * sizeof(float));
    if (lstm) memcpy(d_c + r * units, final + units, units * sizeof(float));
  }
  for (size_t s = p->steps; s-- > 0;) {
    step.step = p->go_backwards ? p->steps - 1 - s : s;
    for (size_t r = 0; r < rows; r++) {
      memcpy(d_output + r * units, g->dy + ((b0 + r) * out_steps + s) * units, units * sizeof(float));
    }
    const float *h_prev = g->h_history + s * size + b0 * units;
    const float *c_prev = lstm ? g->c_history + s * size + b0 * units : NULL;
    const float *extra = g->extra ? g->extra + s * size + b0 * units : NULL;
    float *product_gradients = g->product_gradients + (s * batch + b0) * width;
    k_recurrent_gates_backward(&step, mask, g->gate_values + (s * batch + b0) * width, extra, h_prev, c_prev, d_output, d_h,
                               lstm ? d_c : NULL, d_projected, product_gradients, d_h_prev, lstm ? d_c_prev : NULL);
    stratum_sgemm(0, 1, rows, units, width, product_gradients, g->kernel, d_h_prev, 1);
    float *swap = d_h;
    d_h = d_h_prev;
    d_h_prev = swap;
    swap = d_c;
    d_c = d_c_prev;
    d_c_prev = swap;
  }
  memcpy(g->d_initial_h + b0 * units, d_h, rows * units * sizeof(float));
  if (lstm) memcpy(g->d_initial_c + b0 * units, d_c, rows * units * sizeof(float));
}

int k_recurrent_sequence_backward(const rnn_sequence *p, const float *kernel, const float *mask, const float *gate_values,
                                  const float *extra, const float *h_history, const float *c_history, const float *dy,
                                  float *d_projected, float *product_gradients, float *d_initial_h, float *d_initial_c) {
  const size_t width = gate_count(p->kind) * p->units;
  if (p->batch == 0 || p->units == 0) return 1;
  float *scratch = malloc(5 * p->batch * p->units * sizeof(float));
  if (scratch == NULL) return 0;
  sequence_backward g = {p,           width,       kernel,          mask,  gate_values, extra,      h_history, c_history,
                         dy,          d_projected, product_gradients, d_initial_h, d_initial_c, scratch};
  stratum_pool_run((p->batch + SEQUENCE_ROWS - 1) / SEQUENCE_ROWS, sequence_backward_task, &g);
  free(scratch);
  return 1;
}
