/**
 * Time of one training epoch of LSTM(64) > Dense(1) on 1024 random
 * sequences of 60 steps and 9 features (batch 32, so 32 steps of Adam with
 * mse), on each available backend. One warm-up epoch runs first; the
 * median of the following epochs is reported.
 *
 * Usage: node --conditions=stratum-source --import tsx bench/lstm-epoch.ts [epochs]
 * STRATUM_BENCH_BACKEND=native (or typescript) times one backend only.
 */

import { Dense, Input, LSTM, Sequential, listBackends, setBackend, setRandomSeed } from "../src/index.js";
import { RandomGenerator } from "../src/random.js";
import { Tensor } from "../src/tensor/tensor.js";

const SAMPLES = 1024;
const STEPS = 60;
const FEATURES = 9;
const UNITS = 64;
const BATCH = 32;
const epochs = Number(process.argv[2] ?? 3);

const generator = new RandomGenerator(1);
const x = new Tensor(Float32Array.from({ length: SAMPLES * STEPS * FEATURES }, () => generator.normal()), [SAMPLES, STEPS, FEATURES]);
const y = new Tensor(Float32Array.from({ length: SAMPLES }, () => generator.normal()), [SAMPLES, 1]);

for (const backend of process.env["STRATUM_BENCH_BACKEND"] ? [process.env["STRATUM_BENCH_BACKEND"]] : listBackends()) {
  setBackend(backend);
  setRandomSeed(2);
  const model = new Sequential([Input({ shape: [STEPS, FEATURES] }), new LSTM({ units: UNITS }), new Dense({ units: 1 })]);
  model.compile({ optimizer: "adam", loss: "mse" });
  await model.fit(x, y, { epochs: 1, batchSize: BATCH, verbose: 0 });
  const times: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const start = performance.now();
    await model.fit(x, y, { epochs: 1, batchSize: BATCH, verbose: 0 });
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  process.stdout.write(
    `${backend}: ${(median / 1000).toFixed(2)} s per epoch (${(median / (SAMPLES / BATCH)).toFixed(1)} ms per batch), ` +
      `runs ${times.map((t) => (t / 1000).toFixed(2)).join(", ")} s\n`,
  );
}
