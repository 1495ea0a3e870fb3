/* Runtime detection of the vector instruction sets the kernels can use. */
#ifndef STRATUM_CPU_H
#define STRATUM_CPU_H

typedef enum { STRATUM_ISA_PORTABLE = 0, STRATUM_ISA_AVX2 = 1, STRATUM_ISA_AVX512 = 2 } stratum_isa;

/* The best instruction set this CPU supports, capped by stratum_set_isa_limit. */
stratum_isa stratum_cpu_isa(void);

/* Caps the instruction set (for tests that compare the code paths); returns the level now in use. */
stratum_isa stratum_set_isa_limit(stratum_isa limit);

const char *stratum_isa_name(stratum_isa isa);

#endif
