import assert from "node:assert/strict";
import { test } from "node:test";
import { strFromU8, strToU8, unzipSync, zipSync } from "fflate";
import { ShapeError, StratumError, ValueError } from "../../src/errors.js";
import { encodeModel, loadModel } from "../../src/io/saving.js";
import { Dense } from "../../src/layers/dense.js";
import { deserialize } from "../../src/layers/index.js";
import { Input } from "../../src/layers/input.js";
import { Model } from "../../src/models/model.js";
import { Sequential } from "../../src/models/sequential.js";
import { setRandomSeed } from "../../src/random.js";
import { MAX_CONFIG_DEPTH } from "../../src/utils/config-depth.js";

/** Crafted hostile model files: each must be rejected with a StratumError, never crash, hang or allocate what it declares. */

async function smallModelBytes(): Promise<Uint8Array> {
  setRandomSeed(7);
  return encodeModel(new Sequential([Input({ shape: [3] }), new Dense({ units: 5, name: "out" })], { name: "small" }));
}

function withConfigText(bytes: Uint8Array, text: string): Uint8Array {
  const members = unzipSync(bytes);
  members["config.json"] = strToU8(text);
  return zipSync(members, { level: 0 });
}

function editConfig(bytes: Uint8Array, edit: (config: Record<string, any>) => void): Uint8Array {
  const config = JSON.parse(strFromU8(unzipSync(bytes)["config.json"]!));
  edit(config);
  return withConfigText(bytes, JSON.stringify(config));
}

async function rejects(bytes: Uint8Array, pattern: RegExp, type: typeof StratumError = ValueError): Promise<void> {
  await assert.rejects(loadModel(bytes, { compile: false }), (error: unknown) => {
    assert.ok(error instanceof type, `expected a ${type.name}, received ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

function nested(depth: number, open = "[", close = "]"): string {
  return open.repeat(depth) + "1" + close.repeat(depth);
}

test("config nested 100,000 levels is rejected", async () => {
  const bytes = await smallModelBytes();
  await rejects(withConfigText(bytes, nested(100_000)), /more than 512 levels deep/);
  const inside = strFromU8(unzipSync(bytes)["config.json"]!).replace('"name": "out"', `"name": ${nested(100_000, '{"a": ', "}")}`);
  await rejects(withConfigText(bytes, inside), /config\.json.*more than 512 levels deep/);
});

test("config nesting just within the bound gives a plain error", async () => {
  const bytes = editConfig(await smallModelBytes(), (config) => {
    config.config.layers[1].config.units = JSON.parse(nested(MAX_CONFIG_DEPTH - 10));
  });
  await rejects(bytes, /units/);
});

test("deserialize rejects deep nesting and wrong forms", () => {
  const deep = JSON.parse(nested(100_000));
  assert.throws(() => deserialize({ class_name: "Dense", config: { units: 2, name: deep } }), ValueError);
  assert.throws(() => deserialize({ class_name: "Dense", config: null as never }), /"config" is null/);
  assert.throws(() => deserialize({ class_name: 7 as never, config: {} }), /"class_name" is number 7/);
  assert.throws(() => deserialize(null as never), /from null/);
  assert.throws(() => deserialize({ class_name: "Dense", config: { units: 2, kernel_initializer: { class_name: "GlorotUniform", config: null } } }), ValueError);
  assert.throws(() => deserialize({ class_name: "InputLayer", config: { batch_shape: 5 } }), /batchShape/);
});

test("declared weight of 10^12 elements is rejected before allocation", async () => {
  const bytes = editConfig(await smallModelBytes(), (config) => {
    config.config.layers[0].config.batch_shape = [null, 1_000_000];
    config.config.layers[1].config.units = 1_000_000;
  });
  await rejects(bytes, /declares weights that need more than \d+ bytes.*weights file of \d+ bytes/);
  assert.throws(() => deserialize({ class_name: "Dense", config: { units: 1e6 } }).build([null, 1e6]), ShapeError);
});

test("declared weights far beyond the file are rejected", async () => {
  // 4,000 x 4,000 float32 is 64 MB, which typed arrays can hold but a file of a few kilobytes cannot fill.
  const bytes = editConfig(await smallModelBytes(), (config) => {
    config.config.layers[0].config.batch_shape = [null, 4000];
    config.config.layers[1].config.units = 4000;
  });
  await rejects(bytes, /declares weights that need more than/);
});

test("negative and fractional sizes are rejected", async () => {
  const bytes = await smallModelBytes();
  for (const units of [-5, 2.5]) {
    await rejects(editConfig(bytes, (config) => (config.config.layers[1].config.units = units)), /units/);
  }
  await rejects(editConfig(bytes, (config) => (config.config.layers[1].config.units = 1e308)), /Cannot allocate a float32 buffer of Infinity elements/, ShapeError);
  await rejects(editConfig(bytes, (config) => (config.config.layers[0].config.batch_shape = [null, -3])), /non-negative/);
});

/** Offset of the first dimension of the dataspace whose dimensions are `dims`, in an HDF5 file that h5wasm wrote (dataspace message version 2). */
function dataspaceOffset(file: Uint8Array, dims: bigint[]): number {
  for (let i = 0; i + 4 + 8 * dims.length <= file.length; i++) {
    if (file[i] !== 2 || file[i + 1] !== dims.length) continue;
    const view = new DataView(file.buffer, file.byteOffset + i + 4);
    if (dims.every((d, k) => view.getBigUint64(8 * k, true) === d)) return i + 4;
  }
  throw new Error(`no dataspace with dimensions ${dims.join(" x ")}`);
}

function withKernelRows(bytes: Uint8Array, rows: bigint): Uint8Array {
  const members = unzipSync(bytes);
  const weights = members["model.weights.h5"]!.slice();
  const offset = dataspaceOffset(weights, [3n, 5n]);
  new DataView(weights.buffer, weights.byteOffset + offset).setBigUint64(0, rows, true);
  members["model.weights.h5"] = weights;
  return zipSync(members, { level: 0 });
}

test("HDF5 dataset declaring 10^12 rows is rejected", async () => {
  await rejects(withKernelRows(await smallModelBytes(), 1_000_000_000_000n), /HDF5|declare more than/);
});

test("HDF5 dataset with fewer rows than its data is rejected", async () => {
  await rejects(withKernelRows(await smallModelBytes(), 1n), /HDF5|shape \[3, 5\].*shape \[1, 5\]/);
});

test("HDF5 dataset with more rows than its data is rejected", async () => {
  await rejects(withKernelRows(await smallModelBytes(), 4n), /HDF5|shape \[3, 5\]/);
});

test("zip member that understates its inflated size is rejected", async () => {
  const members = unzipSync(await smallModelBytes());
  const archive = zipSync({ ...members, "model.weights.h5": [new Uint8Array(4 * 1024 * 1024), { level: 9 }] });
  // Rewrite the inflated size of the weights member in its local header and its central directory record to 100 bytes.
  const view = new DataView(archive.buffer, archive.byteOffset);
  for (let i = 0; i + 46 < archive.length; i++) {
    const signature = view.getUint32(i, true);
    const local = signature === 0x04034b50;
    if (!local && signature !== 0x02014b50) continue;
    const nameAt = local ? 30 : 46;
    if (strFromU8(archive.subarray(i + nameAt, i + nameAt + 16)) !== "model.weights.h5") continue;
    view.setUint32(i + (local ? 22 : 24), 100, true);
  }
  await rejects(archive, /zip archive|corrupted|HDF5/);
});

test("path-like member names are rejected", async () => {
  const members = unzipSync(await smallModelBytes());
  for (const name of ["../../x", "/abs/config.json", "a\\b", "\\\\server\\share", "ok/../../x", "config.json\0.txt"]) {
    await rejects(zipSync({ ...members, [name]: strToU8("x") }, { level: 0 }), /not a plain relative path/);
  }
});

test("configs that request code are rejected", async () => {
  const bytes = await smallModelBytes();
  const requests: [(config: Record<string, any>) => void, RegExp][] = [
    [(c) => (c.config.layers[1].class_name = "TFOpLambda"), /TFOpLambda layer stores Python code/],
    [(c) => Object.assign(c.config.layers[1], { module: "builtins", class_name: "eval", registered_name: "builtins>eval" }), /module "builtins".*never imports/],
    [(c) => Object.assign(c.config.layers[1], { module: "kerasx.layers", class_name: "Evil" }), /module "kerasx\.layers"/],
    [(c) => Object.assign(c.config.layers[1], { module: "os", class_name: "system", registered_name: "builtins>exec" }), /registerLayer\("builtins>exec"/],
    [(c) => (c.config.layers[1].config.kernel_initializer = { class_name: "__lambda__", config: { code: "YQ==" } }), /"__lambda__"/],
    [(c) => (c.config.layers[1].config.activation = { module: "os", class_name: "system", config: {}, registered_name: "os>system" }), /activation|system/],
    [(c) => (c.config.layers[1] = { class_name: "Lambda", config: { name: "fn", function: "print" } }), /layer "fn" \(Lambda\)/],
  ];
  for (const [edit, pattern] of requests) await rejects(editConfig(bytes, edit), pattern);
});

test("Model.fromConfig rejects a layer of the wrong form", () => {
  const input = Input({ shape: [2] });
  const model = new Model({ inputs: input, outputs: new Dense({ units: 1 }).apply(input) });
  const config = model.getConfig() as { layers: Record<string, unknown>[] };
  config.layers[1]!["config"] = null;
  assert.throws(() => Model.fromConfig(config), ValueError);
});
