/**
 * Seed inputs for the loader fuzzer: the real Keras files in
 * `test/fixtures/keras-real/`, and models that Stratum itself writes
 * (trained one step, so their files carry optimizer state).
 */

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { strFromU8, strToU8, unzipSync } from "fflate";
import { readHdf5, writeHdf5 } from "../../src/io/hdf5.js";
import { encodeModel } from "../../src/io/saving.js";
import { modelWeightsTree } from "../../src/io/weights.js";
import * as layers from "../../src/layers/index.js";
import { Input, type SymbolicTensor } from "../../src/layers/input.js";
import { Model } from "../../src/models/model.js";
import { Sequential } from "../../src/models/sequential.js";
import { setRandomSeed } from "../../src/random.js";
import { Tensor } from "../../src/tensor/tensor.js";
import type { TargetName } from "./targets.js";

export interface FuzzInput {
  target: TargetName;
  bytes: Uint8Array;
  /** Key into the base files: the model file that `loadWeights` and `config.json` inputs belong to. */
  base: string | null;
  /** Where the input came from, for the report: the seed's name, or the seed a mutant descends from. */
  origin: string;
}

function trainedOnce(model: Model, inputShapes: number[][], outputShape: number[]): Model {
  model.compile({ optimizer: "adam", loss: "mse" });
  const fill = (shape: number[], scale: number) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return new Tensor(Float32Array.from({ length: size }, (_, i) => ((i * 7919) % 13) * scale), shape);
  };
  const xs = inputShapes.map((shape) => fill(shape, 0.1));
  model.trainOnBatch(xs.length === 1 ? xs[0]! : xs, fill(outputShape, 0.05));
  return model;
}

/** Small models that together use the layer kinds most files contain. */
function writtenModels(): { name: string; model: Model }[] {
  setRandomSeed(11);
  const dense = trainedOnce(
    new Sequential([
      Input({ shape: [5] }),
      new layers.Dense({ units: 4, activation: "relu" }),
      new layers.Dropout({ rate: 0.2 }),
      new layers.Dense({ units: 2, activation: "softmax" }),
    ]),
    [[3, 5]],
    [3, 2],
  );
  const conv = trainedOnce(
    new Sequential([
      Input({ shape: [6, 6, 1] }),
      new layers.Conv2D({ filters: 2, kernelSize: 3, activation: "relu" }),
      new layers.BatchNormalization(),
      new layers.MaxPooling2D({ poolSize: 2 }),
      new layers.Flatten(),
      new layers.Dense({ units: 3 }),
    ]),
    [[2, 6, 6, 1]],
    [2, 3],
  );
  const recurrent = new Sequential([
    Input({ shape: [4] }),
    new layers.Embedding({ inputDim: 7, outputDim: 3, maskZero: true }),
    new layers.Bidirectional({ layer: new layers.GRU({ units: 2, returnSequences: true }) }),
    new layers.LSTM({ units: 2 }),
    new layers.Dense({ units: 1 }),
  ]);
  const a = Input({ shape: [3], name: "a" });
  const b = Input({ shape: [3], name: "b" });
  const sum = new layers.Add().apply([a, b]) as SymbolicTensor;
  const joined = new layers.Concatenate().apply([sum, a]) as SymbolicTensor;
  const functional = trainedOnce(
    new Model({ inputs: [a, b], outputs: new layers.Dense({ units: 2 }).apply(joined) }),
    [[2, 3], [2, 3]],
    [2, 2],
  );
  return [
    { name: "dense", model: dense },
    { name: "conv", model: conv },
    { name: "recurrent", model: recurrent },
    { name: "functional", model: functional },
  ];
}

function isZip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b;
}

/** Serialized layer entries of a model config, one JSON text per layer. */
function layerEntries(config: unknown): string[] {
  const layerList = (config as { config?: { layers?: unknown } } | null)?.config?.layers;
  if (!Array.isArray(layerList)) return [];
  return layerList.map((entry) => JSON.stringify(entry));
}

/**
 * Builds the seed inputs of every target and the base files they refer to.
 * `fixtures` is the directory of real Keras files.
 */
export async function buildSeeds(fixtures: string): Promise<{ seeds: FuzzInput[]; bases: Map<string, Uint8Array> }> {
  const bases = new Map<string, Uint8Array>();
  for (const name of readdirSync(fixtures).sort()) {
    if (name.endsWith(".keras") || name.endsWith(".h5")) bases.set(`keras-real/${name}`, new Uint8Array(readFileSync(join(fixtures, name))));
  }
  for (const { name, model } of writtenModels()) {
    bases.set(`written/${name}.keras`, await encodeModel(model));
    bases.set(`written/${name}.weights.h5`, await writeHdf5(modelWeightsTree(model), name));
  }
  const seeds: FuzzInput[] = [];
  for (const [key, bytes] of bases) {
    if (key.endsWith(".weights.h5")) {
      seeds.push({ target: "loadWeights", bytes, base: key.replace(/\.weights\.h5$/, ".keras"), origin: key });
      continue;
    }
    seeds.push({ target: "loadModel", bytes, base: null, origin: key });
    let config: unknown;
    if (isZip(bytes)) {
      const members = unzipSync(bytes);
      const configText = strFromU8(members["config.json"]!);
      config = JSON.parse(configText);
      seeds.push({ target: "config.json", bytes: members["config.json"]!, base: key, origin: key });
      seeds.push({ target: "loadWeights", bytes: members["model.weights.h5"]!, base: key, origin: `${key}/model.weights.h5` });
    } else {
      const tree = await readHdf5(bytes, key);
      const modelConfig = tree.attrs["model_config"];
      config = typeof modelConfig === "string" ? JSON.parse(modelConfig) : null;
      seeds.push({ target: "loadWeights", bytes, base: key, origin: key });
    }
    if (config !== null) {
      seeds.push({ target: "Model.fromConfig", bytes: strToU8(JSON.stringify(config)), base: null, origin: key });
      for (const entry of layerEntries(config)) seeds.push({ target: "deserialize", bytes: strToU8(entry), base: null, origin: key });
    }
  }
  return { seeds, bases };
}
