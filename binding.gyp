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
        "native/src/depthwise.c"
      ],
      "cflags": ["-O3", "-std=gnu11", "-fno-math-errno", "-pthread", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags!": ["-O2", "-O0"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-O3", "-std=gnu11", "-fno-math-errno"]
      }
    }
  ]
}
