#include "cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

static stratum_isa limit = STRATUM_ISA_AVX512;

static stratum_isa detect(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return STRATUM_ISA_AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return STRATUM_ISA_AVX2;
#endif
  /* NOTE: arm64 and other architectures use the portable C kernels; NEON paths are not written yet. */
  return STRATUM_ISA_PORTABLE;
}

stratum_isa stratum_cpu_isa(void) {
  static int detected = 0;
  static stratum_isa best = STRATUM_ISA_PORTABLE;
  if (!detected) {
    best = detect();
    detected = 1;
  }
  return best < limit ? best : limit;
}

stratum_isa stratum_set_isa_limit(stratum_isa new_limit) {
  limit = new_limit;
  return stratum_cpu_isa();
}

const char *stratum_isa_name(stratum_isa isa) {
  switch (isa) {
    case STRATUM_ISA_AVX512:
      return "avx512";
    case STRATUM_ISA_AVX2:
      return "avx2";
    default:
      return "portable";
  }
}

/* MXCSR's flush-to-zero (results) and denormals-are-zero (inputs) bits. */
#define FLUSH_TO_ZERO 0x8000u
#define DENORMALS_ARE_ZERO 0x0040u

unsigned stratum_flush_subnormals(void) {
#if defined(__x86_64__) || defined(__i386__)
  const unsigned mode = _mm_getcsr();
  _mm_setcsr(mode | FLUSH_TO_ZERO | DENORMALS_ARE_ZERO);
  return mode;
#else
  return 0;
#endif
}

void stratum_restore_float_mode(unsigned mode) {
#if defined(__x86_64__) || defined(__i386__)
  _mm_setcsr(mode);
#else
  (void)mode;
#endif
}
