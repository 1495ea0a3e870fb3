{
  "targets": [
    {
      "target_name": "stratum_native",
      "sources": [
        "native/src/addon.c",
        "native/src/cpu.c",
        "native/src/gemm.c",
        "native/src/kernels.c",
        "native/src/threadpool.c",
        "native/src/conv.c",
        "native/src/optimizers.c",
        "native/src/normalization.c",
        "native/src/recurrent.c",
        "native/src/activations.c",
        "native/src/depthwise.c",
        "native/src/scan.c",
        "native/src/sparse.c"
      ],
      # -ffp-contract=off: GCC's default for GNU C fuses a * b + c into one
      # rounding in some versions of a vectorized loop and not in others, and
      # the version is picked at run time from the length and from the
      # distance between the arrays, so seeded results would depend on where
      # the buffers happen to sit. Explicit FMA intrinsics are unaffected.
      "cflags": ["-O3", "-std=gnu11", "-fno-math-errno", "-ffp-contract=off", "-pthread", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags!": ["-O2", "-O0"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-O3", "-std=gnu11", "-fno-math-errno", "-ffp-contract=off"]
      }
    }
  ]
}
