#include "scan.h"

#include "threadpool.h"

#include <string.h>

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

/* Elements tested per block before the scan looks for a non-finite one. */
#define SCAN_BLOCK 4096

/*
 * Returns the largest exponent field (bits 23-30) among n floats. A float
 * is NaN or infinite exactly when its exponent field is all ones, so the
 * block holds one when the maximum is 0x7f800000. An unsigned maximum over
 * masked bits vectorizes, unlike a loop that stops at the first hit.
 */
VECTOR_CLONES
static uint32_t max_exponent_bits(const uint32_t *bits, size_t n) {
  uint32_t largest = 0;
  for (size_t i = 0; i < n; i++) {
    const uint32_t exponent = bits[i] & 0x7f800000u;
    largest = exponent > largest ? exponent : largest;
  }
  return largest;
}

/* Index of the first non-finite element of bits[0 .. n), or -1. */
static int64_t find_non_finite_serial(const uint32_t *bits, size_t n) {
  for (size_t start = 0; start < n; start += SCAN_BLOCK) {
    const size_t count = n - start < SCAN_BLOCK ? n - start : SCAN_BLOCK;
    if (max_exponent_bits(bits + start, count) != 0x7f800000u) continue;
    for (size_t i = start; i < start + count; i++) {
      if ((bits[i] & 0x7f800000u) == 0x7f800000u) return (int64_t)i;
    }
  }
  return -1;
}

int64_t k_find_non_finite_serial(const float *x, size_t n) {
  return find_non_finite_serial((const uint32_t *)(const void *)x, n);
}

/*
 * Elements per task of a parallel scan. A training set is scanned at every
 * fit call and often comes from main memory, where two cores read faster
 * than one.
 */
#define SCAN_TASK_ELEMENTS ((size_t)1 << 20)

typedef struct {
  const uint32_t *bits;
  size_t n;
  /* The first non-finite index of each task's range, or -1. */
  int64_t *found;
} scan_args;

static void scan_task(void *context, size_t task) {
  const scan_args *args = context;
  const size_t start = task * SCAN_TASK_ELEMENTS;
  const size_t count = args->n - start < SCAN_TASK_ELEMENTS ? args->n - start : SCAN_TASK_ELEMENTS;
  const int64_t index = find_non_finite_serial(args->bits + start, count);
  args->found[task] = index < 0 ? -1 : (int64_t)start + index;
}

/* Tasks of the largest parallel scan; longer arrays are scanned in several rounds. */
#define SCAN_MAX_TASKS 8

int64_t k_find_non_finite(const float *x, size_t n) {
  /* Typed arrays of float32 are 4-byte aligned, so reading their bits as uint32_t is safe. */
  const uint32_t *bits = (const uint32_t *)(const void *)x;
  if (n < 2 * SCAN_TASK_ELEMENTS) return find_non_finite_serial(bits, n);
  /* Rounds of at most SCAN_MAX_TASKS tasks, in order, so a hit in an early round ends the scan. */
  int64_t found[SCAN_MAX_TASKS];
  for (size_t round = 0; round < n; round += SCAN_MAX_TASKS * SCAN_TASK_ELEMENTS) {
    const size_t remaining = n - round;
    const size_t tasks = (remaining + SCAN_TASK_ELEMENTS - 1) / SCAN_TASK_ELEMENTS;
    scan_args args = {bits + round, remaining, found};
    stratum_pool_run(tasks < SCAN_MAX_TASKS ? tasks : SCAN_MAX_TASKS, scan_task, &args);
    for (size_t task = 0; task < tasks && task < SCAN_MAX_TASKS; task++) {
      if (found[task] >= 0) return (int64_t)round + found[task];
    }
  }
  return -1;
}
