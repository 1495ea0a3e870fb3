/* Runtime detection of the vector instruction sets the kernels can use. */
#ifndef STRATUM_CPU_H
#define STRATUM_CPU_H

typedef enum { STRATUM_ISA_PORTABLE = 0, STRATUM_ISA_AVX2 = 1, STRATUM_ISA_AVX512 = 2 } stratum_isa;

/* The best instruction set this CPU supports, capped by stratum_set_isa_limit. */
stratum_isa stratum_cpu_isa(void);

/* Caps the instruction set (for tests that compare the code paths); returns the level now in use. */
stratum_isa stratum_set_isa_limit(stratum_isa limit);

const char *stratum_isa_name(stratum_isa isa);

/*
 * Makes this thread's float arithmetic flush subnormal numbers to zero, both
 * as inputs and as results, and returns the mode it had, for
 * stratum_restore_float_mode. Keras on JAX runs on CPU in this mode too,
 * because XLA's CPU runtime sets it around each computation. Training makes
 * subnormals: Adam's momentum of a weight whose gradient stays 0 shrinks by
 * a tenth each step until it sticks at the smallest subnormals. On an Intel
 * Xeon, an Adam update with a tenth of its momentum there took 12 times as
 * long without this mode. On other architectures this does nothing.
 */
unsigned stratum_flush_subnormals(void);

/* Puts back the mode that stratum_flush_subnormals returned. */
void stratum_restore_float_mode(unsigned mode);

#endif
