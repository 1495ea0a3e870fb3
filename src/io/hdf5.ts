/**
 * HDF5 files as plain trees of groups, attributes and datasets, read and
 * written by h5wasm in a worker thread (see hdf5-worker.ts for why).
 */

import { Worker } from "node:worker_threads";
import { ValueError } from "../errors.js";
import { HDF5_WORKER_SOURCE } from "./hdf5-worker.js";

export type AttributeValue = string | number | boolean | AttributeValue[] | null;

export type DatasetData =
  | Float32Array
  | Float64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | BigInt64Array
  | BigUint64Array;

export interface H5Dataset {
  /** The h5wasm type code, such as "<f" (float32) or "<i" (int32). */
  dtype: string;
  shape: number[];
  /** The values in row-major order, or null for types Stratum does not read (strings, compounds). */
  data: DatasetData | null;
  attrs: Record<string, AttributeValue>;
}

/** A group: its attributes, then its subgroups and datasets in the file's link order. */
export interface H5Group {
  attrs: Record<string, AttributeValue>;
  groups: [string, H5Group][];
  datasets: [string, H5Dataset][];
}

export function emptyGroup(attrs: Record<string, AttributeValue> = {}): H5Group {
  return { attrs, groups: [], datasets: [] };
}

export interface Hdf5Limits {
  /** Milliseconds the library may spend on one file before it is stopped. */
  timeoutMs: number;
  maxDepth: number;
  maxNodes: number;
}

export const DEFAULT_HDF5_LIMITS: Hdf5Limits = { timeoutMs: 60_000, maxDepth: 32, maxNodes: 200_000 };

/**
 * Keras writes weights uncompressed, so a file's values fit in its own size.
 * Datasets may declare this many times the file's size (plus 1 MiB for tiny
 * files) before the file counts as a decompression bomb.
 */
const DATASET_BYTES_PER_FILE_BYTE = 4;

interface WorkerReply {
  ok?: boolean;
  ready?: boolean;
  startup?: boolean;
  limit?: boolean;
  message?: string;
  tree?: H5Group;
  bytes?: Uint8Array;
}

/**
 * NOTE: this uses Node's worker_threads. Loading from bytes needs no file
 * system, but it does need Node: a browser build would need a Web Worker.
 *
 * One worker that serves one request at a time. A request that times out,
 * or a worker that dies, ends this worker; the next request starts a fresh
 * one, with a fresh HDF5 module.
 */
class Hdf5Worker {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  run<T>(request: Record<string, unknown>, transfer: ArrayBuffer[], timeoutMs: number, what: string): Promise<T> {
    const next = this.queue.then(() => this.send<T>(request, transfer, timeoutMs, what));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const worker = new Worker(HDF5_WORKER_SOURCE, {
      eval: true,
      workerData: { h5wasmUrl: import.meta.resolve("h5wasm") },
      // The library prints its error stack; keep it off the user's stderr.
    });
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (reply: WorkerReply) => {
        worker.off("error", onError);
        if (reply.ready) resolve();
        else reject(new ValueError(`The HDF5 library (h5wasm) failed to start: ${reply.message ?? "no reason given"}.`));
      };
      const onError = (error: Error) => reject(new ValueError(`The HDF5 library (h5wasm) failed to start: ${error.message}`));
      worker.once("message", onMessage);
      worker.once("error", onError);
    });
    this.ready.catch(() => this.stop());
    return this.ready;
  }

  private stop(): void {
    const worker = this.worker;
    this.worker = null;
    this.ready = null;
    if (worker) void worker.terminate();
  }

  private async send<T>(request: Record<string, unknown>, transfer: ArrayBuffer[], timeoutMs: number, what: string): Promise<T> {
    await this.start();
    const worker = this.worker!;
    worker.ref();
    try {
      return await new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          cleanup();
          this.stop();
          reject(new ValueError(`Reading ${what} timed out after ${timeoutMs} ms, so the HDF5 library was stopped. The file is probably corrupted or crafted.`));
        }, timeoutMs);
        const onMessage = (reply: WorkerReply) => {
          cleanup();
          if (reply.ok) resolve(reply as T);
          else reject(new ValueError(describeFailure(what, reply)));
        };
        const onError = (error: Error) => {
          cleanup();
          this.stop();
          reject(new ValueError(`The HDF5 library failed on ${what} and was restarted: ${error.message}. The file is probably corrupted or truncated.`));
        };
        const onExit = (code: number) => {
          cleanup();
          this.stop();
          reject(new ValueError(`The HDF5 library stopped (exit code ${code}) while working on ${what}. The file is probably corrupted or truncated.`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          worker.off("message", onMessage);
          worker.off("error", onError);
          worker.off("exit", onExit);
        };
        worker.on("message", onMessage);
        worker.once("error", onError);
        worker.once("exit", onExit);
        worker.postMessage(request, transfer);
      });
    } finally {
      // An idle worker must not keep the process alive.
      this.worker?.unref();
    }
  }
}

function describeFailure(what: string, reply: WorkerReply): string {
  if (reply.limit) return `Rejected ${what}: ${reply.message}.`;
  return `Cannot read ${what} as HDF5: ${reply.message ?? "unknown error"}. The file is probably corrupted or truncated.`;
}

const sharedWorker = new Hdf5Worker();

/**
 * Reads an HDF5 file into a tree. `what` names the file in error messages.
 * Every numeric dataset is read; string and compound datasets keep their
 * shape with `data: null`.
 */
export async function readHdf5(bytes: Uint8Array, what: string, limits: Hdf5Limits = DEFAULT_HDF5_LIMITS): Promise<H5Group> {
  const copy = bytes.slice();
  const reply = await sharedWorker.run<{ tree: H5Group }>(
    {
      kind: "read",
      bytes: copy,
      limits: {
        maxDepth: limits.maxDepth,
        maxNodes: limits.maxNodes,
        fileBytes: bytes.length,
        maxDatasetBytes: bytes.length * DATASET_BYTES_PER_FILE_BYTE + 1024 * 1024,
      },
    },
    [copy.buffer as ArrayBuffer],
    limits.timeoutMs,
    what,
  );
  return reply.tree;
}

/** Writes a tree as an HDF5 file (contiguous, uncompressed datasets, as h5py writes by default). */
export async function writeHdf5(tree: H5Group, what: string, timeoutMs = DEFAULT_HDF5_LIMITS.timeoutMs): Promise<Uint8Array> {
  const reply = await sharedWorker.run<{ bytes: Uint8Array }>({ kind: "write", tree }, [], timeoutMs, what);
  return reply.bytes;
}

/** Returns the subgroup `name` of `group`, or undefined. */
export function childGroup(group: H5Group, name: string): H5Group | undefined {
  return group.groups.find(([n]) => n === name)?.[1];
}

/** Returns the dataset `name` of `group`, or undefined. */
export function childDataset(group: H5Group, name: string): H5Dataset | undefined {
  return group.datasets.find(([n]) => n === name)?.[1];
}

/** Follows a `/`-separated path of groups from `group`. */
export function groupAt(group: H5Group, path: string): H5Group | undefined {
  let current: H5Group | undefined = group;
  for (const part of path.split("/").filter((p) => p !== "")) {
    current = current && childGroup(current, part);
  }
  return current;
}

/** Follows a `/`-separated path to a dataset. */
export function datasetAt(group: H5Group, path: string): H5Dataset | undefined {
  const parts = path.split("/").filter((p) => p !== "");
  const name = parts.pop();
  const parent = groupAt(group, parts.join("/"));
  return parent && name !== undefined ? childDataset(parent, name) : undefined;
}

/**
 * Splits link names that contain backslashes into nested groups, merging
 * groups that end up with one path. tf.keras 2.13 and 2.15 on Windows wrote
 * `layers\dense` as one link name where other systems write `layers/dense`.
 */
export function splitBackslashLinks(group: H5Group): H5Group {
  const result = emptyGroup({ ...group.attrs });
  const ensure = (parts: string[]): H5Group => {
    let current = result;
    for (const part of parts) {
      let next = childGroup(current, part);
      if (!next) {
        next = emptyGroup();
        current.groups.push([part, next]);
      }
      current = next;
    }
    return current;
  };
  for (const [name, child] of group.groups) {
    const target = ensure(name.split("\\"));
    const normalized = splitBackslashLinks(child);
    Object.assign(target.attrs, normalized.attrs);
    for (const entry of normalized.groups) mergeInto(target, entry);
    target.datasets.push(...normalized.datasets);
  }
  for (const [name, dataset] of group.datasets) {
    const parts = name.split("\\");
    const last = parts.pop()!;
    ensure(parts).datasets.push([last, dataset]);
  }
  return result;
}

function mergeInto(target: H5Group, [name, group]: [string, H5Group]): void {
  const existing = childGroup(target, name);
  if (!existing) {
    target.groups.push([name, group]);
    return;
  }
  Object.assign(existing.attrs, group.attrs);
  for (const entry of group.groups) mergeInto(existing, entry);
  existing.datasets.push(...group.datasets);
}
