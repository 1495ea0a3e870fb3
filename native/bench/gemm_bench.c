/*
 * Prints stratum_sgemm throughput in GFLOP/s (2 m n k per call, median of
 * SAMPLES samples) for square sizes and the training shapes, for 1 and 2
 * threads. Each sample repeats the call until it has run for at least
 * SAMPLE_SECONDS, so tiny shapes are timed over many calls.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/cpu.h"
#include "../src/gemm.h"
#include "../src/threadpool.h"

#define SAMPLES 7
#define SAMPLE_SECONDS 0.05

typedef struct {
  const char *name;
  int transpose_a, transpose_b;
  size_t m, n, k;
} shape;

static const shape shapes[] = {
    {"64^3", 0, 0, 64, 64, 64},
    {"256^3", 0, 0, 256, 256, 256},
    {"1024^3", 0, 0, 1024, 1024, 1024},
    {"2048^3", 0, 0, 2048, 2048, 2048},
    {"1024^3 a^T b^T", 1, 1, 1024, 1024, 1024},
    {"1024^3 b^T", 0, 1, 1024, 1024, 1024},
    {"2048^3 b^T", 0, 1, 2048, 2048, 2048},
    {"[32,784]x[784,64]", 0, 0, 32, 64, 784},
    {"[32,64]x[64,10]", 0, 0, 32, 10, 64},
    {"[784,32]^T x[32,64]", 1, 0, 784, 64, 32},
    {"[32,10]x[64,10]^T", 0, 1, 32, 64, 10},
    {"[32,64]x[784,64]^T", 0, 1, 32, 784, 64},
    {"[128,256]x[784,256]^T", 0, 1, 128, 784, 256},
    {"[256,784]x[784,64]", 0, 0, 256, 64, 784},
    {"[784,256]^T x[256,64]", 1, 0, 784, 64, 256},
    {"[256,1024]x[1024,1024]", 0, 0, 256, 1024, 1024},
    {"[1024,256]^T x[256,1024]", 1, 0, 1024, 1024, 256},
    {"[256,1024]x[1024,1024]^T", 0, 1, 256, 1024, 1024},
    {"[256,1024]x[1024,10]", 0, 0, 256, 10, 1024},
    {"[1024,256]^T x[256,10]", 1, 0, 1024, 10, 256},
    {"[256,10]x[1024,10]^T", 0, 1, 256, 1024, 10},
    {"[1,784]x[784,64]", 0, 0, 1, 64, 784},
    {"[1,64]x[64,10]", 0, 0, 1, 10, 64},
};

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int compare_doubles(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

static float *random_matrix(size_t count) {
  float *x = malloc(count * sizeof(float));
  for (size_t e = 0; e < count; e++) x[e] = (float)rand() / (float)RAND_MAX - 0.5f;
  return x;
}

/* Returns the median GFLOP/s of SAMPLES samples for one shape on the current pool. */
static double measure(const shape *s, const float *a, const float *b, float *c) {
  double flops = 2.0 * (double)s->m * (double)s->n * (double)s->k;
  /* Warm up and size the repeat count so a sample lasts about SAMPLE_SECONDS. */
  size_t repeats = 1;
  for (;;) {
    double start = now_seconds();
    for (size_t r = 0; r < repeats; r++) stratum_sgemm(s->transpose_a, s->transpose_b, s->m, s->n, s->k, a, b, c, 0);
    double elapsed = now_seconds() - start;
    if (elapsed >= SAMPLE_SECONDS) break;
    repeats *= elapsed < SAMPLE_SECONDS / 16 ? 8 : 2;
  }
  double rates[SAMPLES];
  for (int sample = 0; sample < SAMPLES; sample++) {
    double start = now_seconds();
    for (size_t r = 0; r < repeats; r++) stratum_sgemm(s->transpose_a, s->transpose_b, s->m, s->n, s->k, a, b, c, 0);
    double elapsed = now_seconds() - start;
    rates[sample] = flops * (double)repeats / elapsed / 1e9;
  }
  qsort(rates, SAMPLES, sizeof rates[0], compare_doubles);
  return rates[SAMPLES / 2];
}

int main(int argc, char **argv) {
  /* An optional argument caps the instruction set: portable, avx2 or avx512. */
  if (argc > 1) {
    stratum_isa limit;
    if (strcmp(argv[1], "portable") == 0) {
      limit = STRATUM_ISA_PORTABLE;
    } else if (strcmp(argv[1], "avx2") == 0) {
      limit = STRATUM_ISA_AVX2;
    } else if (strcmp(argv[1], "avx512") == 0) {
      limit = STRATUM_ISA_AVX512;
    } else {
      fprintf(stderr, "gemm_bench: invalid instruction set '%s'; expected portable, avx2 or avx512\n", argv[1]);
      return 2;
    }
    stratum_set_isa_limit(limit);
  }
  printf("isa: %s\n", stratum_isa_name(stratum_cpu_isa()));
  printf("%-26s %12s %12s\n", "shape", "1 thread", "2 threads");
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    const shape *s = &shapes[i];
    float *a = random_matrix(s->m * s->k);
    float *b = random_matrix(s->k * s->n);
    float *c = random_matrix(s->m * s->n);
    stratum_pool_init(1);
    double single_thread = measure(s, a, b, c);
    stratum_pool_init(2);
    double two_threads = measure(s, a, b, c);
    printf("%-26s %12.1f %12.1f\n", s->name, single_thread, two_threads);
    fflush(stdout);
    free(a);
    free(b);
    free(c);
  }
  stratum_pool_init(1);
  return 0;
}
