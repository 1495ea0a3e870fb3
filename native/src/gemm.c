/*
 * Single-precision GEMM: cache-blocked, packed, with register-blocked
 * microkernels for AVX-512, AVX2+FMA and portable C, picked at run time.
 *
 * Every element of c is one multiply-add chain over p = 0, 1, ..., k-1 that
 * starts from 0 (or from the old c when accumulating). Blocking, packing,
 * tiling and threads only decide where the running sums live between steps,
 * never their order. So the result does not depend on the thread count or on
 * the path taken, and AVX-512 and AVX2, which both use fused multiply-add,
 * give the same bits. No product is skipped, so NaN and infinity propagate
 * as IEEE 754 arithmetic requires.
 *
 * The output is split into tiles, one task each, and one of two paths
 * computes a tile:
 *  - direct: the microkernel reads a and b in place, over all of k. A
 *    transposed b is packed one NR-wide panel at a time, because the kernels
 *    load rows of op(b) as vectors, and each panel is swept down the tile
 *    before the next is packed. Used while op(b) fits in L2 or a has few rows
 *    (a fits in L2 when b is transposed), where packing would cost more than
 *    it saves.
 *  - packed: for each block of KC steps of k, a KC x tile_n block of op(b) is
 *    packed into NR-wide micro-panels kept in L2. Each MR-row micro-panel of
 *    a is packed into a buffer kept in L1 and swept across the block.
 *
 * An optional epilogue adds a bias row and applies an activation as the
 * final sums leave the registers, so a dense layer's forward pass writes its
 * output once. Bias and relu happen in the kernels' stores. Sigmoid and tanh
 * run over each micro-tile right after its store, while it is in L1. Every
 * path applies the epilogue to the same final sums, so it keeps the results
 * independent of threads and paths.
 *
 * NOTE: the portable kernel rounds each product and sum separately, because
 * binding.gyp and native/Makefile build with -ffp-contract=off, so its
 * results differ in the last bits from the AVX2 and AVX-512 ones.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gemm.h"
#include "sparse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "threadpool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define AVX512_MR 14
#define AVX512_NR 32
#define AVX2_MR 6
#define AVX2_NR 16
#define PORTABLE_MR 4
#define PORTABLE_NR 8

/*
 * Steps of k per packed block. A packed A micro-panel is MR x KC floats
 * (14 KiB for AVX-512), so it stays in a 32 KiB L1 data cache.
 */
#define KC 256

/* Floats between the rows of a packed micro-panel of a (see pack_a). */
#define PACKED_A_STRIDE (KC + 16)

/*
 * Floats between consecutive packed micro-panels of op(b) beyond the panel
 * itself. A panel of KC x NR floats is a multiple of 4 KiB, so without the
 * gap, packing one row of op(b) would write to the same L1 set in every panel.
 */
#define PACKED_B_PANEL_PAD 16

/* Columns of op(b) packed at a time: a KC x TILE_N block is 512 KiB, half of a 1 MiB L2. */
#define TILE_N 512

/* Packing a micro-panel of a non-transposed a pays off when it is reused across this many panels of op(b). */
#define PACK_A_MIN_PANELS 4

/* Problems below this many multiply-adds run as one task on the calling thread. */
#define PARALLEL_MIN_FMAS ((size_t)2 << 20)

/*
 * Target multiply-adds per task when splitting a problem across threads. A
 * product of 2.6 million, such as the 10-unit output layer after a 1024-unit
 * layer at batch 256, then runs as two tasks.
 */
#define TASK_FMAS ((size_t)1 << 20)

/*
 * The direct path reads op(b) in place, so it wins while op(b) stays in L2
 * (at most DIRECT_MAX_FLOATS floats), or while a has so few rows that op(b)
 * is swept only a few times. With a transposed b the direct path instead
 * sweeps all of a once per packed panel of op(b), so it wins while a (at most
 * DIRECT_MAX_TRANSPOSED_B_A_FLOATS floats) stays in L2. The limits were
 * measured on one Zen 4 core with 1 MiB of L2.
 */
#define DIRECT_MAX_FLOATS ((size_t)160 << 10)
#define DIRECT_MAX_TRANSPOSED_B_A_FLOATS ((size_t)64 << 10)
#define DIRECT_MAX_ROW_PANELS 4

/*
 * A product with fewer than SWAP_MAX_N columns, such as a Dense layer with 10
 * units, fills only n of the NR lanes of each kernel tile. It is computed as
 * cᵀ = op(b)ᵀ · op(a)ᵀ instead, whose n rows fill most of an MR-row tile,
 * when it has at least SWAP_MIN_FMAS multiply-adds and at least SWAP_MIN_M
 * rows to become the columns.
 */
#define SWAP_MAX_N 16
#define SWAP_MIN_M 64
#define SWAP_MIN_FMAS ((size_t)1 << 20)

/* Set only by tests, to force a path. PATH_AUTO picks one from the problem size. */
typedef enum { PATH_AUTO, PATH_DIRECT, PATH_PACKED, PATH_SWAPPED } gemm_path;
static gemm_path path_override = PATH_AUTO;

/*
 * The part of the epilogue that a kernel applies in its store: `bias` points
 * at the bias of the tile's first column (NULL for none), and `relu` maps
 * x <= 0 to +0 (NaN stays NaN).
 */
typedef struct {
  const float *bias;
  int relu;
} store_epilogue;

/*
 * A microkernel updates an mr x nr tile of c (mr <= MR, nr <= NR) with kc
 * steps of k. Element (i, p) of op(a) is at a[i * rsa + p * csa], element
 * (p, j) of op(b) at b[p * rsb + j]. When load_c is zero the sums start at 0,
 * otherwise at the current c. It reads only mr rows of a. Packed panels of
 * op(b) are padded with zeros to NR columns, and the kernel reads the padding
 * but stores only mr x nr. With a non-NULL `ep`, the kernel applies it to the
 * sums before storing them.
 */
typedef void (*microkernel_fn)(size_t kc, const float *a, size_t rsa, size_t csa, const float *b, size_t rsb,
                               float *c, size_t ldc, size_t mr, size_t nr, int load_c, const store_epilogue *ep);

/*
 * A row kernel updates 1 x cols of c (cols <= row_nr) like a microkernel with
 * mr = 1. It keeps more independent sums than an MR x NR kernel running one
 * row, so single-row products are not limited by the multiply-add latency.
 */
typedef void (*row_kernel_fn)(size_t kc, const float *a, size_t csa, const float *b, size_t rsb, float *c,
                              size_t cols, int load_c, const store_epilogue *ep);

/*
 * A transposed-b packer fills one kc x nr row-major micro-panel of op(b) from
 * `width` columns (width <= nr), where element (p, j) of op(b) is at
 * src[j * ld + p], and sets the columns past `width` to 0. It only copies, so
 * every packer gives the same panel.
 */
typedef void (*pack_transposed_fn)(const float *src, size_t ld, size_t kc, size_t width, size_t nr, float *dst);

typedef struct {
  size_t mr;
  size_t nr;
  microkernel_fn strided; /* any rsa, csa and rsb, reads only the mr x nr tile */
  size_t row_nr;
  row_kernel_fn row; /* NULL when the instruction set has none */
  pack_transposed_fn pack_b_transposed;
} kernel_set;

/* ------------------------------------------------------------------------ */
/* Portable C kernel                                                         */
/* ------------------------------------------------------------------------ */

static void portable_kernel(size_t kc, const float *a, size_t rsa, size_t csa, const float *b, size_t rsb, float *c,
                            size_t ldc, size_t mr, size_t nr, int load_c, const store_epilogue *ep) {
  float acc[PORTABLE_MR][PORTABLE_NR] = {{0}};
  float brow[PORTABLE_NR] = {0};
  if (load_c) {
    for (size_t i = 0; i < mr; i++)
      for (size_t j = 0; j < nr; j++) acc[i][j] = c[i * ldc + j];
  }
  for (size_t p = 0; p < kc; p++) {
    const float *bp = b + p * rsb;
    for (size_t j = 0; j < nr; j++) brow[j] = bp[j];
    for (size_t i = 0; i < mr; i++) {
      float ai = a[i * rsa + p * csa];
      for (size_t j = 0; j < PORTABLE_NR; j++) acc[i][j] += ai * brow[j];
    }
  }
  const float *bias = ep != NULL ? ep->bias : NULL;
  const int relu = ep != NULL && ep->relu;
  for (size_t i = 0; i < mr; i++) {
    for (size_t j = 0; j < nr; j++) {
      float value = acc[i][j];
      if (bias != NULL) value += bias[j];
      if (relu && value <= 0.0f) value = 0.0f;
      c[i * ldc + j] = value;
    }
  }
}

/* Reads each column of op(b) once, in order, because a transposed b stores the columns contiguously. */
static void portable_pack_b_transposed(const float *src, size_t ld, size_t kc, size_t width, size_t nr, float *dst) {
  for (size_t j = 0; j < width; j++) {
    const float *column = src + j * ld;
    for (size_t p = 0; p < kc; p++) dst[p * nr + j] = column[p];
  }
  for (size_t p = 0; p < kc; p++)
    for (size_t j = width; j < nr; j++) dst[p * nr + j] = 0.0f;
}

static const kernel_set portable_kernels = {PORTABLE_MR, PORTABLE_NR, portable_kernel,
                                            0,           NULL,        portable_pack_b_transposed};

#if defined(__x86_64__)

/* ------------------------------------------------------------------------ */
/* AVX-512 kernels: 14 x 32 tile, 28 zmm accumulators                        */
/* ------------------------------------------------------------------------ */

#define AVX512_TARGET __attribute__((target("avx512f,avx512vl,avx512dq")))

/* Vectors of 16 per call of the row kernel. */
#define AVX512_ROW_VECS 8

/*
 * Updates a ROWS x (16 * VECS) tile, with ROWS * VECS <= 28. Every argument
 * named in capitals is a compile-time constant at each call, so the loops
 * unroll and the sums stay in registers. Rows from store_rows on are computed
 * but not stored. The last vector of each row loads and stores only the lanes
 * in last_mask, and so do the loads of b when MASK_B is set.
 */
static inline __attribute__((always_inline)) AVX512_TARGET void avx512_tile(
    const int ROWS, const int VECS, const int MASK_B, size_t kc, const float *a, size_t rsa, size_t csa,
    const float *b, size_t rsb, float *c, size_t ldc, size_t store_rows, __mmask16 last_mask, int load_c, const store_epilogue *ep) {
  __m512 acc[AVX512_MR][AVX512_ROW_VECS];
  __mmask16 masks[AVX512_ROW_VECS];
  for (int v = 0; v < AVX512_ROW_VECS; v++) masks[v] = v == VECS - 1 ? last_mask : (__mmask16)0xFFFF;
#pragma GCC unroll 14
  for (int i = 0; i < ROWS; i++) {
#pragma GCC unroll 8
    for (int v = 0; v < VECS; v++) {
      acc[i][v] = (load_c && (size_t)i < store_rows) ? _mm512_maskz_loadu_ps(masks[v], c + i * ldc + 16 * v)
                                                     : _mm512_setzero_ps();
    }
  }
  for (size_t p = 0; p < kc; p++) {
    const float *bp = b + p * rsb;
    const float *ap = a + p * csa;
    __m512 bv[AVX512_ROW_VECS];
#pragma GCC unroll 8
    for (int v = 0; v < VECS; v++) bv[v] = MASK_B ? _mm512_maskz_loadu_ps(masks[v], bp + 16 * v) : _mm512_loadu_ps(bp + 16 * v);
#pragma GCC unroll 14
    for (int i = 0; i < ROWS; i++) {
      __m512 ai = _mm512_set1_ps(ap[i * rsa]);
#pragma GCC unroll 8
      for (int v = 0; v < VECS; v++) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
    }
  }
  if (ep != NULL) {
    const __m512 zero = _mm512_setzero_ps();
    __m512 bias[AVX512_ROW_VECS];
#pragma GCC unroll 8
    for (int v = 0; v < VECS; v++) bias[v] = ep->bias != NULL ? _mm512_maskz_loadu_ps(masks[v], ep->bias + 16 * v) : zero;
#pragma GCC unroll 14
    for (int i = 0; i < ROWS; i++) {
#pragma GCC unroll 8
      for (int v = 0; v < VECS; v++) {
        if (ep->bias != NULL) acc[i][v] = _mm512_add_ps(acc[i][v], bias[v]);
        if (ep->relu) acc[i][v] = _mm512_mask_mov_ps(acc[i][v], _mm512_cmp_ps_mask(acc[i][v], zero, _CMP_LE_OQ), zero);
      }
    }
  }
#pragma GCC unroll 14
  for (int i = 0; i < ROWS; i++) {
    if ((size_t)i >= store_rows) break;
#pragma GCC unroll 8
    for (int v = 0; v < VECS; v++) _mm512_mask_storeu_ps(c + i * ldc + 16 * v, masks[v], acc[i][v]);
  }
}

/* Returns the mask of the lanes to use in the last vector of an nr-wide row. */
static inline AVX512_TARGET __mmask16 avx512_last_mask(size_t nr) {
  size_t lanes = nr - (nr - 1) / 16 * 16;
  return (__mmask16)((1u << lanes) - 1u);
}

#define AVX512_STRIDED_CASE(R)                                                          \
  case R:                                                                               \
    if (nr == 32)                                                                       \
      avx512_tile(R, 2, 0, kc, a, rsa, csa, b, rsb, c, ldc, R, last, load_c, ep);           \
    else if (nr > 16)                                                                   \
      avx512_tile(R, 2, 1, kc, a, rsa, csa, b, rsb, c, ldc, R, last, load_c, ep);           \
    else                                                                                \
      avx512_tile(R, 1, 1, kc, a, rsa, csa, b, rsb, c, ldc, R, last, load_c, ep);           \
    break;

static AVX512_TARGET void avx512_strided_kernel(size_t kc, const float *a, size_t rsa, size_t csa, const float *b,
                                                size_t rsb, float *c, size_t ldc, size_t mr, size_t nr, int load_c, const store_epilogue *ep) {
  __mmask16 last = avx512_last_mask(nr);
  switch (mr) {
    AVX512_STRIDED_CASE(1)
    AVX512_STRIDED_CASE(2)
    AVX512_STRIDED_CASE(3)
    AVX512_STRIDED_CASE(4)
    AVX512_STRIDED_CASE(5)
    AVX512_STRIDED_CASE(6)
    AVX512_STRIDED_CASE(7)
    AVX512_STRIDED_CASE(8)
    AVX512_STRIDED_CASE(9)
    AVX512_STRIDED_CASE(10)
    AVX512_STRIDED_CASE(11)
    AVX512_STRIDED_CASE(12)
    AVX512_STRIDED_CASE(13)
    AVX512_STRIDED_CASE(14)
    default:
      break;
  }
}

#define AVX512_ROW_CASE(V)                                                                              \
  case V:                                                                                               \
    avx512_tile(1, V, 1, kc, a, 0, csa, b, rsb, c, 0, 1, (__mmask16)((1u << (cols - 16 * (V - 1))) - 1u), load_c, ep); \
    break;

static AVX512_TARGET void avx512_row_kernel(size_t kc, const float *a, size_t csa, const float *b, size_t rsb,
                                            float *c, size_t cols, int load_c, const store_epilogue *ep) {
  switch ((cols + 15) / 16) {
    AVX512_ROW_CASE(1)
    AVX512_ROW_CASE(2)
    AVX512_ROW_CASE(3)
    AVX512_ROW_CASE(4)
    AVX512_ROW_CASE(5)
    AVX512_ROW_CASE(6)
    AVX512_ROW_CASE(7)
    AVX512_ROW_CASE(8)
    default:
      break;
  }
}

static void avx2_pack_b_transposed(const float *src, size_t ld, size_t kc, size_t width, size_t nr, float *dst);

/* The AVX2 transposed-b packer serves AVX-512 too, since every AVX-512 CPU has AVX2. */
static const kernel_set avx512_kernels = {AVX512_MR,          AVX512_NR,        avx512_strided_kernel,
                                          16 * AVX512_ROW_VECS, avx512_row_kernel, avx2_pack_b_transposed};

/* ------------------------------------------------------------------------ */
/* AVX2 kernels: 6 x 16 tile, 12 ymm accumulators                            */
/* ------------------------------------------------------------------------ */

#define AVX2_TARGET __attribute__((target("avx2,fma")))

/* Vectors of 8 per call of the row kernel. */
#define AVX2_ROW_VECS 8

/*
 * VMASKMOVPS is slow on the AMD EPYC with AVX2 only of bench/RESULTS.md,
 * where a row kernel whose loads were all masked ran at 3.8 GFLOP/s instead
 * of 27. So only a vector with unused lanes goes through the mask, and a
 * full one is loaded and stored plainly.
 */
static inline __attribute__((always_inline)) AVX2_TARGET __m256 avx2_load_lanes(const float *p, __m256i mask, int full) {
  return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask);
}

static inline __attribute__((always_inline)) AVX2_TARGET void avx2_store_lanes(float *p, __m256i mask, int full, __m256 x) {
  if (full)
    _mm256_storeu_ps(p, x);
  else
    _mm256_maskstore_ps(p, mask, x);
}

/*
 * The AVX2 counterpart of avx512_tile, with ROWS * VECS <= 12. last_mask has
 * all bits set in the lanes to use. MASK_B is set only when the last vector
 * has unused lanes.
 */
static inline __attribute__((always_inline)) AVX2_TARGET void avx2_tile(
    const int ROWS, const int VECS, const int MASK_B, size_t kc, const float *a, size_t rsa, size_t csa,
    const float *b, size_t rsb, float *c, size_t ldc, size_t store_rows, __m256i last_mask, int load_c, const store_epilogue *ep) {
  __m256 acc[AVX2_MR][AVX2_ROW_VECS];
  __m256i masks[AVX2_ROW_VECS];
  int full[AVX2_ROW_VECS];
  const int last_full = _mm256_movemask_ps(_mm256_castsi256_ps(last_mask)) == 0xFF;
  for (int v = 0; v < AVX2_ROW_VECS; v++) {
    masks[v] = v == VECS - 1 ? last_mask : _mm256_set1_epi32(-1);
    full[v] = v < VECS - 1 || last_full;
  }
#pragma GCC unroll 6
  for (int i = 0; i < ROWS; i++) {
#pragma GCC unroll 8
    for (int v = 0; v < VECS; v++) {
      acc[i][v] = (load_c && (size_t)i < store_rows) ? avx2_load_lanes(c + i * ldc + 8 * v, masks[v], full[v])
                                                     : _mm256_setzero_ps();
    }
  }
  for (size_t p = 0; p < kc; p++) {
    const float *bp = b + p * rsb;
    const float *ap = a + p * csa;
    __m256 bv[AVX2_ROW_VECS];
#pragma GCC unroll 8
    for (int v = 0; v < VECS; v++) {
      bv[v] = MASK_B && v == VECS - 1 ? _mm256_maskload_ps(bp + 8 * v, masks[v]) : _mm256_loadu_ps(bp + 8 * v);
    }
#pragma GCC unroll 6
    for (int i = 0; i < ROWS; i++) {
      __m256 ai = _mm256_broadcast_ss(ap + i * rsa);
#pragma GCC unroll 8
      for (int v = 0; v < VECS; v++) acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
    }
  }
  if (ep != NULL) {
    const __m256 zero = _mm256_setzero_ps();
    __m256 bias[AVX2_ROW_VECS];
#pragma GCC unroll 8
    for (int v = 0; v < VECS; v++) bias[v] = ep->bias != NULL ? avx2_load_lanes(ep->bias + 8 * v, masks[v], full[v]) : zero;
#pragma GCC unroll 6
    for (int i = 0; i < ROWS; i++) {
#pragma GCC unroll 8
      for (int v = 0; v < VECS; v++) {
        if (ep->bias != NULL) acc[i][v] = _mm256_add_ps(acc[i][v], bias[v]);
        if (ep->relu) acc[i][v] = _mm256_blendv_ps(acc[i][v], zero, _mm256_cmp_ps(acc[i][v], zero, _CMP_LE_OQ));
      }
    }
  }
#pragma GCC unroll 6
  for (int i = 0; i < ROWS; i++) {
    if ((size_t)i >= store_rows) break;
#pragma GCC unroll 8
    for (int v = 0; v < VECS; v++) avx2_store_lanes(c + i * ldc + 8 * v, masks[v], full[v], acc[i][v]);
  }
}

/* Returns the mask of the lanes to use in the last vector of an nr-wide row, for nr <= 8 * AVX2_ROW_VECS. */
static inline AVX2_TARGET __m256i avx2_last_mask(size_t nr) {
  int lanes = (int)(nr - (nr - 1) / 8 * 8);
  __m256i lane_index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), lane_index);
}

#define AVX2_STRIDED_CASE(R)                                                      \
  case R:                                                                         \
    if (nr == 16)                                                                 \
      avx2_tile(R, 2, 0, kc, a, rsa, csa, b, rsb, c, ldc, R, last, load_c, ep);       \
    else if (nr > 8)                                                              \
      avx2_tile(R, 2, 1, kc, a, rsa, csa, b, rsb, c, ldc, R, last, load_c, ep);       \
    else if (nr == 8)                                                             \
      avx2_tile(R, 1, 0, kc, a, rsa, csa, b, rsb, c, ldc, R, last, load_c, ep);       \
    else                                                                          \
      avx2_tile(R, 1, 1, kc, a, rsa, csa, b, rsb, c, ldc, R, last, load_c, ep);       \
    break;

static AVX2_TARGET void avx2_strided_kernel(size_t kc, const float *a, size_t rsa, size_t csa, const float *b,
                                            size_t rsb, float *c, size_t ldc, size_t mr, size_t nr, int load_c, const store_epilogue *ep) {
  __m256i last = avx2_last_mask(nr);
  switch (mr) {
    AVX2_STRIDED_CASE(1)
    AVX2_STRIDED_CASE(2)
    AVX2_STRIDED_CASE(3)
    AVX2_STRIDED_CASE(4)
    AVX2_STRIDED_CASE(5)
    AVX2_STRIDED_CASE(6)
    default:
      break;
  }
}

#define AVX2_ROW_CASE(V)                                                                 \
  case V:                                                                                \
    if (cols % 8 == 0)                                                                   \
      avx2_tile(1, V, 0, kc, a, 0, csa, b, rsb, c, 0, 1, avx2_last_mask(cols), load_c, ep);  \
    else                                                                                 \
      avx2_tile(1, V, 1, kc, a, 0, csa, b, rsb, c, 0, 1, avx2_last_mask(cols), load_c, ep);  \
    break;

static AVX2_TARGET void avx2_row_kernel(size_t kc, const float *a, size_t csa, const float *b, size_t rsb, float *c,
                                        size_t cols, int load_c, const store_epilogue *ep) {
  switch ((cols + 7) / 8) {
    AVX2_ROW_CASE(1)
    AVX2_ROW_CASE(2)
    AVX2_ROW_CASE(3)
    AVX2_ROW_CASE(4)
    AVX2_ROW_CASE(5)
    AVX2_ROW_CASE(6)
    AVX2_ROW_CASE(7)
    AVX2_ROW_CASE(8)
    default:
      break;
  }
}

/*
 * Transposes 8 columns x 8 steps of op(b) in registers, so that each load
 * and store moves 8 floats. Element (p, j) of op(b) is at src[j * ld + p],
 * and output row p goes to dst + p * nr.
 */
static inline __attribute__((always_inline)) AVX2_TARGET void avx2_transpose_8x8(const float *src, size_t ld,
                                                                                  float *dst, size_t nr) {
  __m256 r0 = _mm256_loadu_ps(src);
  __m256 r1 = _mm256_loadu_ps(src + ld);
  __m256 r2 = _mm256_loadu_ps(src + 2 * ld);
  __m256 r3 = _mm256_loadu_ps(src + 3 * ld);
  __m256 r4 = _mm256_loadu_ps(src + 4 * ld);
  __m256 r5 = _mm256_loadu_ps(src + 5 * ld);
  __m256 r6 = _mm256_loadu_ps(src + 6 * ld);
  __m256 r7 = _mm256_loadu_ps(src + 7 * ld);
  /* Interleave pairs of columns: t0 = (c0[0], c1[0], c0[1], c1[1] | c0[4], c1[4], c0[5], c1[5]) and so on. */
  __m256 t0 = _mm256_unpacklo_ps(r0, r1);
  __m256 t1 = _mm256_unpackhi_ps(r0, r1);
  __m256 t2 = _mm256_unpacklo_ps(r2, r3);
  __m256 t3 = _mm256_unpackhi_ps(r2, r3);
  __m256 t4 = _mm256_unpacklo_ps(r4, r5);
  __m256 t5 = _mm256_unpackhi_ps(r4, r5);
  __m256 t6 = _mm256_unpacklo_ps(r6, r7);
  __m256 t7 = _mm256_unpackhi_ps(r6, r7);
  /* Gather four columns per step within each 128-bit half: u0 contains steps 0 and 4 of columns 0-3. */
  __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44);
  __m256 u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44);
  __m256 u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44);
  __m256 u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44);
  __m256 u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  /* Join the halves of columns 0-3 and 4-7 into full rows of op(b). */
  _mm256_storeu_ps(dst, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(dst + nr, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(dst + 2 * nr, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(dst + 3 * nr, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(dst + 4 * nr, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(dst + 5 * nr, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(dst + 6 * nr, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(dst + 7 * nr, _mm256_permute2f128_ps(u3, u7, 0x31));
}

/* Packs a transposed b in 8 x 8 blocks, with scalar copies for the last kc % 8 steps and width % 8 columns. */
static AVX2_TARGET void avx2_pack_b_transposed(const float *src, size_t ld, size_t kc, size_t width, size_t nr,
                                               float *dst) {
  size_t block_cols = width / 8 * 8;
  size_t block_steps = kc / 8 * 8;
  for (size_t j = 0; j < block_cols; j += 8) {
    const float *columns = src + j * ld;
    for (size_t p = 0; p < block_steps; p += 8) avx2_transpose_8x8(columns + p, ld, dst + p * nr + j, nr);
    for (size_t p = block_steps; p < kc; p++)
      for (size_t t = 0; t < 8; t++) dst[p * nr + j + t] = columns[t * ld + p];
  }
  for (size_t j = block_cols; j < width; j++) {
    const float *column = src + j * ld;
    for (size_t p = 0; p < kc; p++) dst[p * nr + j] = column[p];
  }
  for (size_t p = 0; p < kc; p++)
    for (size_t j = width; j < nr; j++) dst[p * nr + j] = 0.0f;
}

static const kernel_set avx2_kernels = {AVX2_MR,          AVX2_NR,        avx2_strided_kernel,
                                        8 * AVX2_ROW_VECS, avx2_row_kernel, avx2_pack_b_transposed};

#endif /* __x86_64__ */

static const kernel_set *select_kernels(void) {
#if defined(__x86_64__)
  switch (stratum_cpu_isa()) {
    case STRATUM_ISA_AVX512:
      return &avx512_kernels;
    case STRATUM_ISA_AVX2:
      return &avx2_kernels;
    default:
      break;
  }
#endif
  return &portable_kernels;
}

/* ------------------------------------------------------------------------ */
/* Packing buffers                                                           */
/* ------------------------------------------------------------------------ */

/* Returns this thread's packing buffer of at least `floats` floats (see stratum_thread_scratch), or NULL. */
static float *thread_pack_buffer(size_t floats) {
  return stratum_thread_scratch(STRATUM_SCRATCH_GEMM_PACK, floats * sizeof(float));
}

/* ------------------------------------------------------------------------ */
/* Problem description and packing                                           */
/* ------------------------------------------------------------------------ */

typedef struct {
  const kernel_set *kernels;
  size_t m, n, k;
  /* Strides: op(a)(i, p) = a[i * a_rs + p * a_cs] and op(b)(p, j) = b[p * b_rs + j * b_cs]. */
  const float *a;
  size_t a_rs, a_cs;
  const float *b;
  size_t b_rs, b_cs;
  float *c;
  int accumulate;
  /* Epilogue: bias of length n or NULL, and a STRATUM_ACT_* code. */
  const float *bias;
  int activation;
  int direct;
  size_t tile_m, tile_n, tiles_n;
} gemm_problem;

/*
 * Copies `cols` floats of one row of b into consecutive NR-wide panels,
 * panel_stride floats apart, with zeros past `cols` in the last panel. NR is
 * a constant at every call, so each copy compiles to a few vector moves.
 */
static inline __attribute__((always_inline)) void copy_row_to_panels(const size_t NR, const float *src, size_t cols,
                                                                     size_t panel_stride, float *out) {
  size_t j = 0;
  for (; j + NR <= cols; j += NR, out += panel_stride) memcpy(out, src + j, NR * sizeof(float));
  if (j < cols) {
    float row[AVX512_NR] = {0};
    memcpy(row, src + j, (cols - j) * sizeof(float));
    memcpy(out, row, NR * sizeof(float));
  }
}

/*
 * Packs rows [p0, p0 + kc) and columns [j0, j0 + cols) of op(b) into NR-wide
 * micro-panels, each kc x NR row-major with the columns past `cols` set to 0,
 * panel_stride floats apart. A non-transposed b is copied row by row, so that
 * it is read in order, as the hardware prefetcher expects.
 */
static void pack_b(const gemm_problem *g, size_t p0, size_t kc, size_t j0, size_t cols, size_t panel_stride,
                   float *dst) {
  const size_t nr = g->kernels->nr;
  if (g->b_cs == 1) {
    for (size_t p = 0; p < kc; p++) {
      const float *src = g->b + (p0 + p) * g->b_rs + j0;
      float *out = dst + p * nr;
      if (nr == AVX512_NR) {
        copy_row_to_panels(AVX512_NR, src, cols, panel_stride, out);
      } else if (nr == AVX2_NR) {
        copy_row_to_panels(AVX2_NR, src, cols, panel_stride, out);
      } else {
        copy_row_to_panels(PORTABLE_NR, src, cols, panel_stride, out);
      }
    }
    return;
  }
  for (size_t jp = 0; jp < cols; jp += nr) {
    size_t width = cols - jp < nr ? cols - jp : nr;
    g->kernels->pack_b_transposed(g->b + p0 * g->b_rs + (j0 + jp) * g->b_cs, g->b_cs, kc, width, nr, dst);
    dst += panel_stride;
  }
}

/*
 * Copies rows [i0, i0 + rows) and steps [p0, p0 + kc) of a non-transposed a
 * into `dst`, PACKED_A_STRIDE floats apart. The rows of a are lda apart, and
 * with a power-of-two lda they all fall in the same L1 set. The copy keeps
 * the row-major layout, so it is one memcpy per row, and its stride of 256 +
 * 16 floats spreads the rows over the sets.
 */
static void pack_a(const gemm_problem *g, size_t i0, size_t rows, size_t p0, size_t kc, float *dst) {
  const float *src = g->a + i0 * g->a_rs + p0;
  for (size_t i = 0; i < rows; i++) memcpy(dst + i * PACKED_A_STRIDE, src + i * g->a_rs, kc * sizeof(float));
}

/*
 * Copies rows [i0, i0 + rows) and steps [p0, p0 + kc) of a transposed a into
 * `dst`, step by step, `mr` floats apart, for a kernel that reads it with
 * row stride 1 and step stride mr. A transposed a stores the rows of one
 * step contiguously, but its steps are m floats apart, and with a
 * power-of-two m every step of a micro-panel falls in the same L1 set.
 */
static void pack_a_transposed(const gemm_problem *g, size_t i0, size_t rows, size_t p0, size_t kc, size_t mr,
                              float *dst) {
  const float *src = g->a + i0 + p0 * g->a_cs;
  for (size_t p = 0; p < kc; p++) memcpy(dst + p * mr, src + p * g->a_cs, rows * sizeof(float));
}

/* ------------------------------------------------------------------------ */
/* Tile computation                                                          */
/* ------------------------------------------------------------------------ */

static size_t min_size(size_t x, size_t y) { return x < y ? x : y; }

static size_t round_up(size_t x, size_t multiple) { return (x + multiple - 1) / multiple * multiple; }

/*
 * Fills `storage` with the store part of the problem's epilogue for a tile
 * starting at column j, and returns it, or NULL when there is nothing to store.
 */
static const store_epilogue *tile_epilogue(const gemm_problem *g, size_t j, store_epilogue *storage) {
  if (g->bias == NULL && g->activation != STRATUM_ACT_RELU) return NULL;
  storage->bias = g->bias != NULL ? g->bias + j : NULL;
  storage->relu = g->activation == STRATUM_ACT_RELU;
  return storage;
}

/* Applies sigmoid or tanh to a rows x cols tile of c that a kernel has just stored; other activations need nothing. */
static void activate_tile(const gemm_problem *g, float *c, size_t rows, size_t cols) {
  if (g->activation == STRATUM_ACT_SIGMOID) {
    for (size_t i = 0; i < rows; i++)
      for (size_t j = 0; j < cols; j++) c[i * g->n + j] = stratum_sigmoidf(c[i * g->n + j]);
  } else if (g->activation == STRATUM_ACT_TANH) {
    for (size_t i = 0; i < rows; i++)
      for (size_t j = 0; j < cols; j++) c[i * g->n + j] = tanhf(c[i * g->n + j]);
  }
}

/*
 * Computes rows [i0, i1) and columns [j0, j1) of c without packing a, for a
 * transposed b. The kernels load rows of op(b) as vectors, so each NR-wide
 * panel of op(b) is packed over all of k and then swept down the tile while
 * it is still in cache. Returns 0 on success and -1 when the packing buffer
 * could not be allocated.
 */
static int compute_tile_direct_transposed_b(const gemm_problem *g, size_t i0, size_t i1, size_t j0, size_t j1) {
  const kernel_set *ks = g->kernels;
  float *panel = thread_pack_buffer(g->k * ks->nr);
  if (panel == NULL) return -1;
  for (size_t j = j0; j < j1; j += ks->nr) {
    size_t cols = min_size(ks->nr, j1 - j);
    ks->pack_b_transposed(g->b + j * g->b_cs, g->b_cs, g->k, cols, ks->nr, panel);
    store_epilogue storage;
    const store_epilogue *ep = tile_epilogue(g, j, &storage);
    for (size_t i = i0; i < i1; i += ks->mr) {
      size_t rows = min_size(ks->mr, i1 - i);
      float *c = g->c + i * g->n + j;
      ks->strided(g->k, g->a + i * g->a_rs, g->a_rs, g->a_cs, panel, ks->nr, c, g->n, rows, cols, g->accumulate, ep);
      activate_tile(g, c, rows, cols);
    }
  }
  return 0;
}

/*
 * Computes rows [i0, i1) and columns [j0, j1) of c without packing a or b,
 * reading both in place. b must not be transposed.
 */
static void compute_tile_direct(const gemm_problem *g, size_t i0, size_t i1, size_t j0, size_t j1) {
  const kernel_set *ks = g->kernels;
  const float *b = g->b + j0;
  if (i1 - i0 == 1 && ks->row != NULL) {
    for (size_t j = j0; j < j1; j += ks->row_nr) {
      size_t cols = min_size(ks->row_nr, j1 - j);
      float *c = g->c + i0 * g->n + j;
      store_epilogue storage;
      ks->row(g->k, g->a + i0 * g->a_rs, g->a_cs, b + (j - j0), g->b_rs, c, cols, g->accumulate,
              tile_epilogue(g, j, &storage));
      activate_tile(g, c, 1, cols);
    }
    return;
  }
  for (size_t i = i0; i < i1; i += ks->mr) {
    size_t rows = min_size(ks->mr, i1 - i);
    const float *a = g->a + i * g->a_rs;
    for (size_t j = j0; j < j1; j += ks->nr) {
      size_t cols = min_size(ks->nr, j1 - j);
      float *c = g->c + i * g->n + j;
      store_epilogue storage;
      ks->strided(g->k, a, g->a_rs, g->a_cs, b + (j - j0), g->b_rs, c, g->n, rows, cols, g->accumulate,
                  tile_epilogue(g, j, &storage));
      activate_tile(g, c, rows, cols);
    }
  }
}

/*
 * Computes rows [i0, i1) and columns [j0, j1) of c from packed blocks of
 * op(b). A micro-panel of a is packed when it is reused across at least
 * PACK_A_MIN_PANELS panels of op(b). The rows of a non-transposed a, and the
 * steps of a transposed one, lie a whole row of a apart, so with a
 * power-of-two row length they all fall in the same L1 set. Returns -1 when
 * out of memory.
 */
static int compute_tile_packed(const gemm_problem *g, size_t i0, size_t i1, size_t j0, size_t j1) {
  const kernel_set *ks = g->kernels;
  const size_t mr = ks->mr;
  const size_t nr = ks->nr;
  size_t chunk = min_size(j1 - j0, TILE_N);
  const size_t panel_stride = KC * nr + PACKED_B_PANEL_PAD;
  size_t b_floats = panel_stride * (round_up(chunk, nr) / nr);
  float *buffer = thread_pack_buffer(b_floats + PACKED_A_STRIDE * mr);
  if (buffer == NULL) return -1;
  float *packed_b = buffer;
  float *packed_a = buffer + b_floats;

  /* Columns in chunks of at most TILE_N, so that a packed block of op(b) stays in L2. */
  for (size_t jc = j0; jc < j1; jc += TILE_N) {
    const size_t jc_end = min_size(jc + TILE_N, j1);
    const size_t cols = jc_end - jc;
    const int pack_a_panels = cols >= PACK_A_MIN_PANELS * nr;
    const int a_transposed = g->a_cs != 1;
    for (size_t p0 = 0; p0 < g->k; p0 += KC) {
      size_t kc = min_size(KC, g->k - p0);
      int load_c = g->accumulate || p0 > 0;
      int last_block = p0 + kc == g->k;
      pack_b(g, p0, kc, jc, cols, panel_stride, packed_b);
      for (size_t i = i0; i < i1; i += mr) {
        size_t rows = min_size(mr, i1 - i);
        float *c_row = g->c + i * g->n;
        const float *panel = packed_b;
        if (pack_a_panels && a_transposed) {
          pack_a_transposed(g, i, rows, p0, kc, mr, packed_a);
        } else if (pack_a_panels) {
          pack_a(g, i, rows, p0, kc, packed_a);
        }
        const float *a_panel = g->a + i * g->a_rs + p0 * g->a_cs;
        for (size_t j = jc; j < jc_end; j += nr) {
          size_t tile_cols = min_size(nr, jc_end - j);
          store_epilogue storage;
          const store_epilogue *ep = last_block ? tile_epilogue(g, j, &storage) : NULL;
          if (pack_a_panels && a_transposed)
            ks->strided(kc, packed_a, 1, mr, panel, nr, c_row + j, g->n, rows, tile_cols, load_c, ep);
          else if (pack_a_panels)
            ks->strided(kc, packed_a, PACKED_A_STRIDE, 1, panel, nr, c_row + j, g->n, rows, tile_cols, load_c, ep);
          else
            ks->strided(kc, a_panel, g->a_rs, g->a_cs, panel, nr, c_row + j, g->n, rows, tile_cols, load_c, ep);
          if (last_block) activate_tile(g, c_row + j, rows, tile_cols);
          panel += panel_stride;
        }
      }
    }
  }
  return 0;
}

/* Returns one sum with the epilogue applied: the bias (NULL for none), then the activation. */
static float epilogue_value(float sum, const float *bias, size_t j, int activation) {
  float value = bias != NULL ? sum + bias[j] : sum;
  switch (activation) {
    case STRATUM_ACT_RELU:
      return value <= 0.0f ? 0.0f : value;
    case STRATUM_ACT_SIGMOID:
      return stratum_sigmoidf(value);
    case STRATUM_ACT_TANH:
      return tanhf(value);
    default:
      return value;
  }
}

/* Computes the tile with plain loops straight from a and b. Used only when packing memory runs out. */
static void compute_tile_unbuffered(const gemm_problem *g, size_t i0, size_t i1, size_t j0, size_t j1) {
  for (size_t i = i0; i < i1; i++) {
    for (size_t j = j0; j < j1; j++) {
      float sum = g->accumulate ? g->c[i * g->n + j] : 0.0f;
      for (size_t p = 0; p < g->k; p++) sum += g->a[i * g->a_rs + p * g->a_cs] * g->b[p * g->b_rs + j * g->b_cs];
      g->c[i * g->n + j] = epilogue_value(sum, g->bias, j, g->activation);
    }
  }
}

static void run_task(void *context, size_t task) {
  const gemm_problem *g = context;
  size_t i0 = (task / g->tiles_n) * g->tile_m;
  size_t j0 = (task % g->tiles_n) * g->tile_n;
  size_t i1 = min_size(i0 + g->tile_m, g->m);
  size_t j1 = min_size(j0 + g->tile_n, g->n);
  int status;
  if (!g->direct) {
    status = compute_tile_packed(g, i0, i1, j0, j1);
  } else if (g->b_cs != 1) {
    status = compute_tile_direct_transposed_b(g, i0, i1, j0, j1);
  } else {
    compute_tile_direct(g, i0, i1, j0, j1);
    status = 0;
  }
  /*
   * NOTE: without memory for packing, the tile falls back to plain loops.
   * Those round differently from the kernels, so results then depend on
   * which tiles found memory.
   */
  if (status != 0) compute_tile_unbuffered(g, i0, i1, j0, j1);
}

/*
 * Splits c into tiles, one task each. A tile is a block of whole
 * micro-panels, and every element of c gets the same operations in the same
 * order in any tile (only KC blocks the sum over k), so the split may depend
 * on the thread count without changing the result. One task per thread
 * keeps the packing work low: a tile packs its rows of a and its columns of
 * op(b) itself, so splitting the columns repacks a and splitting the rows
 * repacks op(b). Columns are split first while there are enough of them.
 */
static void plan_tiles(gemm_problem *g) {
  const size_t mr = g->kernels->mr;
  const size_t nr = g->kernels->nr;
  const size_t row_blocks = (g->m + mr - 1) / mr;
  const size_t col_blocks = (g->n + nr - 1) / nr;
  size_t fmas = g->m * g->n * g->k;
  size_t tiles_m = 1;
  size_t tiles_n = 1;
  if (fmas >= PARALLEL_MIN_FMAS) {
    const size_t threads = (size_t)stratum_pool_threads();
    const size_t target_tasks = min_size(min_size(fmas / TASK_FMAS, threads), 64);
    if (target_tasks > 1) {
      if (col_blocks >= 2 * target_tasks) {
        tiles_n = target_tasks;
      } else if (row_blocks >= 2 * target_tasks) {
        tiles_m = target_tasks;
      } else {
        /* Split along whichever dimension has the larger tiles, counted in micro-panels. */
        while (tiles_m * tiles_n < target_tasks) {
          size_t rows_per_tile = row_blocks / tiles_m;
          size_t cols_per_tile = col_blocks / tiles_n;
          if (rows_per_tile >= cols_per_tile && rows_per_tile >= 2)
            tiles_m++;
          else if (cols_per_tile >= 2)
            tiles_n++;
          else
            break;
        }
      }
    }
  }
  g->tile_m = (row_blocks + tiles_m - 1) / tiles_m * mr;
  g->tile_n = (col_blocks + tiles_n - 1) / tiles_n * nr;
  g->tiles_n = (g->n + g->tile_n - 1) / g->tile_n;
}

static int use_direct_path(const gemm_problem *g) {
  size_t b_floats = g->k * g->n;
  if (path_override == PATH_DIRECT || path_override == PATH_PACKED) return path_override == PATH_DIRECT;
  if (g->b_cs != 1) return g->m * g->k <= DIRECT_MAX_TRANSPOSED_B_A_FLOATS;
  return b_floats <= DIRECT_MAX_FLOATS || g->m <= DIRECT_MAX_ROW_PANELS * g->kernels->mr;
}

void stratum_sgemm(int transpose_a, int transpose_b, size_t m, size_t n, size_t k, const float *a, const float *b,
                   float *c, int accumulate) {
  stratum_sgemm_fused(transpose_a, transpose_b, m, n, k, a, b, c, accumulate, NULL, STRATUM_ACT_LINEAR);
}

static void dense_product(int transpose_a, int transpose_b, size_t m, size_t n, size_t k, const float *a,
                          const float *b, float *c, int accumulate, const float *bias, int activation, int may_swap);

/*
 * Computes the product as cᵀ = op(b)ᵀ · op(a)ᵀ into scratch, then stores the
 * transpose in c with the epilogue. Each element gets the same products,
 * summed in the same order from the same start, as in the direct product,
 * so the result is the same. Returns -1 when out of memory.
 */
static int compute_swapped(int transpose_a, int transpose_b, size_t m, size_t n, size_t k, const float *a,
                           const float *b, float *c, int accumulate, const float *bias, int activation) {
  float *swapped = stratum_thread_scratch(STRATUM_SCRATCH_GEMM_SWAPPED, m * n * sizeof(float));
  if (swapped == NULL) return -1;
  if (accumulate) {
    for (size_t j = 0; j < n; j++)
      for (size_t i = 0; i < m; i++) swapped[j * m + i] = c[i * n + j];
  }
  /* op(b)ᵀ is b as stored when b is transposed, and the same for a. */
  dense_product(!transpose_b, !transpose_a, n, m, k, b, a, swapped, accumulate, NULL, STRATUM_ACT_LINEAR, 0);
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < n; j++) c[i * n + j] = epilogue_value(swapped[j * m + i], bias, j, activation);
  return 0;
}

static int use_swapped_path(size_t m, size_t n, size_t k) {
  if (path_override != PATH_AUTO) return path_override == PATH_SWAPPED;
  return n < SWAP_MAX_N && m >= SWAP_MIN_M && m * n * k >= SWAP_MIN_FMAS;
}

void stratum_sgemm_fused(int transpose_a, int transpose_b, size_t m, size_t n, size_t k, const float *a,
                         const float *b, float *c, int accumulate, const float *bias, int activation) {
  /* Mostly-zero a, such as a batch of images with a dark background: leave out the zeros. */
  if (m > 0 && n > 0 && k > 0 && !transpose_b && path_override == PATH_AUTO &&
      stratum_sgemm_sparse_a(transpose_a, m, n, k, a, b, c, accumulate, bias, activation)) {
    return;
  }
  dense_product(transpose_a, transpose_b, m, n, k, a, b, c, accumulate, bias, activation, 1);
}

static void dense_product(int transpose_a, int transpose_b, size_t m, size_t n, size_t k, const float *a,
                          const float *b, float *c, int accumulate, const float *bias, int activation, int may_swap) {
  if (m == 0 || n == 0) return;
  if (may_swap && k > 0 && use_swapped_path(m, n, k) &&
      compute_swapped(transpose_a, transpose_b, m, n, k, a, b, c, accumulate, bias, activation) == 0) {
    return;
  }
  gemm_problem g = {
      .kernels = select_kernels(),
      .m = m,
      .n = n,
      .k = k,
      .a = a,
      .a_rs = transpose_a ? 1 : k,
      .a_cs = transpose_a ? m : 1,
      .b = b,
      .b_rs = transpose_b ? 1 : n,
      .b_cs = transpose_b ? k : 1,
      .c = c,
      .accumulate = accumulate != 0,
      .bias = bias,
      .activation = activation,
  };
  if (k == 0) {
    /* No products: the sums are the old c or 0, and the epilogue still applies. */
    if (!accumulate) memset(c, 0, m * n * sizeof(float));
    if (bias != NULL || activation != STRATUM_ACT_LINEAR) compute_tile_unbuffered(&g, 0, m, 0, n);
    return;
  }
  g.direct = use_direct_path(&g);
  plan_tiles(&g);
  size_t tiles_m = (m + g.tile_m - 1) / g.tile_m;
  stratum_pool_run(tiles_m * g.tiles_n, run_task, &g);
}
