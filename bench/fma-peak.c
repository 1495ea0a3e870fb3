/*
 * Measures the float32 multiply-add rate of one core: a loop of independent
 * FMA instructions on registers, with no loads or stores, in the widest
 * vectors the CPU has (AVX-512, else AVX2 with FMA). The benchmark starts
 * one copy per core at the same time and adds up their rates, which gives
 * the machine's peak as the cores really run, clock boost and the width of
 * the FMA units included.
 *
 * Usage: fma-peak SECONDS
 * Prints "<isa> <GFLOP/s>", the median of 5 timed runs of SECONDS / 5 each,
 * or "none 0" on a CPU without FMA or outside x86-64.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define RUNS 5

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int compare_doubles(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

#if defined(__x86_64__) && defined(__GNUC__)
/*
 * Each iteration issues one FMA into each accumulator. The accumulators
 * stay 0 (0 · 0 + 0), so no subnormal slows a step, and there are enough
 * of them to keep two FMA units with a latency of up to 8 cycles busy.
 */

/*
 * AVX-512: 16 zmm accumulators, 16 lanes each.
 * NOTE: this loop has been assembled but not yet run, because the machine it
 * was written on has no AVX-512.
 */
__attribute__((target("avx512f"))) static void fma_loop_avx512(long iterations) {
  __asm__ volatile(
      "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
      "vpxord %%zmm1, %%zmm1, %%zmm1\n\t"
      "vpxord %%zmm2, %%zmm2, %%zmm2\n\t"
      "vpxord %%zmm3, %%zmm3, %%zmm3\n\t"
      "vpxord %%zmm4, %%zmm4, %%zmm4\n\t"
      "vpxord %%zmm5, %%zmm5, %%zmm5\n\t"
      "vpxord %%zmm6, %%zmm6, %%zmm6\n\t"
      "vpxord %%zmm7, %%zmm7, %%zmm7\n\t"
      "vpxord %%zmm8, %%zmm8, %%zmm8\n\t"
      "vpxord %%zmm9, %%zmm9, %%zmm9\n\t"
      "vpxord %%zmm10, %%zmm10, %%zmm10\n\t"
      "vpxord %%zmm11, %%zmm11, %%zmm11\n\t"
      "vpxord %%zmm12, %%zmm12, %%zmm12\n\t"
      "vpxord %%zmm13, %%zmm13, %%zmm13\n\t"
      "vpxord %%zmm14, %%zmm14, %%zmm14\n\t"
      "vpxord %%zmm15, %%zmm15, %%zmm15\n\t"
      "vpxord %%zmm30, %%zmm30, %%zmm30\n\t"
      "vpxord %%zmm31, %%zmm31, %%zmm31\n\t"
      "1:\n\t"
      "vfmadd231ps %%zmm30, %%zmm31, %%zmm0\n\t"
      "vfmadd231ps %%zmm30, %%zmm31, %%zmm1\n\t"
      "vfmadd231ps %%zmm30, %%zmm31, %%zmm2\n\t"
      "vfmadd231ps %%zmm30, %%zmm31, %%zmm3\n\t"
      "vfmadd231ps %%zmm30, %%zmm31, %%zmm4\n\t"
      "vfmadd231ps %%zmm30, %%zmm31, %%zmm5\n\t"
      "vfmadd231ps %%zmm30, %%zmm31, %%zmm6\n\t"
      "vfmadd231ps %%zmm30, %%zmm31, %%zmm7\n\t"
      "vfmadd231ps %%zmm30, %%zmm31, %%zmm8\n\t"
      "vfmadd231ps %%zmm30, %%zmm31, %%zmm9\n\t"
      "vfmadd231ps %%zmm30, %%zmm31, %%zmm10\n\t"
      "vfmadd231ps %%zmm30, %%zmm31, %%zmm11\n\t"
      "vfmadd231ps %%zmm30, %%zmm31, %%zmm12\n\t"
      "vfmadd231ps %%zmm30, %%zmm31, %%zmm13\n\t"
      "vfmadd231ps %%zmm30, %%zmm31, %%zmm14\n\t"
      "vfmadd231ps %%zmm30, %%zmm31, %%zmm15\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      "vzeroupper\n\t"
      : "+r"(iterations)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm30", "xmm31", "cc");
}

/* AVX2: 12 ymm accumulators, 8 lanes each. ymm14 and ymm15 are the operands. */
__attribute__((target("avx2,fma"))) static void fma_loop_avx2(long iterations) {
  __asm__ volatile(
      "vxorps %%ymm0, %%ymm0, %%ymm0\n\t"
      "vxorps %%ymm1, %%ymm1, %%ymm1\n\t"
      "vxorps %%ymm2, %%ymm2, %%ymm2\n\t"
      "vxorps %%ymm3, %%ymm3, %%ymm3\n\t"
      "vxorps %%ymm4, %%ymm4, %%ymm4\n\t"
      "vxorps %%ymm5, %%ymm5, %%ymm5\n\t"
      "vxorps %%ymm6, %%ymm6, %%ymm6\n\t"
      "vxorps %%ymm7, %%ymm7, %%ymm7\n\t"
      "vxorps %%ymm8, %%ymm8, %%ymm8\n\t"
      "vxorps %%ymm9, %%ymm9, %%ymm9\n\t"
      "vxorps %%ymm10, %%ymm10, %%ymm10\n\t"
      "vxorps %%ymm11, %%ymm11, %%ymm11\n\t"
      "vxorps %%ymm14, %%ymm14, %%ymm14\n\t"
      "vxorps %%ymm15, %%ymm15, %%ymm15\n\t"
      "1:\n\t"
      "vfmadd231ps %%ymm14, %%ymm15, %%ymm0\n\t"
      "vfmadd231ps %%ymm14, %%ymm15, %%ymm1\n\t"
      "vfmadd231ps %%ymm14, %%ymm15, %%ymm2\n\t"
      "vfmadd231ps %%ymm14, %%ymm15, %%ymm3\n\t"
      "vfmadd231ps %%ymm14, %%ymm15, %%ymm4\n\t"
      "vfmadd231ps %%ymm14, %%ymm15, %%ymm5\n\t"
      "vfmadd231ps %%ymm14, %%ymm15, %%ymm6\n\t"
      "vfmadd231ps %%ymm14, %%ymm15, %%ymm7\n\t"
      "vfmadd231ps %%ymm14, %%ymm15, %%ymm8\n\t"
      "vfmadd231ps %%ymm14, %%ymm15, %%ymm9\n\t"
      "vfmadd231ps %%ymm14, %%ymm15, %%ymm10\n\t"
      "vfmadd231ps %%ymm14, %%ymm15, %%ymm11\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      "vzeroupper\n\t"
      : "+r"(iterations)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm14", "xmm15", "cc");
}
#endif

int main(int argc, char **argv) {
  const double seconds = argc > 1 ? atof(argv[1]) : 1.0;
  if (!(seconds > 0)) {
    fprintf(stderr, "fma-peak: invalid SECONDS '%s': expected a positive number, such as 1\n", argc > 1 ? argv[1] : "");
    return 2;
  }
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  const int avx512 = __builtin_cpu_supports("avx512f");
  const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!avx512 && !avx2) {
    printf("none 0\n");
    return 0;
  }
  /* FLOP per iteration: FMAs × lanes × 2. */
  const double flop_per_iteration = avx512 ? 16.0 * 16 * 2 : 12.0 * 8 * 2;
  void (*loop)(long) = avx512 ? fma_loop_avx512 : fma_loop_avx2;
  /* Calibrate the iteration count on a short run, which also wakes the core from idle. */
  long iterations = 1 << 16;
  for (;;) {
    double started = now_seconds();
    loop(iterations);
    double elapsed = now_seconds() - started;
    if (elapsed > 0.02) {
      iterations = (long)((double)iterations * (seconds / RUNS) / elapsed) + 1;
      break;
    }
    iterations *= 2;
  }
  double rates[RUNS];
  for (int run = 0; run < RUNS; run++) {
    double started = now_seconds();
    loop(iterations);
    rates[run] = flop_per_iteration * (double)iterations / (now_seconds() - started) / 1e9;
  }
  qsort(rates, RUNS, sizeof rates[0], compare_doubles);
  printf("%s %.2f\n", avx512 ? "avx512" : "avx2", rates[RUNS / 2]);
#else
  printf("none 0\n");
#endif
  return 0;
}
