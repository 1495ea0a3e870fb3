/*
 * Matrix products whose left operand is mostly zeros, such as a batch of
 * MNIST digits, where about 81% of the pixels are 0. Row i of the result is
 * the combination of the rows of op(b) that the nonzero entries of row i of
 * op(a) select, so the zeros cost nothing. This serves the forward product
 * x · kernel of a Dense layer on such inputs and its kernel gradient xᵀ · dy.
 */
#include "sparse.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "gemm.h"
#include "scan.h"
#include "threadpool.h"

/*
 * Products below this many multiply-adds stay dense. On the Intel Xeon of
 * bench/RESULTS.md, with MNIST digits as a, the sparse path was slower than
 * the dense kernels up to [256, 784] · [784, 256] (51 million multiply-adds).
 * At [256, 784] · [784, 1024] (205 million) it took 17% less time forward
 * and 49% less for the kernel gradient. The dense kernels reuse every load
 * of b across a block of rows, which the sparse path cannot.
 */
#define SPARSE_MIN_FMAS ((size_t)1 << 26)

/*
 * The threshold without AVX-512, where the dense kernels do half as many
 * multiply-adds per instruction or fewer. The figures below are from the AMD
 * EPYC with AVX2 only of bench/RESULTS.md, with MNIST digits as a, on one
 * core. The main job's forward product [32, 784] · [784, 64] (1.6 million
 * multiply-adds) took about 71 µs instead of 113, and its kernel gradient
 * about 87 µs instead of 121. At batch 256, training ran 17-27% faster.
 * NOTE: measured on that Zen 1 machine only. Intel CPUs with AVX2 but no
 * AVX-512 do twice the dense multiply-adds per cycle and may want a higher
 * threshold.
 */
#define SPARSE_MIN_FMAS_NARROW ((size_t)1 << 20)

/*
 * The largest share of nonzero entries in a that takes the sparse path. Each
 * nonzero entry reads a whole row of op(b) from the L2 cache, while the dense
 * kernels reuse every load of b across a block of rows, so the sparse path
 * needs a clear margin of zeros to win.
 */
#define SPARSE_MAX_DENSITY 0.3

/* Multiply-adds per task above which the rows or column blocks are split across threads. */
#define SPARSE_TASK_FMAS ((size_t)1 << 19)

/* Columns of c that one pass over a row's entries computes: four vectors of 16. */
#define BLOCK_COLS 64

/*
 * The nonzero entries of op(a), row by row: row i has entries start[i] ..
 * start[i + 1] - 1, with their steps of k in `index` (ascending) and their
 * values in `value`.
 */
typedef struct {
  size_t *start;
  int32_t *index;
  float *value;
} sparse_rows;

typedef struct {
  sparse_rows a;
  size_t m, n, k;
  const float *b;
  float *c;
  int accumulate;
  const float *bias;
  int activation;
  size_t column_blocks;
  /* Rows of c per task. */
  size_t rows_per_task;
} sparse_problem;

static size_t min_size(size_t x, size_t y) { return x < y ? x : y; }

/* ------------------------------------------------------------------------ */
/* Finding the nonzero entries                                               */
/* ------------------------------------------------------------------------ */

/* Counts the nonzero entries of n floats. NaN counts as nonzero. */
static size_t count_nonzero_portable(const float *x, size_t n) {
  size_t count = 0;
  for (size_t i = 0; i < n; i++) count += x[i] != 0.0f;
  return count;
}

/*
 * Fills start, index and value for the rows x cols row-major matrix x. The
 * loop has no branch: each element is written at the current end, and only a
 * nonzero one moves the end, so the arrays need one entry of slack.
 */
static void collect_nonzero_portable(const float *x, size_t rows, size_t cols, sparse_rows *s) {
  size_t count = 0;
  for (size_t r = 0; r < rows; r++) {
    s->start[r] = count;
    const float *row = x + r * cols;
    for (size_t j = 0; j < cols; j++) {
      s->index[count] = (int32_t)j;
      s->value[count] = row[j];
      count += row[j] != 0.0f;
    }
  }
  s->start[rows] = count;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX512_TARGET __attribute__((target("avx512f")))
#define AVX2_TARGET __attribute__((target("avx2,fma")))

AVX512_TARGET static inline __mmask16 lanes_avx512(size_t width) {
  return width >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << width) - 1u);
}

AVX512_TARGET static size_t count_nonzero_avx512(const float *x, size_t n) {
  size_t count = 0;
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 valid = lanes_avx512(n - i);
    const __m512 values = _mm512_maskz_loadu_ps(valid, x + i);
    count += (size_t)__builtin_popcount((unsigned)_mm512_mask_cmp_ps_mask(valid, values, _mm512_setzero_ps(), _CMP_NEQ_UQ));
  }
  return count;
}

/*
 * The same with AVX-512's compress, 16 elements per step. The compress runs
 * between registers and a whole vector is stored, because the form that
 * compresses straight into memory made this function about 18 times slower
 * on the AMD EPYC machine of bench/RESULTS.md. The arrays need 16 entries of
 * slack.
 */
AVX512_TARGET static void collect_nonzero_avx512(const float *x, size_t rows, size_t cols, sparse_rows *s) {
  size_t count = 0;
  const __m512i step = _mm512_set1_epi32(16);
  for (size_t r = 0; r < rows; r++) {
    s->start[r] = count;
    const float *row = x + r * cols;
    __m512i columns = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (size_t j = 0; j < cols; j += 16) {
      const __mmask16 valid = lanes_avx512(cols - j);
      const __m512 values = _mm512_maskz_loadu_ps(valid, row + j);
      const __mmask16 nonzero = _mm512_mask_cmp_ps_mask(valid, values, _mm512_setzero_ps(), _CMP_NEQ_UQ);
      _mm512_storeu_ps(s->value + count, _mm512_maskz_compress_ps(nonzero, values));
      _mm512_storeu_si512(s->index + count, _mm512_maskz_compress_epi32(nonzero, columns));
      count += (size_t)__builtin_popcount((unsigned)nonzero);
      columns = _mm512_add_epi32(columns, step);
    }
  }
  s->start[rows] = count;
}

AVX2_TARGET static size_t count_nonzero_avx2(const float *x, size_t n) {
  size_t count = 0, i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 nonzero = _mm256_cmp_ps(_mm256_loadu_ps(x + i), _mm256_setzero_ps(), _CMP_NEQ_UQ);
    count += (size_t)__builtin_popcount((unsigned)_mm256_movemask_ps(nonzero));
  }
  return count + count_nonzero_portable(x + i, n - i);
}

/*
 * AVX2 has no compress, so a table gives, for each 8-bit mask of nonzero
 * lanes, the lanes to gather to the front: entry `mask` contains the lane
 * numbers as 3-bit fields, lowest first.
 */
static uint32_t compress_lanes[256];
static pthread_once_t compress_lanes_once = PTHREAD_ONCE_INIT;

static void fill_compress_lanes(void) {
  for (unsigned mask = 0; mask < 256; mask++) {
    uint32_t packed = 0;
    unsigned slot = 0;
    for (unsigned lane = 0; lane < 8; lane++) {
      if (mask & (1u << lane)) packed |= lane << (3 * slot++);
    }
    compress_lanes[mask] = packed;
  }
}

/* The same as collect_nonzero_portable, 8 elements per step. The arrays need 8 entries of slack. */
AVX2_TARGET static void collect_nonzero_avx2(const float *x, size_t rows, size_t cols, sparse_rows *s) {
  pthread_once(&compress_lanes_once, fill_compress_lanes);
  const __m256i shifts = _mm256_setr_epi32(0, 3, 6, 9, 12, 15, 18, 21);
  const __m256i field_mask = _mm256_set1_epi32(7);
  size_t count = 0;
  for (size_t r = 0; r < rows; r++) {
    s->start[r] = count;
    const float *row = x + r * cols;
    size_t j = 0;
    for (; j + 8 <= cols; j += 8) {
      const __m256 values = _mm256_loadu_ps(row + j);
      const unsigned mask = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(values, _mm256_setzero_ps(), _CMP_NEQ_UQ));
      const __m256i lanes =
          _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)compress_lanes[mask]), shifts), field_mask);
      _mm256_storeu_ps(s->value + count, _mm256_permutevar8x32_ps(values, lanes));
      _mm256_storeu_si256((__m256i *)(void *)(s->index + count), _mm256_add_epi32(lanes, _mm256_set1_epi32((int)j)));
      count += (size_t)__builtin_popcount(mask);
    }
    for (; j < cols; j++) {
      s->index[count] = (int32_t)j;
      s->value[count] = row[j];
      count += row[j] != 0.0f;
    }
  }
  s->start[rows] = count;
}
#endif

static size_t count_nonzero(const float *x, size_t n) {
#if defined(__x86_64__) && defined(__GNUC__)
  switch (stratum_cpu_isa()) {
    case STRATUM_ISA_AVX512:
      return count_nonzero_avx512(x, n);
    case STRATUM_ISA_AVX2:
      return count_nonzero_avx2(x, n);
    default:
      break;
  }
#endif
  return count_nonzero_portable(x, n);
}

static void collect_nonzero(const float *x, size_t rows, size_t cols, sparse_rows *s) {
#if defined(__x86_64__) && defined(__GNUC__)
  switch (stratum_cpu_isa()) {
    case STRATUM_ISA_AVX512:
      collect_nonzero_avx512(x, rows, cols, s);
      return;
    case STRATUM_ISA_AVX2:
      collect_nonzero_avx2(x, rows, cols, s);
      return;
    default:
      break;
  }
#endif
  collect_nonzero_portable(x, rows, cols, s);
}

/*
 * Turns the entries of the stored rows of a (k rows of m) into the rows of
 * op(a) = aᵀ (m rows of k), a counting sort by column. Each row of op(a)
 * receives its entries in ascending step order, because the stored rows are
 * visited in order.
 */
static void transpose_entries(const sparse_rows *stored, size_t k, size_t m, sparse_rows *out) {
  memset(out->start, 0, (m + 1) * sizeof(size_t));
  const size_t total = stored->start[k];
  for (size_t e = 0; e < total; e++) out->start[stored->index[e] + 1]++;
  for (size_t i = 0; i < m; i++) out->start[i + 1] += out->start[i];
  /* out->start[i] now is the first free slot of row i; the pass below advances it, and the loop after it restores it. */
  for (size_t r = 0; r < k; r++) {
    for (size_t e = stored->start[r]; e < stored->start[r + 1]; e++) {
      const size_t slot = out->start[stored->index[e]]++;
      out->index[slot] = (int32_t)r;
      out->value[slot] = stored->value[e];
    }
  }
  for (size_t i = m; i > 0; i--) out->start[i] = out->start[i - 1];
  out->start[0] = 0;
}

/* ------------------------------------------------------------------------ */
/* Combining rows of b                                                       */
/* ------------------------------------------------------------------------ */

/* Applies the epilogue to `width` sums of row i, starting at column j, and stores them. */
static void store_sums(const sparse_problem *p, size_t i, size_t j, size_t width, const float *sums) {
  float *out = p->c + i * p->n + j;
  for (size_t q = 0; q < width; q++) {
    float value = sums[q];
    if (p->accumulate) value = out[q] + value;
    if (p->bias != NULL) value += p->bias[j + q];
    switch (p->activation) {
      case STRATUM_ACT_RELU:
        value = value <= 0.0f ? 0.0f : value;
        break;
      case STRATUM_ACT_SIGMOID:
        value = stratum_sigmoidf(value);
        break;
      case STRATUM_ACT_TANH:
        value = tanhf(value);
        break;
      default:
        break;
    }
    out[q] = value;
  }
}

/*
 * The kernels below compute rows [i0, i1) of c over `width` columns from
 * column j, reading b as `block`: k rows, `stride` floats apart, of which
 * the columns j .. j + width are at offset 0.
 */
typedef void (*combine_fn)(const sparse_problem *p, size_t i0, size_t i1, size_t j, size_t width, const float *block,
                           size_t stride);

static void combine_portable(const sparse_problem *p, size_t i0, size_t i1, size_t j, size_t width, const float *block,
                             size_t stride) {
  float sums[BLOCK_COLS];
  for (size_t i = i0; i < i1; i++) {
    for (size_t q = 0; q < width; q++) sums[q] = 0.0f;
    for (size_t e = p->a.start[i]; e < p->a.start[i + 1]; e++) {
      const float v = p->a.value[e];
      const float *row = block + (size_t)p->a.index[e] * stride;
      for (size_t q = 0; q < width; q++) sums[q] += v * row[q];
    }
    store_sums(p, i, j, width, sums);
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
/* Entries alternate between two sets of four sums, so that eight chains of FMAs hide their latency. */
AVX512_TARGET static void combine_avx512(const sparse_problem *p, size_t i0, size_t i1, size_t j, size_t width,
                                         const float *block, size_t stride) {
  float sums[BLOCK_COLS] __attribute__((aligned(64)));
  const int32_t *index = p->a.index;
  const float *value = p->a.value;
  const __mmask16 m0 = lanes_avx512(width), m1 = width > 16 ? lanes_avx512(width - 16) : 0;
  const __mmask16 m2 = width > 32 ? lanes_avx512(width - 32) : 0, m3 = width > 48 ? lanes_avx512(width - 48) : 0;
  for (size_t i = i0; i < i1; i++) {
    const size_t last = p->a.start[i + 1];
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    __m512 t0 = _mm512_setzero_ps(), t1 = _mm512_setzero_ps(), t2 = _mm512_setzero_ps(), t3 = _mm512_setzero_ps();
    size_t e = p->a.start[i];
    for (; e + 2 <= last; e += 2) {
      const __m512 v = _mm512_set1_ps(value[e]);
      const __m512 w = _mm512_set1_ps(value[e + 1]);
      const float *row = block + (size_t)index[e] * stride;
      const float *next = block + (size_t)index[e + 1] * stride;
      s0 = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(m0, row), s0);
      s1 = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(m1, row + 16), s1);
      s2 = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(m2, row + 32), s2);
      s3 = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(m3, row + 48), s3);
      t0 = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(m0, next), t0);
      t1 = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(m1, next + 16), t1);
      t2 = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(m2, next + 32), t2);
      t3 = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(m3, next + 48), t3);
    }
    if (e < last) {
      const __m512 v = _mm512_set1_ps(value[e]);
      const float *row = block + (size_t)index[e] * stride;
      s0 = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(m0, row), s0);
      s1 = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(m1, row + 16), s1);
      s2 = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(m2, row + 32), s2);
      s3 = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(m3, row + 48), s3);
    }
    const __m512 sum[4] = {_mm512_add_ps(s0, t0), _mm512_add_ps(s1, t1), _mm512_add_ps(s2, t2), _mm512_add_ps(s3, t3)};
    if (p->activation == STRATUM_ACT_SIGMOID || p->activation == STRATUM_ACT_TANH) {
      for (int q = 0; q < 4; q++) _mm512_storeu_ps(sums + 16 * q, sum[q]);
      store_sums(p, i, j, width, sums);
      continue;
    }
    /* The epilogue of store_sums in vectors: c + sums, then the bias, then relu (NaN stays NaN). */
    float *out = p->c + i * p->n + j;
    const __mmask16 masks[4] = {m0, m1, m2, m3};
    for (int q = 0; q < 4; q++) {
      if (masks[q] == 0) break;
      __m512 value = sum[q];
      if (p->accumulate) value = _mm512_add_ps(_mm512_maskz_loadu_ps(masks[q], out + 16 * q), value);
      if (p->bias != NULL) value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(masks[q], p->bias + j + 16 * q));
      if (p->activation == STRATUM_ACT_RELU) {
        value = _mm512_mask_mov_ps(value, _mm512_cmp_ps_mask(value, _mm512_setzero_ps(), _CMP_LE_OQ), _mm512_setzero_ps());
      }
      _mm512_mask_storeu_ps(out + 16 * q, masks[q], value);
    }
  }
}

/* Eight vectors of 8 with AVX2; a block narrower than 64 columns runs the portable loop. */
AVX2_TARGET static void combine_avx2(const sparse_problem *p, size_t i0, size_t i1, size_t j, size_t width,
                                     const float *block, size_t stride) {
  if (width < BLOCK_COLS) {
    combine_portable(p, i0, i1, j, width, block, stride);
    return;
  }
  float sums[BLOCK_COLS];
  const int vector_epilogue = p->activation != STRATUM_ACT_SIGMOID && p->activation != STRATUM_ACT_TANH;
  for (size_t i = i0; i < i1; i++) {
    __m256 s[8];
    for (int q = 0; q < 8; q++) s[q] = _mm256_setzero_ps();
    for (size_t e = p->a.start[i]; e < p->a.start[i + 1]; e++) {
      const __m256 v = _mm256_set1_ps(p->a.value[e]);
      const float *row = block + (size_t)p->a.index[e] * stride;
      for (int q = 0; q < 8; q++) s[q] = _mm256_fmadd_ps(v, _mm256_loadu_ps(row + 8 * q), s[q]);
    }
    if (!vector_epilogue) {
      for (int q = 0; q < 8; q++) _mm256_storeu_ps(sums + 8 * q, s[q]);
      store_sums(p, i, j, width, sums);
      continue;
    }
    /* The epilogue of store_sums in vectors: c + sums, then the bias, then relu (NaN stays NaN). */
    float *out = p->c + i * p->n + j;
    for (int q = 0; q < 8; q++) {
      __m256 value = s[q];
      if (p->accumulate) value = _mm256_add_ps(_mm256_loadu_ps(out + 8 * q), value);
      if (p->bias != NULL) value = _mm256_add_ps(value, _mm256_loadu_ps(p->bias + j + 8 * q));
      if (p->activation == STRATUM_ACT_RELU) {
        value = _mm256_blendv_ps(value, _mm256_setzero_ps(), _mm256_cmp_ps(value, _mm256_setzero_ps(), _CMP_LE_OQ));
      }
      _mm256_storeu_ps(out + 8 * q, value);
    }
  }
}
#endif

static combine_fn select_combine(void) {
#if defined(__x86_64__) && defined(__GNUC__)
  switch (stratum_cpu_isa()) {
    case STRATUM_ISA_AVX512:
      return combine_avx512;
    case STRATUM_ISA_AVX2:
      return combine_avx2;
    default:
      break;
  }
#endif
  return combine_portable;
}

/*
 * When b is wider than one block of BLOCK_COLS columns, a block's slices of
 * the rows of b lie far apart, and for a power-of-two width they fall in the
 * same cache sets. So each block is first copied into one contiguous
 * k x BLOCK_COLS panel that stays in L2.
 */
typedef struct {
  const sparse_problem *p;
  combine_fn combine;
  size_t row_groups;
  /* The panels, one per block of columns, or NULL when b is one block wide. */
  float *panels;
  /* Per packing task: 1 when its rows of b contain NaN or infinity. */
  unsigned char *non_finite;
} sparse_run;

/* Rows of b that one packing task copies. */
#define PACK_TASK_ROWS 64

/*
 * Copies rows of b into every panel, reading each row from start to end, so
 * that the hardware prefetcher follows the reads. It also checks the rows
 * for NaN and infinity, which saves a separate pass over b.
 */
static void pack_task(void *context, size_t task) {
  const sparse_run *run = context;
  const sparse_problem *p = run->p;
  const size_t first = task * PACK_TASK_ROWS, last = min_size(first + PACK_TASK_ROWS, p->k);
  const size_t full_blocks = p->n / BLOCK_COLS, tail = p->n - full_blocks * BLOCK_COLS;
  run->non_finite[task] = 0;
  for (size_t r = first; r < last; r++) {
    const float *row = p->b + r * p->n;
    if (k_find_non_finite_serial(row, p->n) >= 0) run->non_finite[task] = 1;
    float *panel_row = run->panels + r * BLOCK_COLS;
    for (size_t block = 0; block < full_blocks; block++) {
      memcpy(panel_row + block * p->k * BLOCK_COLS, row + block * BLOCK_COLS, BLOCK_COLS * sizeof(float));
    }
    if (tail > 0) memcpy(panel_row + full_blocks * p->k * BLOCK_COLS, row + full_blocks * BLOCK_COLS, tail * sizeof(float));
  }
}

/* One task: a range of rows of c in one block of columns. */
static void combine_task(void *context, size_t task) {
  const sparse_run *run = context;
  const sparse_problem *p = run->p;
  const size_t block = task / run->row_groups, group = task % run->row_groups;
  const size_t j = block * BLOCK_COLS, width = min_size(BLOCK_COLS, p->n - j);
  const size_t i0 = group * p->rows_per_task, i1 = min_size(i0 + p->rows_per_task, p->m);
  if (run->panels == NULL) {
    run->combine(p, i0, i1, j, width, p->b + j, p->n);
  } else {
    run->combine(p, i0, i1, j, width, run->panels + block * p->k * BLOCK_COLS, BLOCK_COLS);
  }
}

int stratum_sgemm_sparse_a(int transpose_a, size_t m, size_t n, size_t k, const float *a, const float *b, float *c,
                           int accumulate, const float *bias, int activation) {
  const size_t min_fmas = stratum_cpu_isa() == STRATUM_ISA_AVX512 ? SPARSE_MIN_FMAS : SPARSE_MIN_FMAS_NARROW;
  if (m * n * k < min_fmas || n < 16 || k < 16) return 0;
  /* The rows of a as stored: m rows of k without transposition, k rows of m with it. */
  const size_t rows = transpose_a ? k : m, cols = transpose_a ? m : k;
  const size_t nonzero = count_nonzero(a, rows * cols);
  if ((double)nonzero > SPARSE_MAX_DENSITY * (double)(rows * cols)) return 0;
  /* All scratch comes from one buffer, taken before c is written, so that without memory c is left to the dense path. */
  const size_t slack = 16;
  const size_t column_blocks = (n + BLOCK_COLS - 1) / BLOCK_COLS;
  const size_t entry_bytes = (nonzero + slack) * (sizeof(int32_t) + sizeof(float));
  const size_t start_bytes = (rows + 1 + (transpose_a ? m + 1 : 0)) * sizeof(size_t);
  const size_t panel_bytes = n > BLOCK_COLS ? column_blocks * k * BLOCK_COLS * sizeof(float) : 0;
  const size_t pack_tasks = (k + PACK_TASK_ROWS - 1) / PACK_TASK_ROWS;
  const size_t flag_bytes = panel_bytes > 0 ? (pack_tasks + 63) / 64 * 64 : 0;
  char *scratch = stratum_thread_scratch(STRATUM_SCRATCH_SPARSE,
                                         flag_bytes + panel_bytes + start_bytes + (transpose_a ? 2 : 1) * entry_bytes);
  if (scratch == NULL) return 0;
  unsigned char *non_finite = (unsigned char *)scratch;
  scratch += flag_bytes;

  /* The panels, then the size_t arrays, the floats and the int32 indices, so that every array is aligned. */
  float *panels = panel_bytes > 0 ? (float *)(void *)scratch : NULL;
  char *next = scratch + panel_bytes;
  sparse_rows stored = {(size_t *)(void *)next, NULL, NULL};
  next += (rows + 1) * sizeof(size_t);
  sparse_rows transposed = {NULL, NULL, NULL};
  if (transpose_a) {
    transposed.start = (size_t *)(void *)next;
    next += (m + 1) * sizeof(size_t);
  }
  stored.value = (float *)(void *)next;
  next += (nonzero + slack) * sizeof(float);
  stored.index = (int32_t *)(void *)next;
  next += (nonzero + slack) * sizeof(int32_t);
  if (transpose_a) {
    transposed.value = (float *)(void *)next;
    next += (nonzero + slack) * sizeof(float);
    transposed.index = (int32_t *)(void *)next;
  }

  /*
   * Leaving out a zero of a is exact only when b is finite, because 0 · NaN
   * and 0 · ∞ must give NaN. The packing checks b as it copies it.
   */
  sparse_problem p = {{NULL, NULL, NULL}, m, n, k, b, c, accumulate, bias, activation, column_blocks, m};
  sparse_run run = {&p, select_combine(), 1, panels, non_finite};
  if (panels != NULL) {
    if (nonzero * n < SPARSE_TASK_FMAS) {
      for (size_t task = 0; task < pack_tasks; task++) pack_task(&run, task);
    } else {
      stratum_pool_run(pack_tasks, pack_task, &run);
    }
    for (size_t task = 0; task < pack_tasks; task++) {
      if (non_finite[task]) return 0;
    }
  } else if (k_find_non_finite(b, k * n) >= 0) {
    return 0;
  }

  collect_nonzero(a, rows, cols, &stored);
  if (transpose_a) transpose_entries(&stored, k, m, &transposed);
  p.a = transpose_a ? transposed : stored;
  /* About one task per SPARSE_TASK_FMAS multiply-adds. Each row is computed alike in any split. */
  const size_t fmas = nonzero * n;
  size_t groups = fmas / SPARSE_TASK_FMAS / column_blocks;
  groups = groups < 1 ? 1 : (groups > 16 ? 16 : groups);
  p.rows_per_task = (m + groups - 1) / groups;
  run.row_groups = (m + p.rows_per_task - 1) / p.rows_per_task;
  const size_t tasks = column_blocks * run.row_groups;
  if (fmas < SPARSE_TASK_FMAS) {
    /* Too little work to wake the other threads. */
    for (size_t task = 0; task < tasks; task++) combine_task(&run, task);
  } else {
    stratum_pool_run(tasks, combine_task, &run);
  }
  return 1;
}
