/*
 * Checks stratum_sgemm against a double-precision reference for many sizes,
 * all four transpose combinations, with and without accumulate, on every
 * instruction set this CPU supports and on the direct, the packed and the
 * swapped path (cᵀ = op(b)ᵀ · op(a)ᵀ). Also checks that 1 and 2 threads give
 * bit-identical results, that AVX2 and AVX-512 (both fused multiply-add
 * chains) agree bit for bit on every path, that
 * nothing is written past c, and that NaN and infinity propagate. The fused
 * epilogue (bias and each activation) must give the same bits as the plain
 * product followed by a scalar bias add and activation, on every path and
 * thread count. Products whose a is mostly zeros, where the zeros are left
 * out (sparse.c), must give the same bits as the dense kernels.
 *
 * Includes gemm.c itself so that it can force the path through
 * path_override. Exits with status 1 when any check fails.
 */
#include "../src/gemm.c"

#include <float.h>
#include <math.h>
#include <stdio.h>

#define GUARD 16
#define GUARD_VALUE 12345.0f

static unsigned long long rng_state = 0x9E3779B97F4A7C15ull;

static unsigned long long next_random(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static size_t random_below(size_t bound) { return bound == 0 ? 0 : (size_t)(next_random() % bound); }

static float random_float(void) { return (float)((double)(next_random() >> 11) / 9007199254740992.0 * 2.0 - 1.0); }

static size_t failures = 0;
static size_t checks = 0;

static void fail(const char *what, size_t m, size_t n, size_t k, int ta, int tb, int acc, const char *isa,
                 const char *path) {
  failures++;
  if (failures <= 20)
    fprintf(stderr, "FAIL %s: m=%zu n=%zu k=%zu transpose_a=%d transpose_b=%d accumulate=%d isa=%s path=%s\n", what, m,
            n, k, ta, tb, acc, isa, path);
}

typedef struct {
  size_t m, n, k;
  int ta, tb, acc;
  float *a, *b, *c0;
  float *bias; /* length n */
  double *ref;
  double *bound;
} test_case;

/* Computes the reference in double precision and an error bound per element. */
static void compute_reference(test_case *t) {
  for (size_t i = 0; i < t->m; i++) {
    for (size_t j = 0; j < t->n; j++) {
      double c0 = t->acc ? t->c0[i * t->n + j] : 0.0;
      double sum = c0;
      double magnitude = fabs(c0);
      for (size_t p = 0; p < t->k; p++) {
        double x = t->ta ? t->a[p * t->m + i] : t->a[i * t->k + p];
        double y = t->tb ? t->b[j * t->k + p] : t->b[p * t->n + j];
        sum += x * y;
        magnitude += fabs(x * y);
      }
      t->ref[i * t->n + j] = sum;
      t->bound[i * t->n + j] = (double)(t->k + 2) * FLT_EPSILON * magnitude + 1e-30;
    }
  }
}

/* Runs stratum_sgemm into a fresh copy of c0 followed by guard values. Returns the output (caller frees). */
static float *run_gemm(const test_case *t, int threads) {
  size_t count = t->m * t->n;
  float *c = malloc((count + GUARD) * sizeof(float));
  if (count > 0) memcpy(c, t->c0, count * sizeof(float));
  for (size_t g = 0; g < GUARD; g++) c[count + g] = GUARD_VALUE;
  stratum_pool_init(threads);
  stratum_sgemm(t->ta, t->tb, t->m, t->n, t->k, t->a, t->b, c, t->acc);
  return c;
}

static int same_class(double expected, float actual) {
  if (isnan(expected)) return isnan(actual);
  if (isinf(expected)) return isinf(actual) && (expected > 0) == (actual > 0);
  return isfinite(actual);
}

static int within_bound(const test_case *t, const float *c) {
  for (size_t e = 0; e < t->m * t->n; e++) {
    double expected = t->ref[e];
    if (!isfinite(expected) || !isfinite(c[e])) {
      if (!same_class(expected, c[e])) return 0;
      continue;
    }
    if (fabs((double)c[e] - expected) > t->bound[e]) return 0;
  }
  return 1;
}

static int guard_intact(const test_case *t, const float *c) {
  for (size_t g = 0; g < GUARD; g++)
    if (c[t->m * t->n + g] != GUARD_VALUE) return 0;
  return 1;
}

/* Runs the fused product with `bias` (or none) and `activation` into a fresh copy of c0. Returns the output (caller frees). */
static float *run_fused(const test_case *t, int threads, const float *bias, int activation) {
  size_t count = t->m * t->n;
  float *c = malloc((count + GUARD) * sizeof(float));
  if (count > 0) memcpy(c, t->c0, count * sizeof(float));
  for (size_t g = 0; g < GUARD; g++) c[count + g] = GUARD_VALUE;
  stratum_pool_init(threads);
  stratum_sgemm_fused(t->ta, t->tb, t->m, t->n, t->k, t->a, t->b, c, t->acc, bias, activation);
  return c;
}

/* Applies the epilogue to the plain product `c` one element at a time, as the definition of the fused result. */
static void apply_epilogue(const test_case *t, float *c, const float *bias, int activation) {
  for (size_t i = 0; i < t->m; i++) {
    for (size_t j = 0; j < t->n; j++) {
      float value = c[i * t->n + j];
      if (bias != NULL) value += bias[j];
      if (activation == STRATUM_ACT_RELU) value = value <= 0.0f ? 0.0f : value;
      if (activation == STRATUM_ACT_SIGMOID) value = stratum_sigmoidf(value);
      if (activation == STRATUM_ACT_TANH) value = tanhf(value);
      c[i * t->n + j] = value;
    }
  }
}

/* True when x and y have the same bits, or are both NaN. */
static int same_values(const float *x, const float *y, size_t count) {
  for (size_t e = 0; e < count; e++) {
    if (isnan(x[e]) && isnan(y[e])) continue;
    if (memcmp(&x[e], &y[e], sizeof(float)) != 0) return 0;
  }
  return 1;
}

/* Checks every epilogue against the plain product `plain` of the same instruction set and path. */
static void check_epilogues(const test_case *t, const float *plain, const char *isa_name, const char *path_name) {
  size_t count = t->m * t->n;
  float *expected = malloc((count + 1) * sizeof(float));
  for (int activation = STRATUM_ACT_LINEAR; activation <= STRATUM_ACT_TANH; activation++) {
    for (int with_bias = 0; with_bias < 2; with_bias++) {
      if (activation == STRATUM_ACT_LINEAR && !with_bias) continue;
      const float *bias = with_bias ? t->bias : NULL;
      if (count > 0) memcpy(expected, plain, count * sizeof(float));
      apply_epilogue(t, expected, bias, activation);
      float *single_thread = run_fused(t, 1, bias, activation);
      float *two_threads = run_fused(t, 2, bias, activation);
      checks++;
      if (!same_values(expected, single_thread, count))
        fail("fused epilogue differs from a separate one", t->m, t->n, t->k, t->ta, t->tb, t->acc, isa_name, path_name);
      if (!same_values(single_thread, two_threads, count))
        fail("fused epilogue differs between 1 and 2 threads", t->m, t->n, t->k, t->ta, t->tb, t->acc, isa_name, path_name);
      if (!guard_intact(t, single_thread) || !guard_intact(t, two_threads))
        fail("fused epilogue wrote past the end of c", t->m, t->n, t->k, t->ta, t->tb, t->acc, isa_name, path_name);
      free(single_thread);
      free(two_threads);
    }
  }
  free(expected);
}

/* Runs one test case on every instruction set and path. */
static void check_case(test_case *t) {
  static const char *path_names[3] = {"direct", "packed", "swapped"};
  static const gemm_path paths[3] = {PATH_DIRECT, PATH_PACKED, PATH_SWAPPED};
  compute_reference(t);
  float *fma_result = NULL;
  for (int isa = STRATUM_ISA_PORTABLE; isa <= STRATUM_ISA_AVX512; isa++) {
    if ((int)stratum_set_isa_limit((stratum_isa)isa) != isa) continue;
    const char *isa_name = stratum_isa_name((stratum_isa)isa);
    for (int path = 0; path < 3; path++) {
      path_override = paths[path];
      float *single_thread = run_gemm(t, 1);
      float *two_threads = run_gemm(t, 2);
      size_t bytes = t->m * t->n * sizeof(float);
      checks++;
      if (!within_bound(t, single_thread)) fail("result differs from reference", t->m, t->n, t->k, t->ta, t->tb, t->acc, isa_name, path_names[path]);
      if (!guard_intact(t, single_thread) || !guard_intact(t, two_threads))
        fail("wrote past the end of c", t->m, t->n, t->k, t->ta, t->tb, t->acc, isa_name, path_names[path]);
      if (bytes > 0 && memcmp(single_thread, two_threads, bytes) != 0)
        fail("1 and 2 threads differ", t->m, t->n, t->k, t->ta, t->tb, t->acc, isa_name, path_names[path]);
      check_epilogues(t, single_thread, isa_name, path_names[path]);
      if (isa != STRATUM_ISA_PORTABLE) {
        if (fma_result == NULL) {
          fma_result = single_thread;
          single_thread = NULL;
        } else if (bytes > 0 && memcmp(fma_result, single_thread, bytes) != 0) {
          fail("fused multiply-add paths differ", t->m, t->n, t->k, t->ta, t->tb, t->acc, isa_name, path_names[path]);
        }
      }
      free(single_thread);
      free(two_threads);
    }
  }
  free(fma_result);
  stratum_set_isa_limit(STRATUM_ISA_AVX512);
  path_override = PATH_AUTO;
}

static void fill(float *x, size_t count) {
  for (size_t e = 0; e < count; e++) x[e] = random_float();
}

/* Checks one size in all transpose and accumulate combinations, with NaN and infinity in the inputs when with_non_finite is set. */
static void check_size(size_t m, size_t n, size_t k, int with_non_finite) {
  for (int combo = 0; combo < 8; combo++) {
    test_case t = {.m = m, .n = n, .k = k, .ta = combo & 1, .tb = (combo >> 1) & 1, .acc = (combo >> 2) & 1};
    t.a = malloc((m * k + 1) * sizeof(float));
    t.b = malloc((k * n + 1) * sizeof(float));
    t.c0 = malloc((m * n + 1) * sizeof(float));
    t.bias = malloc((n + 1) * sizeof(float));
    t.ref = malloc((m * n + 1) * sizeof(double));
    t.bound = malloc((m * n + 1) * sizeof(double));
    fill(t.a, m * k);
    fill(t.b, k * n);
    fill(t.c0, m * n);
    fill(t.bias, n);
    if (with_non_finite && m > 0 && n > 0 && k > 0) {
      /* A NaN in a meeting a zero row of op(b) at the same step, where 0 * NaN must still give NaN. */
      size_t p = random_below(k);
      size_t i = random_below(m);
      if (t.ta)
        t.a[p * m + i] = NAN;
      else
        t.a[i * k + p] = NAN;
      for (size_t j = 0; j < n; j++) {
        if (t.tb)
          t.b[j * k + p] = 0.0f;
        else
          t.b[p * n + j] = 0.0f;
      }
      /* An infinity in op(b) meeting a zero in op(a), where 0 * infinity must give NaN, so zeros cannot be skipped. */
      size_t q = random_below(k);
      size_t j = random_below(n);
      if (t.tb)
        t.b[j * k + q] = INFINITY;
      else
        t.b[q * n + j] = INFINITY;
      size_t zero_row = random_below(m);
      if (t.ta)
        t.a[q * m + zero_row] = 0.0f;
      else
        t.a[zero_row * k + q] = 0.0f;
      if (t.acc) t.c0[random_below(m * n)] = -INFINITY;
    }
    check_case(&t);
    free(t.a);
    free(t.b);
    free(t.c0);
    free(t.bias);
    free(t.ref);
    free(t.bound);
  }
}

/*
 * Fills the stored a with runs of 20 nonzero values every 97 elements, about
 * 21% nonzero like a batch of images, and op(a)'s rows 4 to 7 with zeros.
 */
static void fill_mostly_zero(float *a, size_t m, size_t k, int ta) {
  for (size_t e = 0; e < m * k; e++) a[e] = (e + 11) % 97 < 20 ? random_float() : 0.0f;
  for (size_t i = 4; i < 8 && i < m; i++)
    for (size_t p = 0; p < k; p++) a[ta ? p * m + i : i * k + p] = 0.0f;
}

/* Computes op(a) · b with the dense kernels on one thread into `dense`, a copy of c0 beforehand. */
static void dense_product_on_one_thread(int ta, size_t m, size_t n, size_t k, const float *a, const float *b,
                                        const float *c0, float *dense, int acc, const float *bias, int activation) {
  path_override = PATH_DIRECT;
  stratum_pool_init(1);
  memcpy(dense, c0, m * n * sizeof(float));
  stratum_sgemm_fused(ta, 0, m, n, k, a, b, dense, acc, bias, activation);
  path_override = PATH_AUTO;
}

/*
 * Leaving out the zeros of a must give the dense kernels' bits, on every
 * instruction set and thread count, with and without accumulate, for every
 * epilogue, and NaN in a must spread as in the dense product. With NaN or
 * infinity in b, the path that packs each block of columns in its own task
 * keeps every step in the blocks that contain them, and the product must
 * still have the dense kernels' bits. Every other path must leave c untouched
 * and go to the dense kernels.
 */
static void check_sparse_size(size_t m, size_t n, size_t k) {
  for (int combo = 0; combo < 4; combo++) {
    const int ta = combo & 1, acc = (combo >> 1) & 1;
    const size_t count = m * n;
    float *a = malloc(m * k * sizeof(float)), *b = malloc(k * n * sizeof(float)), *c0 = malloc(count * sizeof(float));
    float *bias = malloc(n * sizeof(float)), *dense = malloc(count * sizeof(float));
    float *sparse = malloc((count + GUARD) * sizeof(float));
    fill_mostly_zero(a, m, k, ta);
    /* A NaN where a would otherwise be zero. */
    a[11 % (m * k)] = NAN;
    fill(b, k * n);
    fill(c0, count);
    fill(bias, n);
    for (int isa = STRATUM_ISA_PORTABLE; isa <= STRATUM_ISA_AVX512; isa++) {
      if ((int)stratum_set_isa_limit((stratum_isa)isa) != isa) continue;
      const char *isa_name = stratum_isa_name((stratum_isa)isa);
      for (int activation = STRATUM_ACT_LINEAR; activation <= STRATUM_ACT_TANH; activation++) {
        const float *with_bias = activation == STRATUM_ACT_SIGMOID ? NULL : bias;
        dense_product_on_one_thread(ta, m, n, k, a, b, c0, dense, acc, with_bias, activation);
        for (int threads = 1; threads <= 2; threads++) {
          memcpy(sparse, c0, count * sizeof(float));
          for (size_t g = 0; g < GUARD; g++) sparse[count + g] = GUARD_VALUE;
          stratum_pool_init(threads);
          checks++;
          if (!stratum_sgemm_sparse_a(ta, m, n, k, a, b, sparse, acc, with_bias, activation)) {
            fail("the zeros of a were not left out", m, n, k, ta, 0, acc, isa_name, "sparse");
            continue;
          }
          if (!same_values(dense, sparse, count)) fail("sparse and dense products differ", m, n, k, ta, 0, acc, isa_name, "sparse");
          for (size_t g = 0; g < GUARD; g++)
            if (sparse[count + g] != GUARD_VALUE) fail("wrote past the end of c", m, n, k, ta, 0, acc, isa_name, "sparse");
        }
      }
      /* A dense a goes to the dense kernels. */
      float *dense_a = malloc(m * k * sizeof(float));
      fill(dense_a, m * k);
      memcpy(sparse, c0, count * sizeof(float));
      checks++;
      if (stratum_sgemm_sparse_a(ta, m, n, k, dense_a, b, sparse, acc, NULL, STRATUM_ACT_LINEAR) ||
          memcmp(sparse, c0, count * sizeof(float)) != 0)
        fail("the zeros of a dense a were left out", m, n, k, ta, 0, acc, isa_name, "sparse");
      free(dense_a);
      /* NaN, then infinity, in a middle column and in the last one, which lies in a narrower last block when n % 64 != 0. */
      for (int bad = 0; bad < 4; bad++) {
        const size_t at = (k - 1) * n + (bad < 2 ? n / 2 : n - 1);
        const float original = b[at];
        b[at] = bad % 2 ? INFINITY : NAN;
        dense_product_on_one_thread(ta, m, n, k, a, b, c0, dense, acc, NULL, STRATUM_ACT_LINEAR);
        for (int threads = 1; threads <= 2; threads++) {
          stratum_pool_init(threads);
          memcpy(sparse, c0, count * sizeof(float));
          checks++;
          if (stratum_sgemm_sparse_a(ta, m, n, k, a, b, sparse, acc, NULL, STRATUM_ACT_LINEAR)) {
            if (!same_values(dense, sparse, count))
              fail("sparse and dense products differ with NaN or infinity in b", m, n, k, ta, 0, acc, isa_name, "sparse");
          } else if (memcmp(sparse, c0, count * sizeof(float)) != 0) {
            fail("c was written although the zeros of a were not left out", m, n, k, ta, 0, acc, isa_name, "sparse");
          }
        }
        b[at] = original;
      }
    }
    stratum_set_isa_limit(STRATUM_ISA_AVX512);
    free(a);
    free(b);
    free(c0);
    free(bias);
    free(dense);
    free(sparse);
  }
}

int main(void) {
  static const size_t edges[][3] = {
      {0, 0, 0},    {0, 5, 3},    {5, 0, 3},    {5, 3, 0},    {1, 1, 1},     {1, 1, 7},    {1, 64, 784},
      {1, 10, 64},  {32, 64, 784}, {32, 10, 64}, {784, 64, 32}, {32, 64, 10}, {13, 31, 5},  {14, 32, 256},
      {15, 33, 257}, {29, 65, 513}, {2, 1000, 3}, {1000, 2, 3}, {3, 2, 1000}, {97, 97, 97}, {300, 200, 100},
      {256, 256, 256}, {250, 530, 260},
  };
  size_t edge_count = sizeof edges / sizeof edges[0];
  for (size_t e = 0; e < edge_count; e++) check_size(edges[e][0], edges[e][1], edges[e][2], 0);
  for (int r = 0; r < 150; r++) check_size(random_below(48), random_below(48), random_below(48), 0);
  for (int r = 0; r < 20; r++) check_size(1 + random_below(300), 1 + random_below(300), 1 + random_below(600), 0);
  for (int r = 0; r < 30; r++) check_size(1 + random_below(40), 1 + random_below(70), 1 + random_below(40), 1);
  check_size(64, 96, 300, 1);
  /* Sizes past the sparse path's threshold: partial blocks of rows and of 64 columns, one narrow block, many blocks. */
  static const size_t sparse_sizes[][3] = {{32, 64, 784}, {257, 100, 300}, {30, 530, 200}, {255, 17, 390}, {66, 1024, 784}};
  for (size_t e = 0; e < sizeof sparse_sizes / sizeof sparse_sizes[0]; e++)
    check_sparse_size(sparse_sizes[e][0], sparse_sizes[e][1], sparse_sizes[e][2]);

  printf("gemm_check: %zu configurations, %zu failures: %s\n", checks, failures, failures == 0 ? "PASS" : "FAIL");
  stratum_pool_init(1);
  return failures == 0 ? 0 : 1;
}
