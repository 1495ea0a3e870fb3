/**
 * Source of the worker thread that runs the HDF5 library (h5wasm, HDF5
 * compiled to WebAssembly). Parsing runs there because a crafted file can
 * keep the library busy or abort it: the main thread can then terminate the
 * worker and start a fresh one, which is impossible for code on its own
 * thread. The source is a string, run with `eval`, so that it works the same
 * from the TypeScript sources and from the compiled `dist/`.
 *
 * Files live only in the module's in-memory file system (h5wasm's default
 * build), so no model file touches the disk.
 */
export const HDF5_WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require("node:worker_threads");

// The library prints its error stack to stderr; the errors reach the caller as messages instead.
console.error = () => {};
console.warn = () => {};
process.stderr.write = () => true;

const NUMERIC = {
  "<f": Float32Array, "<d": Float64Array, "<i": Int32Array, "<I": Uint32Array,
  "<h": Int16Array, "<H": Uint16Array, "|b": Int8Array, "|B": Uint8Array,
  "<q": BigInt64Array, "<Q": BigUint64Array,
};

class LimitError extends Error {}

function attributeValue(attribute) {
  const value = attribute.json_value;
  return value;
}

function readAttributes(entity) {
  const result = {};
  for (const [name, attribute] of Object.entries(entity.attrs)) result[name] = attributeValue(attribute);
  return result;
}

function readTree(h5, file, limits) {
  let nodes = 0;
  let bytes = 0;
  const transfer = [];
  function visit(group, depth) {
    if (depth > limits.maxDepth) throw new LimitError("groups are nested more than " + limits.maxDepth + " levels deep");
    const node = { attrs: readAttributes(group), groups: [], datasets: [] };
    for (const name of group.keys()) {
      if (++nodes > limits.maxNodes) throw new LimitError("it has more than " + limits.maxNodes + " groups and datasets");
      // Soft links are followed like hard ones, so a cycle of links ends at maxDepth.
      const child = group.get(name);
      if (child instanceof h5.Group) {
        node.groups.push([name, visit(child, depth + 1)]);
      } else if (child instanceof h5.Dataset) {
        const meta = child.metadata;
        const shape = child.shape === null ? [] : child.shape;
        const count = shape.reduce((a, b) => a * b, 1);
        const dtype = child.dtype;
        const known = typeof dtype === "string" && NUMERIC[dtype] !== undefined;
        if (!known) {
          node.datasets.push([name, { dtype: String(JSON.stringify(dtype)), shape, data: null, attrs: readAttributes(child) }]);
          continue;
        }
        bytes += count * meta.size;
        if (bytes > limits.maxDatasetBytes) {
          throw new LimitError("its datasets declare more than " + limits.maxDatasetBytes + " bytes of values, more than a file of " + limits.fileBytes + " bytes can hold uncompressed");
        }
        let data = child.value;
        if (!(data instanceof NUMERIC[dtype])) data = NUMERIC[dtype].from(Array.isArray(data) ? data : [data]);
        transfer.push(data.buffer);
        node.datasets.push([name, { dtype, shape, data, attrs: readAttributes(child) }]);
      }
    }
    return node;
  }
  return { tree: visit(file, 0), transfer };
}

function writeTree(h5, group, node) {
  for (const [name, value] of Object.entries(node.attrs)) group.create_attribute(name, value);
  for (const [name, child] of node.groups) writeTree(h5, group.create_group(name), child);
  for (const [name, dataset] of node.datasets) {
    const created = group.create_dataset({ name, data: dataset.data, shape: dataset.shape, dtype: dataset.dtype });
    for (const [key, value] of Object.entries(dataset.attrs || {})) created.create_attribute(key, value);
  }
}

(async () => {
  const h5 = await import(workerData.h5wasmUrl);
  const Module = await h5.ready;
  let counter = 0;
  parentPort.on("message", (request) => {
    const path = "/stratum-" + (++counter) + ".h5";
    let file = null;
    try {
      if (request.kind === "read") {
        Module.FS.writeFile(path, request.bytes);
        file = new h5.File(path, "r");
        if (!file.file_id || file.file_id < 0n) throw new Error("the HDF5 library could not open it");
        const { tree, transfer } = readTree(h5, file, request.limits);
        parentPort.postMessage({ ok: true, tree }, transfer);
      } else {
        file = new h5.File(path, "w");
        writeTree(h5, file, request.tree);
        file.close();
        file = null;
        const bytes = Module.FS.readFile(path);
        parentPort.postMessage({ ok: true, bytes }, [bytes.buffer]);
      }
    } catch (error) {
      parentPort.postMessage({ ok: false, limit: error instanceof LimitError, message: String(error && error.message || error) });
    } finally {
      try { if (file) file.close(); } catch (e) {}
      try { Module.FS.unlink(path); } catch (e) {}
    }
  });
  parentPort.postMessage({ ready: true });
})().catch((error) => parentPort.postMessage({ ok: false, startup: true, message: String(error && error.message || error) }));
`;
