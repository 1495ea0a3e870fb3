import { describe, test } from "node:test";
import { recurrentScan, type RecurrentScanOptions } from "../../src/ops/recurrent.js";
import { RandomGenerator } from "../../src/random.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { checkGradients } from "../helpers/gradcheck.js";

function random64(shape: number[], seed: number, scale = 1): Tensor {
  const generator = new RandomGenerator(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float64Array.from({ length: size }, () => (generator.uniform() * 2 - 1) * scale), shape);
}

const BATCH = 2;
const STEPS = 3;
const UNITS = 2;

interface ScanCase {
  name: string;
  options: Omit<RecurrentScanOptions, "units">;
  gates: number;
  states: number;
  recurrentBias?: boolean;
}

const MASK = Float64Array.from([1, 0, 1, 1, 1, 0]);
const dropoutMasks = (count: number): Float64Array[] =>
  Array.from({ length: count }, (_, g) => Float64Array.from({ length: BATCH * UNITS }, (_, i) => ((i + g) % 3 === 0 ? 0 : 1.5)));

const CASES: ScanCase[] = [
  { name: "simple_rnn", options: { kind: "simple_rnn", activation: "tanh", recurrentActivation: "sigmoid" }, gates: 1, states: 1 },
  { name: "simple_rnn relu backwards", options: { kind: "simple_rnn", activation: "relu", recurrentActivation: "sigmoid", goBackwards: true }, gates: 1, states: 1 },
  { name: "lstm", options: { kind: "lstm", activation: "tanh", recurrentActivation: "sigmoid" }, gates: 4, states: 2 },
  {
    name: "lstm masked backwards",
    options: { kind: "lstm", activation: "tanh", recurrentActivation: "sigmoid", mask: MASK, goBackwards: true },
    gates: 4,
    states: 2,
  },
  {
    name: "lstm zero output for mask",
    options: { kind: "lstm", activation: "tanh", recurrentActivation: "sigmoid", mask: MASK, zeroOutputForMask: true },
    gates: 4,
    states: 2,
  },
  {
    name: "lstm recurrent dropout",
    options: { kind: "lstm", activation: "tanh", recurrentActivation: "sigmoid", recurrentMasks: dropoutMasks(4) },
    gates: 4,
    states: 2,
  },
  { name: "gru reset after", options: { kind: "gru", activation: "tanh", recurrentActivation: "sigmoid" }, gates: 3, states: 1, recurrentBias: true },
  {
    name: "gru reset after masked with dropout",
    options: { kind: "gru", activation: "tanh", recurrentActivation: "sigmoid", mask: MASK, recurrentMasks: dropoutMasks(3) },
    gates: 3,
    states: 1,
    recurrentBias: true,
  },
  { name: "gru reset before", options: { kind: "gru", activation: "tanh", recurrentActivation: "sigmoid", resetAfter: false }, gates: 3, states: 1 },
  {
    name: "gru reset before masked with dropout",
    options: {
      kind: "gru",
      activation: "tanh",
      recurrentActivation: "sigmoid",
      resetAfter: false,
      mask: MASK,
      goBackwards: true,
      recurrentMasks: dropoutMasks(3),
    },
    gates: 3,
    states: 1,
  },
];

describe("recurrentScan gradients", () => {
  for (const c of CASES) {
    test(c.name, () => {
      const width = c.gates * UNITS;
      const inputs = [random64([BATCH, STEPS, width], 1), random64([UNITS, width], 2)];
      if (c.recurrentBias) inputs.push(random64([width], 3, 0.5));
      for (let k = 0; k < c.states; k++) inputs.push(random64([BATCH, UNITS], 4 + k, 0.5));
      checkGradients((...all) => {
        const [projected, kernel] = all as [Tensor, Tensor];
        const bias = c.recurrentBias ? all[2]! : null;
        const states = all.slice(c.recurrentBias ? 3 : 2);
        return recurrentScan(projected, kernel, bias, states, { ...c.options, units: UNITS });
      }, inputs);
    });
  }
});
