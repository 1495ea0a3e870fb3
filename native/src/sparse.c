/*
 * Matrix products whose left operand is mostly zeros, such as a batch of
 * MNIST digits, where about 81% of the pixels are 0. Row i of the result is
 * the combination of the rows of op(b) that the nonzero entries of row i of
 * op(a) select, so the zeros cost nothing. This serves the forward product
 * x · kernel of a Dense layer on such inputs and its kernel gradient xᵀ · dy.
 *
 * Two ways to leave the zeros out, picked by instruction set:
 *  - by row (AVX2 and portable): each nonzero entry of a row of op(a) adds a
 *    multiple of a row of op(b) to that row of c.
 *  - by block (AVX-512): op(a) is cut into blocks of BLOCK_ROWS rows, and a
 *    block keeps every step of k where any of its rows is nonzero. Each row
 *    of op(b) that a block selects is loaded once for all its rows. A block
 *    of 4 MNIST digits keeps about 39% of the steps, against 19% for one
 *    digit, but the loads of b no longer limit the speed.
 *
 * Either way every element of c is one multiply-add chain over the steps of
 * k in ascending order, from 0 or from the old c when accumulating, as in the
 * dense kernels, and the left-out products are exact zeros. So while b is
 * finite, which is checked, the sums are the dense kernels' sums bit for bit,
 * whatever the thread count. With NaN or infinity in b, the product goes to
 * the dense kernels, except where each task packs its own block of columns
 * (see pack_and_combine_task): there the blocks of columns that contain them
 * keep every step.
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
 * Products below this many multiply-adds stay dense. The main job's forward
 * product [32, 784] · [784, 64] has 1.6 million. With MNIST digits as a, on
 * one core of the AMD EPYC with AVX2 only of bench/RESULTS.md, it took about
 * 71 µs by row instead of 113 dense, and its kernel gradient about 87 µs
 * instead of 121. On the Zen 4 EPYC, by block and in training on both
 * cores, they took about 20 µs instead of 30 and 25 instead of 37, and the
 * forward product at batch 256 about 100 µs instead of 145. On the Intel
 * Xeon, whose dense kernels do twice the multiply-adds per cycle, the main
 * job's two products took 17–24 µs either way (whichever ran second in the
 * timing loop won), and the large MLP's first-layer forward product 0.87 ms
 * instead of 1.44.
 * NOTE: on that Xeon, at batch 256 on both cores, the main job's forward
 * product took 86–96 µs here against 78–81 dense, so for products one block
 * of 64 columns wide an Intel CPU may want a higher threshold.
 */
#define SPARSE_MIN_FMAS ((size_t)1 << 20)

/*
 * The largest share of nonzero entries in a that takes the path by row. Each
 * nonzero entry reads a whole row of op(b) from the L2 cache, while the dense
 * kernels reuse every load of b across a block of rows, so that path needs a
 * clear margin of zeros to win.
 */
#define SPARSE_MAX_DENSITY 0.3

/* Rows of op(a) per block on the path by block. */
#define BLOCK_ROWS 4


/*
 * The largest share of the steps of k that the blocks may keep on the path
 * by block. Its kernel runs at about the speed of the dense ones per
 * multiply-add, but finding the steps and copying b cost extra. On the Zen 4
 * EPYC, at [256, 784] · [784, 1024] on both cores, blocks that kept 45% and
 * 56% of the steps took 54% and 61% of the dense product's time.
 */
#define SPARSE_MAX_BLOCK_DENSITY 0.6

/* Stored rows of a whose steps are counted first, to turn a dense a away early on the path by block. */
#define SAMPLE_ROWS 16

/* Multiply-adds per task above which the rows or column blocks are split across threads. */
#define SPARSE_TASK_FMAS ((size_t)1 << 19)

/* Columns of c that one pass over a row's entries, or a block's steps, computes: four vectors of 16. */
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

/*
 * The steps that the blocks of op(a) keep: block q (rows q * BLOCK_ROWS on)
 * keeps the steps of k index[start[q]] .. index[start[q + 1] - 1], in
 * ascending order. The kernel reads the values from a itself, so that the
 * list stays small: it is written by one thread and read by all.
 */
typedef struct {
  size_t *start;
  int32_t *index;
} sparse_blocks;

typedef struct {
  sparse_rows a;
  sparse_blocks blocks;
  /* On the path by block: element (i, p) of op(a) is at a[i * a_row_stride + p * a_step_stride]. */
  const float *a_values;
  size_t a_row_stride, a_step_stride;
  size_t m, n, k;
  const float *b;
  float *c;
  int accumulate;
  const float *bias;
  int activation;
  size_t column_blocks;
  /* Rows of c per task on the path by row, blocks of rows per task on the path by block. */
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
  if (stratum_cpu_isa() == STRATUM_ISA_AVX2) return count_nonzero_avx2(x, n);
#endif
  return count_nonzero_portable(x, n);
}

static void collect_nonzero(const float *x, size_t rows, size_t cols, sparse_rows *s) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (stratum_cpu_isa() == STRATUM_ISA_AVX2) {
    collect_nonzero_avx2(x, rows, cols, s);
    return;
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
/* Finding the steps that blocks of rows keep                                */
/* ------------------------------------------------------------------------ */

/* 64-bit words per row of `cols` bits. */
static size_t words_for(size_t cols) { return (cols + 63) / 64; }

/*
 * Sets bit j % 64 of word j / 64 of each row's words when element j of that
 * row of the rows x cols matrix x is nonzero (NaN counts as nonzero).
 */
static void nonzero_bits_portable(const float *x, size_t rows, size_t cols, uint64_t *bits) {
  const size_t words = words_for(cols);
  for (size_t r = 0; r < rows; r++) {
    const float *row = x + r * cols;
    for (size_t w = 0; w < words; w++) {
      uint64_t word = 0;
      for (size_t j = w * 64; j < min_size(cols, w * 64 + 64); j++) word |= (uint64_t)(row[j] != 0.0f) << (j - w * 64);
      bits[r * words + w] = word;
    }
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
AVX512_TARGET static void nonzero_bits_avx512(const float *x, size_t rows, size_t cols, uint64_t *bits) {
  const size_t words = words_for(cols);
  for (size_t r = 0; r < rows; r++) {
    const float *row = x + r * cols;
    for (size_t w = 0; w < words; w++) {
      uint64_t word = 0;
      for (size_t q = 0; q < 4; q++) {
        const size_t j = w * 64 + q * 16;
        if (j >= cols) break;
        const __mmask16 valid = cols - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (cols - j)) - 1u);
        const __m512 values = _mm512_maskz_loadu_ps(valid, row + j);
        word |= (uint64_t)_mm512_mask_cmp_ps_mask(valid, values, _mm512_setzero_ps(), _CMP_NEQ_UQ) << (q * 16);
      }
      bits[r * words + w] = word;
    }
  }
}
#endif

static void nonzero_bits(const float *x, size_t rows, size_t cols, uint64_t *bits) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (stratum_cpu_isa() == STRATUM_ISA_AVX512) {
    nonzero_bits_avx512(x, rows, cols, bits);
    return;
  }
#endif
  nonzero_bits_portable(x, rows, cols, bits);
}

/*
 * Returns, for each group of 4 bits of `word`, a 1 in the group's lowest bit
 * when any of the 4 is set: with BLOCK_ROWS = 4, one group per block in the
 * bits of a stored row of a transposed a.
 */
_Static_assert(BLOCK_ROWS == 4, "any_of_four and the block counts assume blocks of 4 rows");

static uint64_t any_of_four(uint64_t word) {
  return (word | word >> 1 | word >> 2 | word >> 3) & 0x1111111111111111ull;
}

/*
 * For each block of BLOCK_ROWS rows of op(a), stores in count[q] how many
 * steps of k it keeps, from the nonzero bits of the stored rows of a (m rows
 * of k without transposition, k rows of m with it). Returns the total.
 */
static size_t count_block_steps(const uint64_t *bits, int transpose_a, size_t m, size_t k, size_t *count) {
  const size_t blocks = (m + BLOCK_ROWS - 1) / BLOCK_ROWS;
  size_t total = 0;
  if (!transpose_a) {
    const size_t words = words_for(k);
    for (size_t q = 0; q < blocks; q++) {
      const size_t first = q * BLOCK_ROWS, last = min_size(first + BLOCK_ROWS, m);
      size_t steps = 0;
      for (size_t w = 0; w < words; w++) {
        uint64_t any = 0;
        for (size_t r = first; r < last; r++) any |= bits[r * words + w];
        steps += (size_t)__builtin_popcountll(any);
      }
      count[q] = steps;
      total += steps;
    }
    return total;
  }
  const size_t words = words_for(m);
  memset(count, 0, blocks * sizeof(size_t));
  for (size_t p = 0; p < k; p++) {
    for (size_t w = 0; w < words; w++) {
      for (uint64_t any = any_of_four(bits[p * words + w]); any != 0; any &= any - 1) {
        count[w * 16 + (size_t)__builtin_ctzll(any) / 4]++;
      }
    }
  }
  for (size_t q = 0; q < blocks; q++) total += count[q];
  return total;
}

/*
 * Fills the nonzero bits of a and the steps each block keeps, and stores
 * their total in *entries. Returns 0 when the blocks keep more than
 * SPARSE_MAX_BLOCK_DENSITY of the steps, so that a is better left dense.
 * The first SAMPLE_ROWS stored rows decide first, so that a dense a costs
 * little. A wrong guess costs time only, because both paths give the same
 * bits.
 */
static int count_sparse_blocks(const float *a, int transpose_a, size_t m, size_t k, uint64_t *bits, size_t *counts,
                               size_t *entries) {
  const size_t rows = transpose_a ? k : m, cols = transpose_a ? m : k;
  const size_t sample = min_size(rows, SAMPLE_ROWS);
  nonzero_bits(a, sample, cols, bits);

  /* The blocks keep at least the share of nonzero entries, which is cheaper to count. */
  size_t sample_nonzero = 0;
  for (size_t w = 0; w < sample * words_for(cols); w++) sample_nonzero += (size_t)__builtin_popcountll(bits[w]);
  if ((double)sample_nonzero > SPARSE_MAX_BLOCK_DENSITY * (double)(sample * cols)) return 0;

  const size_t sample_m = transpose_a ? m : sample, sample_k = transpose_a ? sample : k;
  const size_t sample_blocks = (sample_m + BLOCK_ROWS - 1) / BLOCK_ROWS;
  const size_t sample_entries = count_block_steps(bits, transpose_a, sample_m, sample_k, counts);
  if ((double)sample_entries > SPARSE_MAX_BLOCK_DENSITY * (double)(sample_blocks * sample_k)) return 0;

  nonzero_bits(a + sample * cols, rows - sample, cols, bits + sample * words_for(cols));
  const size_t blocks = (m + BLOCK_ROWS - 1) / BLOCK_ROWS;
  *entries = count_block_steps(bits, transpose_a, m, k, counts);
  return (double)*entries <= SPARSE_MAX_BLOCK_DENSITY * (double)(blocks * k);
}

/* Fills out->index from the nonzero bits, with out->start already holding each block's first entry. */
static void collect_block_steps(const uint64_t *bits, int transpose_a, size_t m, size_t k, sparse_blocks *out) {
  const size_t blocks = (m + BLOCK_ROWS - 1) / BLOCK_ROWS;
  if (!transpose_a) {
    const size_t words = words_for(k);
    for (size_t q = 0; q < blocks; q++) {
      const size_t first = q * BLOCK_ROWS, last = min_size(first + BLOCK_ROWS, m);
      int32_t *index = out->index + out->start[q];
      for (size_t w = 0; w < words; w++) {
        uint64_t any = 0;
        for (size_t r = first; r < last; r++) any |= bits[r * words + w];
        for (; any != 0; any &= any - 1) *index++ = (int32_t)(w * 64 + (size_t)__builtin_ctzll(any));
      }
    }
    return;
  }
  /* out->start[q] serves as block q's next free entry and is restored below. */
  const size_t words = words_for(m);
  for (size_t p = 0; p < k; p++) {
    for (size_t w = 0; w < words; w++) {
      for (uint64_t any = any_of_four(bits[p * words + w]); any != 0; any &= any - 1) {
        out->index[out->start[w * 16 + (size_t)__builtin_ctzll(any) / 4]++] = (int32_t)p;
      }
    }
  }
  for (size_t q = blocks; q > 0; q--) out->start[q] = out->start[q - 1];
  out->start[0] = 0;
}

/* ------------------------------------------------------------------------ */
/* Combining rows of b                                                       */
/* ------------------------------------------------------------------------ */

/* Applies the bias and the activation to `width` sums of row i, starting at column j, and stores them. */
static void store_sums(const sparse_problem *p, size_t i, size_t j, size_t width, const float *sums) {
  float *out = p->c + i * p->n + j;
  for (size_t q = 0; q < width; q++) {
    float value = sums[q];
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
 * The kernels below compute rows [i0, i1) of c, or blocks [i0, i1) of rows,
 * over `width` columns from column j, reading b as `block`: k rows, `stride`
 * floats apart, of which the columns j .. j + width are at offset 0.
 */
typedef void (*combine_fn)(const sparse_problem *p, size_t i0, size_t i1, size_t j, size_t width, const float *block,
                           size_t stride);

static void combine_portable(const sparse_problem *p, size_t i0, size_t i1, size_t j, size_t width, const float *block,
                             size_t stride) {
  float sums[BLOCK_COLS];
  for (size_t i = i0; i < i1; i++) {
    const float *out = p->c + i * p->n + j;
    for (size_t q = 0; q < width; q++) sums[q] = p->accumulate ? out[q] : 0.0f;
    for (size_t e = p->a.start[i]; e < p->a.start[i + 1]; e++) {
      const float v = p->a.value[e];
      const float *row = block + (size_t)p->a.index[e] * stride;
      for (size_t q = 0; q < width; q++) sums[q] += v * row[q];
    }
    store_sums(p, i, j, width, sums);
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
/* Combines rows in eight vectors of 8 with AVX2. The last vector loads and stores only the lanes within `width`. */
AVX2_TARGET static void combine_avx2(const sparse_problem *p, size_t i0, size_t i1, size_t j, size_t width,
                                     const float *block, size_t stride) {
  float sums[BLOCK_COLS];
  const int vector_epilogue = p->activation != STRATUM_ACT_SIGMOID && p->activation != STRATUM_ACT_TANH;
  const size_t vectors = (width + 7) / 8;
  const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(width - (vectors - 1) * 8)),
                                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  __m256i masks[8];
  for (size_t q = 0; q < 8; q++) {
    if (q + 1 < vectors) {
      masks[q] = _mm256_set1_epi32(-1);
    } else if (q + 1 == vectors) {
      masks[q] = tail;
    } else {
      masks[q] = _mm256_setzero_si256();
    }
  }
  for (size_t i = i0; i < i1; i++) {
    float *out = p->c + i * p->n + j;
    __m256 s[8];
    for (int q = 0; q < 8; q++) s[q] = p->accumulate ? _mm256_maskload_ps(out + 8 * q, masks[q]) : _mm256_setzero_ps();
    if (width == BLOCK_COLS) {
      for (size_t e = p->a.start[i]; e < p->a.start[i + 1]; e++) {
        const __m256 v = _mm256_set1_ps(p->a.value[e]);
        const float *row = block + (size_t)p->a.index[e] * stride;
        for (int q = 0; q < 8; q++) s[q] = _mm256_fmadd_ps(v, _mm256_loadu_ps(row + 8 * q), s[q]);
      }
    } else {
      for (size_t e = p->a.start[i]; e < p->a.start[i + 1]; e++) {
        const __m256 v = _mm256_set1_ps(p->a.value[e]);
        const float *row = block + (size_t)p->a.index[e] * stride;
        for (int q = 0; q < 8; q++) s[q] = _mm256_fmadd_ps(v, _mm256_maskload_ps(row + 8 * q, masks[q]), s[q]);
      }
    }
    if (!vector_epilogue) {
      for (int q = 0; q < 8; q++) _mm256_storeu_ps(sums + 8 * q, s[q]);
      store_sums(p, i, j, width, sums);
      continue;
    }
    /* The epilogue of store_sums in vectors: the bias, then relu (NaN stays NaN). */
    for (int q = 0; q < 8; q++) {
      __m256 value = s[q];
      if (p->bias != NULL) value = _mm256_add_ps(value, _mm256_maskload_ps(p->bias + j + 8 * q, masks[q]));
      if (p->activation == STRATUM_ACT_RELU) {
        value = _mm256_blendv_ps(value, _mm256_setzero_ps(), _mm256_cmp_ps(value, _mm256_setzero_ps(), _CMP_LE_OQ));
      }
      _mm256_maskstore_ps(out + 8 * q, masks[q], value);
    }
  }
}

/*
 * Combines blocks [q0, q1) of BLOCK_ROWS rows over four vectors of 16
 * columns. Each step loads four vectors of b once for all the block's rows,
 * which gives 16 chains of multiply-adds. FULL is a constant at each call:
 * when it is set, all BLOCK_COLS columns are in use and the loads of b take
 * no mask. With masks, GCC reloaded them from the stack at every step, and on
 * the Xeon of bench/RESULTS.md the forward product of the large MLP's first
 * layer took 15% longer.
 */
static inline __attribute__((always_inline)) AVX512_TARGET void combine_blocks_avx512_body(
    const int FULL, const sparse_problem *p, size_t q0, size_t q1, size_t j, size_t width, const float *block, size_t stride) {
  float sums[BLOCK_COLS] __attribute__((aligned(64)));
  __mmask16 masks[4];
  for (size_t v = 0; v < 4; v++) {
    const size_t lanes = width > 16 * v ? min_size(width - 16 * v, 16) : 0;
    masks[v] = (__mmask16)((1u << lanes) - 1u);
  }
  const int32_t *index = p->blocks.index;
  for (size_t q = q0; q < q1; q++) {
    const size_t i0 = q * BLOCK_ROWS, rows = min_size(BLOCK_ROWS, p->m - i0);
    /* The rows past m repeat the last row, so that every read stays inside a. Their sums are not stored. */
    const float *a_rows[BLOCK_ROWS];
    for (size_t r = 0; r < BLOCK_ROWS; r++) a_rows[r] = p->a_values + (i0 + min_size(r, rows - 1)) * p->a_row_stride;
    __m512 acc[BLOCK_ROWS][4];
#pragma GCC unroll 4
    for (size_t r = 0; r < BLOCK_ROWS; r++) {
#pragma GCC unroll 4
      for (size_t v = 0; v < 4; v++) {
        acc[r][v] = p->accumulate && r < rows ? _mm512_maskz_loadu_ps(masks[v], p->c + (i0 + r) * p->n + j + 16 * v)
                                              : _mm512_setzero_ps();
      }
    }
    const size_t last = p->blocks.start[q + 1];
    for (size_t e = p->blocks.start[q]; e < last; e++) {
      const size_t step = (size_t)index[e];
      const float *row = block + step * stride;
      const size_t at = step * p->a_step_stride;
      __m512 b[4];
#pragma GCC unroll 4
      for (size_t v = 0; v < 4; v++) b[v] = FULL ? _mm512_loadu_ps(row + 16 * v) : _mm512_maskz_loadu_ps(masks[v], row + 16 * v);
#pragma GCC unroll 4
      for (size_t r = 0; r < BLOCK_ROWS; r++) {
        const __m512 x = _mm512_set1_ps(a_rows[r][at]);
#pragma GCC unroll 4
        for (size_t v = 0; v < 4; v++) acc[r][v] = _mm512_fmadd_ps(x, b[v], acc[r][v]);
      }
    }
    /* Unrolled with constant indices, so that the sums stay in registers. */
#pragma GCC unroll 4
    for (size_t r = 0; r < BLOCK_ROWS; r++) {
      if (r >= rows) break;
      if (p->activation == STRATUM_ACT_SIGMOID || p->activation == STRATUM_ACT_TANH) {
#pragma GCC unroll 4
        for (size_t v = 0; v < 4; v++) _mm512_store_ps(sums + 16 * v, acc[r][v]);
        store_sums(p, i0 + r, j, width, sums);
        continue;
      }
      /* The epilogue of store_sums in vectors: the bias, then relu (NaN stays NaN). */
      float *out = p->c + (i0 + r) * p->n + j;
#pragma GCC unroll 4
      for (size_t v = 0; v < 4; v++) {
        __m512 value = acc[r][v];
        if (p->bias != NULL) value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(masks[v], p->bias + j + 16 * v));
        if (p->activation == STRATUM_ACT_RELU) {
          value = _mm512_mask_mov_ps(value, _mm512_cmp_ps_mask(value, _mm512_setzero_ps(), _CMP_LE_OQ), _mm512_setzero_ps());
        }
        _mm512_mask_storeu_ps(out + 16 * v, masks[v], value);
      }
    }
  }
}

AVX512_TARGET static void combine_blocks_avx512(const sparse_problem *p, size_t q0, size_t q1, size_t j, size_t width,
                                                const float *block, size_t stride) {
  if (width == BLOCK_COLS) {
    combine_blocks_avx512_body(1, p, q0, q1, j, width, block, stride);
  } else {
    combine_blocks_avx512_body(0, p, q0, q1, j, width, block, stride);
  }
}
#endif

static combine_fn select_combine(void) {
#if defined(__x86_64__) && defined(__GNUC__)
  switch (stratum_cpu_isa()) {
    case STRATUM_ISA_AVX512:
      return combine_blocks_avx512;
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
  /* Tasks per block of columns, each over p->rows_per_task rows or blocks of rows. */
  size_t row_groups;
  /* Rows of c, or blocks of rows on the path by block. */
  size_t units;
  /* The panels, one per block of columns, or NULL when b is one block wide. */
  float *panels;
  /* Per packing task: 1 when its rows of b contain NaN or infinity. */
  unsigned char *non_finite;
  /* Steps 0 .. k - 1, for a block of columns of b that contains NaN or infinity, or NULL. */
  int32_t *all_steps;
} sparse_run;

/*
 * Returns the floats from one packed panel to the next. A panel of k x
 * BLOCK_COLS floats is a multiple of 4 KiB whenever k is a multiple of 16.
 * One more cache line between panels keeps the copies of a row of b out of a
 * single L1 set.
 */
static size_t panel_floats(size_t k) { return k * BLOCK_COLS + 16; }

/* Rows of b that one packing task copies. */
#define PACK_TASK_ROWS 64

/* Rows of b ahead of the copy that pack_and_combine_task prefetches. */
#define PREFETCH_ROWS 8

/*
 * On the path by block, each task packs and combines one block of columns
 * when there are at least this many blocks per thread, so that the tasks
 * still share the work evenly.
 */
#define PACKING_TASK_BLOCKS_PER_THREAD 2

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
      memcpy(panel_row + block * panel_floats(p->k), row + block * BLOCK_COLS, BLOCK_COLS * sizeof(float));
    }
    if (tail > 0) memcpy(panel_row + full_blocks * panel_floats(p->k), row + full_blocks * BLOCK_COLS, tail * sizeof(float));
  }
}

/* One task: a range of rows of c, or of blocks of rows, in one block of columns. */
static void combine_task(void *context, size_t task) {
  const sparse_run *run = context;
  const sparse_problem *p = run->p;
  const size_t block = task / run->row_groups, group = task % run->row_groups;
  const size_t j = block * BLOCK_COLS, width = min_size(BLOCK_COLS, p->n - j);
  const size_t i0 = group * p->rows_per_task, i1 = min_size(i0 + p->rows_per_task, run->units);
  if (run->panels == NULL) {
    run->combine(p, i0, i1, j, width, p->b + j, p->n);
  } else {
    run->combine(p, i0, i1, j, width, run->panels + block * panel_floats(p->k), BLOCK_COLS);
  }
}

/*
 * Packs one block of columns of b into its panel and computes that block of c,
 * on the path by block. The thread that packs a panel is the one that reads
 * it, so within a call the panel stays in one core's caches. Leaving out a
 * zero of a is exact only when the block's columns of b are finite. Otherwise
 * the block keeps every step, which gives the dense kernels' chain of
 * multiply-adds and so their bits.
 */
static void pack_and_combine_task(void *context, size_t block) {
  const sparse_run *run = context;
  const sparse_problem *p = run->p;
  const size_t j = block * BLOCK_COLS, width = min_size(BLOCK_COLS, p->n - j);
  float *panel = run->panels + block * panel_floats(p->k);
  int non_finite = 0;
  for (size_t r = 0; r < p->k; r++) {
    const float *row = p->b + r * p->n + j;
    /* Consecutive rows lie n floats apart, which the hardware prefetcher may not follow, so fetch a few rows ahead. */
    if (r + PREFETCH_ROWS < p->k) {
      for (size_t line = 0; line < width; line += 16) __builtin_prefetch(row + PREFETCH_ROWS * p->n + line);
    }
    float *out = panel + r * BLOCK_COLS;
    /* A constant size lets the compiler inline the copy of a whole block. */
    if (width == BLOCK_COLS) {
      memcpy(out, row, BLOCK_COLS * sizeof(float));
    } else {
      memcpy(out, row, width * sizeof(float));
      if (k_find_non_finite_serial(out, width) >= 0) non_finite = 1;
    }
  }
  /* A whole-width panel is contiguous, so one scan checks all of it. */
  if (width == BLOCK_COLS && k_find_non_finite_serial(panel, p->k * BLOCK_COLS) >= 0) non_finite = 1;
  if (!non_finite) {
    run->combine(p, 0, run->units, j, width, panel, BLOCK_COLS);
    return;
  }
  /* Each block of rows runs as block 0 of a view of the problem that starts at its first row, with every step. */
  size_t every_step[2] = {0, p->k};
  for (size_t q = 0; q < run->units; q++) {
    sparse_problem rows = *p;
    rows.blocks.start = every_step;
    rows.blocks.index = run->all_steps;
    rows.a_values = p->a_values + q * BLOCK_ROWS * p->a_row_stride;
    rows.c = p->c + q * BLOCK_ROWS * p->n;
    rows.m = p->m - q * BLOCK_ROWS;
    run->combine(&rows, 0, 1, j, width, panel, BLOCK_COLS);
  }
}

/* Returns `bytes` rounded up to a whole number of 64-byte cache lines. */
static size_t line_bytes(size_t bytes) { return (bytes + 63) / 64 * 64; }

/* Carves `bytes` bytes, rounded up to whole cache lines, off the front of *next and returns them. */
static void *carve(char **next, size_t bytes) {
  void *front = *next;
  *next += line_bytes(bytes);
  return front;
}

int stratum_sgemm_sparse_a(int transpose_a, size_t m, size_t n, size_t k, const float *a, const float *b, float *c,
                           int accumulate, const float *bias, int activation) {
  const int by_block = stratum_cpu_isa() == STRATUM_ISA_AVX512;
  if (m * n * k < SPARSE_MIN_FMAS || n < 16 || k < 16) return 0;
  /* The rows of a as stored: m rows of k without transposition, k rows of m with it. */
  const size_t rows = transpose_a ? k : m, cols = transpose_a ? m : k;
  const size_t blocks = (m + BLOCK_ROWS - 1) / BLOCK_ROWS;

  /* How many entries the description of op(a) needs: nonzero entries by row, kept steps by block. */
  size_t entries;
  uint64_t *bits = NULL;
  size_t *block_counts = NULL;
  if (by_block) {
    char *masks = stratum_thread_scratch(STRATUM_SCRATCH_SPARSE_MASKS, rows * words_for(cols) * sizeof(uint64_t) +
                                                                           blocks * sizeof(size_t));
    if (masks == NULL) return 0;
    bits = (uint64_t *)(void *)masks;
    block_counts = (size_t *)(void *)(masks + rows * words_for(cols) * sizeof(uint64_t));
    if (!count_sparse_blocks(a, transpose_a, m, k, bits, block_counts, &entries)) return 0;
  } else {
    entries = count_nonzero(a, rows * cols);
    if ((double)entries > SPARSE_MAX_DENSITY * (double)(rows * cols)) return 0;
  }

  /* All scratch comes from one buffer, taken before c is written, so that without memory c is left to the dense path. */
  const size_t slack = 16;
  const size_t column_blocks = (n + BLOCK_COLS - 1) / BLOCK_COLS;
  /* Multiply-adds of a row of b per entry. */
  const size_t rows_per_entry = by_block ? BLOCK_ROWS : 1;
  const size_t start_count = by_block ? blocks + 1 : rows + 1 + (transpose_a ? m + 1 : 0);
  const size_t entry_sets = !by_block && transpose_a ? 2 : 1;
  const size_t panel_bytes = n > BLOCK_COLS ? column_blocks * panel_floats(k) * sizeof(float) : 0;
  const size_t pack_tasks = (k + PACK_TASK_ROWS - 1) / PACK_TASK_ROWS;
  /* Whether each task packs the block of columns that it combines (see pack_and_combine_task). */
  const int pack_in_tasks =
      by_block && panel_bytes > 0 && column_blocks >= PACKING_TASK_BLOCKS_PER_THREAD * (size_t)stratum_pool_threads();
  const size_t flag_bytes = panel_bytes > 0 && !pack_in_tasks ? pack_tasks : 0;
  const size_t all_steps_bytes = pack_in_tasks ? k * sizeof(int32_t) : 0;
  const size_t entry_bytes =
      (by_block ? 0 : line_bytes((entries + slack) * sizeof(float))) + line_bytes((entries + slack) * sizeof(int32_t));
  char *next = stratum_thread_scratch(STRATUM_SCRATCH_SPARSE, line_bytes(flag_bytes) + line_bytes(all_steps_bytes) +
                                                                  panel_bytes + line_bytes(start_count * sizeof(size_t)) +
                                                                  entry_sets * entry_bytes);
  if (next == NULL) return 0;
  unsigned char *non_finite = carve(&next, flag_bytes);
  int32_t *all_steps = pack_in_tasks ? carve(&next, all_steps_bytes) : NULL;
  float *panels = panel_bytes > 0 ? carve(&next, panel_bytes) : NULL;
  size_t *starts = carve(&next, start_count * sizeof(size_t));

  /*
   * Leaving out a zero of a is exact only when b is finite, because 0 · NaN
   * and 0 · ∞ must give NaN. The packing checks b as it copies it. Packing
   * in the combining tasks handles NaN and infinity by block of columns, so
   * it needs no check before them.
   */
  sparse_problem p = {{NULL, NULL, NULL}, {NULL, NULL}, a, transpose_a ? 1 : k, transpose_a ? m : 1, m, n, k, b, c,
                      accumulate, bias, activation, column_blocks, m};
  sparse_run run = {&p, select_combine(), 1, by_block ? blocks : m, panels, non_finite, all_steps};
  if (pack_in_tasks) {
    for (size_t step = 0; step < k; step++) all_steps[step] = (int32_t)step;
  } else if (panels != NULL) {
    if (entries * rows_per_entry * n < SPARSE_TASK_FMAS) {
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

  if (by_block) {
    p.blocks.start = starts;
    p.blocks.start[0] = 0;
    for (size_t q = 0; q < blocks; q++) p.blocks.start[q + 1] = p.blocks.start[q] + block_counts[q];
    p.blocks.index = carve(&next, (entries + slack) * sizeof(int32_t));
    collect_block_steps(bits, transpose_a, m, k, &p.blocks);
  } else {
    sparse_rows stored = {starts, NULL, NULL};
    stored.value = carve(&next, (entries + slack) * sizeof(float));
    stored.index = carve(&next, (entries + slack) * sizeof(int32_t));
    collect_nonzero(a, rows, cols, &stored);
    p.a = stored;
    if (transpose_a) {
      sparse_rows transposed = {starts + rows + 1, NULL, NULL};
      transposed.value = carve(&next, (entries + slack) * sizeof(float));
      transposed.index = carve(&next, (entries + slack) * sizeof(int32_t));
      transpose_entries(&stored, k, m, &transposed);
      p.a = transposed;
    }
  }
  /* About one task per SPARSE_TASK_FMAS multiply-adds. Each row is computed alike in any split. */
  const size_t fmas = entries * rows_per_entry * n;
  if (pack_in_tasks) {
    if (fmas < SPARSE_TASK_FMAS) {
      for (size_t block = 0; block < column_blocks; block++) pack_and_combine_task(&run, block);
    } else {
      stratum_pool_run(column_blocks, pack_and_combine_task, &run);
    }
    return 1;
  }
  size_t groups = fmas / SPARSE_TASK_FMAS / column_blocks;
  groups = groups < 1 ? 1 : (groups > 16 ? 16 : groups);
  p.rows_per_task = (run.units + groups - 1) / groups;
  run.row_groups = (run.units + p.rows_per_task - 1) / p.rows_per_task;
  const size_t tasks = column_blocks * run.row_groups;
  if (fmas < SPARSE_TASK_FMAS) {
    /* Too little work to wake the other threads. */
    for (size_t task = 0; task < tasks; task++) combine_task(&run, task);
  } else {
    stratum_pool_run(tasks, combine_task, &run);
  }
  return 1;
}
