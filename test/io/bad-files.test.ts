import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { strToU8, strFromU8, unzipSync, zipSync } from "fflate";
import { ValueError } from "../../src/errors.js";
import { writeHdf5 } from "../../src/io/hdf5.js";
import { encodeModel, loadModel } from "../../src/io/saving.js";
import { Dense } from "../../src/layers/dense.js";
import { registerLayer } from "../../src/layers/index.js";
import { Input } from "../../src/layers/input.js";
import { setLogSink } from "../../src/logger.js";
import { Sequential } from "../../src/models/sequential.js";
import { setRandomSeed } from "../../src/random.js";
import { Tensor } from "../../src/tensor/tensor.js";

const directory = mkdtempSync(join(tmpdir(), "stratum-io-"));
after(() => rmSync(directory, { recursive: true, force: true }));

async function smallModelBytes(): Promise<Uint8Array> {
  setRandomSeed(4);
  const model = new Sequential([Input({ shape: [3] }), new Dense({ units: 2, name: "out" })], { name: "small" });
  return encodeModel(model);
}

/** Rebuilds a .keras archive with its config.json changed by `edit`. */
function editConfig(bytes: Uint8Array, edit: (config: Record<string, any>) => void): Uint8Array {
  const members = unzipSync(bytes);
  const config = JSON.parse(strFromU8(members["config.json"]!));
  edit(config);
  members["config.json"] = strToU8(JSON.stringify(config));
  return zipSync(members, { level: 0 });
}

async function rejects(bytes: Uint8Array, pattern: RegExp): Promise<void> {
  await assert.rejects(loadModel(bytes), (error: unknown) => {
    assert.ok(error instanceof ValueError, `expected a ValueError, received ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

test("empty file is rejected", async () => {
  await rejects(new Uint8Array(0), /empty/);
});

test("random bytes are rejected", async () => {
  await rejects(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), /neither a zip archive.*nor an HDF5 file.*01 02 03/);
});

test("pickle is rejected as a pickle", async () => {
  const archive = await smallModelBytes();
  const pickle = new Uint8Array([0x80, 0x04, 0x95, ...new Array(81).fill(0x20), ...archive, 0x94, 0x2e]);
  await rejects(pickle, /Python pickle.*embedded zip archive/);
});

test("JSON file is rejected", async () => {
  await rejects(strToU8('{"modelTopology": {}}'), /JSON text/);
});

test("truncated .keras file is rejected", async () => {
  const bytes = await smallModelBytes();
  await rejects(bytes.slice(0, Math.floor(bytes.length / 2)), /truncated or corrupted|corrupted or truncated/);
});

test("truncated HDF5 file is rejected", async () => {
  const bytes = readFileSync(new URL("../fixtures/keras-real/21-crypto-ann-k222.h5", import.meta.url));
  await rejects(new Uint8Array(bytes).slice(0, 4000), /corrupted or truncated/);
});

test("corrupted weights member is rejected", async () => {
  const members = unzipSync(await smallModelBytes());
  const weights = members["model.weights.h5"]!;
  for (let i = 8; i < 200; i++) weights[i] = 0xff;
  await rejects(zipSync(members, { level: 0 }), /corrupted or truncated/);
});

test("zip bomb is rejected before inflating", async () => {
  const members = unzipSync(await smallModelBytes());
  const archive = zipSync({
    "metadata.json": members["metadata.json"]!,
    "config.json": members["config.json"]!,
    "model.weights.h5": [new Uint8Array(8 * 1024 * 1024), { level: 9 }],
  });
  await rejects(archive, /decompression bomb/);
});

test("path-like zip member names are rejected", async () => {
  const members = unzipSync(await smallModelBytes());
  for (const name of ["../escape.txt", "/etc/passwd", "C:/evil", "assets\\..\\x"]) {
    await rejects(zipSync({ ...members, [name]: strToU8("x") }, { level: 0 }), /not a plain relative path/);
  }
});

test("zip without config.json is rejected", async () => {
  await rejects(zipSync({ "notes.txt": strToU8("hello") }), /no config\.json/);
});

test("Lambda layer is rejected with its name", async () => {
  const bytes = editConfig(await smallModelBytes(), (config) => {
    config.config.layers.push({ module: "keras.layers", class_name: "Lambda", config: { name: "my_lambda", function: { class_name: "__lambda__", config: { code: "AAAA" } } } });
  });
  await rejects(bytes, /layer "my_lambda" \(Lambda\).*never runs code/);
});

test("__lambda__ entry in a config is rejected", async () => {
  const bytes = editConfig(await smallModelBytes(), (config) => {
    config.config.layers[1].config.activation = { class_name: "__lambda__", config: { code: "AAAA" } };
  });
  await rejects(bytes, /layer "out" \(Dense\).*"__lambda__"/);
});

test("unknown module is rejected unless registered", async () => {
  const bytes = editConfig(await smallModelBytes(), (config) => {
    Object.assign(config.config.layers[1], { module: "my_package.layers", class_name: "ScaledDense", registered_name: "my_package>ScaledDense" });
  });
  await rejects(bytes, /layer "out" \(ScaledDense\).*module "my_package\.layers".*registerLayer\("my_package>ScaledDense"/);
  registerLayer("my_package>ScaledDense", (config) => Dense.fromConfig(config));
  const model = await loadModel(bytes);
  assert.equal(model.layers[0]!.name, "out");
});

test("unknown config keys are dropped with one warning", async () => {
  const bytes = editConfig(await smallModelBytes(), (config) => {
    config.config.layers[1].config.future_option = 1;
    config.config.layers[1].config.another_option = "x";
  });
  const lines: string[] = [];
  const previous = setLogSink((line) => lines.push(line));
  try {
    const model = await loadModel(bytes);
    assert.equal(model.layers.length, 1);
  } finally {
    setLogSink(previous);
  }
  assert.equal(lines.length, 1, `one warning, received ${JSON.stringify(lines)}`);
  assert.match(lines[0]!, /Dense\.future_option, Dense\.another_option/);
});

test("fromConfig still rejects unknown keys", () => {
  assert.throws(() => Dense.fromConfig({ units: 2, future_option: 1 }), /Unknown option "future_option"/);
});

test("weights-only HDF5 file is rejected by loadModel", async () => {
  const weights = unzipSync(await smallModelBytes())["model.weights.h5"]!;
  await rejects(weights, /contains only weights.*loadWeights/);
});

test("save over a directory fails and leaves no temporary file", async () => {
  const model = new Sequential([Input({ shape: [3] }), new Dense({ units: 2 })]);
  const target = join(directory, "taken.keras");
  mkdirSync(target);
  await assert.rejects(model.save(target));
  assert.deepEqual(readdirSync(directory), ["taken.keras"]);
});

test("failed save keeps the previous file", async () => {
  const path = join(directory, "kept.keras");
  const model = new Sequential([Input({ shape: [3] }), new Dense({ units: 2 })]);
  await model.save(path);
  const before = readFileSync(path);
  const unbuilt = new Sequential([new Dense({ units: 2 })]);
  await assert.rejects(unbuilt.save(path), /not built/);
  assert.deepEqual(readFileSync(path), before);
});

test("weights file round trip through a path", async () => {
  setRandomSeed(5);
  const model = new Sequential([Input({ shape: [3] }), new Dense({ units: 2 })]);
  const copy = new Sequential([Input({ shape: [3] }), new Dense({ units: 2 })]);
  const path = join(directory, "small.weights.h5");
  await model.saveWeights(path);
  await copy.loadWeights(path);
  assert.deepEqual(copy.getWeights().map((t: Tensor) => Array.from(t.data)), model.getWeights().map((t: Tensor) => Array.from(t.data)));
  await assert.rejects(model.saveWeights(join(directory, "small.h5")), /ending in "\.weights\.h5"/);
});

test("legacy weights with chunked layer names load by position", async () => {
  const model = new Sequential([Input({ shape: [2] }), new Dense({ units: 1, name: "first" }), new Dense({ units: 1, name: "second" })]);
  const layer = (name: string, kernel: number[], bias: number) => ({
    attrs: { weight_names: [`${name}/kernel:0`, `${name}/bias:0`] },
    groups: [
      [name, { attrs: {}, groups: [], datasets: [
        ["kernel:0", { dtype: "<f", shape: [kernel.length, 1], data: new Float32Array(kernel), attrs: {} }],
        ["bias:0", { dtype: "<f", shape: [1], data: new Float32Array([bias]), attrs: {} }],
      ] }],
    ],
    datasets: [],
  });
  const bytes = await writeHdf5(
    {
      attrs: { layer_names0: ["dense_a"], layer_names1: ["dense_b"], backend: "tensorflow" },
      groups: [["dense_a", layer("dense_a", [1, 2], 3) as any], ["dense_b", layer("dense_b", [4], 5) as any]],
      datasets: [],
    },
    "a legacy weights file",
  );
  await model.loadWeights(bytes);
  assert.deepEqual(model.getWeights().map((t: Tensor) => Array.from(t.data)), [[1, 2], [3], [4], [5]]);
});

test("weights of another architecture are rejected", async () => {
  const model = new Sequential([Input({ shape: [3] }), new Dense({ units: 2 })]);
  const other = new Sequential([Input({ shape: [4] }), new Dense({ units: 2 })]);
  const path = join(directory, "other.weights.h5");
  await other.saveWeights(path);
  await assert.rejects(model.loadWeights(path), /shape \[3, 2\].*shape \[4, 2\]/);
});

test("HDF5 timeout restarts the library", async () => {
  const path = new URL("../fixtures/keras-real/10-mnist-cnn-bn.keras", import.meta.url).pathname;
  await assert.rejects(loadModel(path, { timeoutMs: 1 }), /timed out after 1 ms/);
  const model = await loadModel(path, { compile: false });
  assert.ok(model.layers.length > 0);
});
