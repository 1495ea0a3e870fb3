#include "scan.h"

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

int64_t k_find_non_finite(const float *x, size_t n) {
  /* Typed arrays of float32 are 4-byte aligned, so reading their bits as uint32_t is safe. */
  const uint32_t *bits = (const uint32_t *)(const void *)x;
  for (size_t start = 0; start < n; start += SCAN_BLOCK) {
    const size_t count = n - start < SCAN_BLOCK ? n - start : SCAN_BLOCK;
    if (max_exponent_bits(bits + start, count) != 0x7f800000u) continue;
    for (size_t i = start; i < start + count; i++) {
      if ((bits[i] & 0x7f800000u) == 0x7f800000u) return (int64_t)i;
    }
  }
  return -1;
}
