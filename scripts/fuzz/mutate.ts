/**
 * Mutations for the loader fuzzer: generic byte edits, edits of the length
 * and offset fields of zip headers and HDF5 structures, and JSON-aware
 * edits of configs. Every mutator takes a seeded random source, so a run
 * is reproducible from its seed.
 */

/** A small seeded generator (mulberry32). */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Returns a float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Returns an integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Values that often sit on a boundary of a length or count check. */
const INTERESTING_INTEGERS = [
  0, 1, 2, 7, 8, 16, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
];

function writeLittleEndian(bytes: Uint8Array, offset: number, width: number, value: bigint): void {
  for (let i = 0; i < width && offset + i < bytes.length; i++) {
    bytes[offset + i] = Number((value >> BigInt(8 * i)) & 0xffn);
  }
}

function interestingValue(random: Random, width: number): bigint {
  const max = (1n << BigInt(8 * width)) - 1n;
  const choice = random.below(6);
  if (choice === 0) return max;
  if (choice === 1) return max >> 1n;
  if (choice === 2) return BigInt(random.below(256));
  if (choice === 3) return (1n << BigInt(random.below(8 * width))) & max;
  if (choice === 4 && width === 8) return 1_000_000_000_000n;
  return BigInt(random.pick(INTERESTING_INTEGERS)) & max;
}

/** Bytes from `a` up to a random point, then bytes of `b` from a random point. */
export function splice(random: Random, a: Uint8Array, b: Uint8Array): Uint8Array {
  const cutA = random.below(a.length + 1);
  const cutB = random.below(b.length + 1);
  const result = new Uint8Array(cutA + (b.length - cutB));
  result.set(a.subarray(0, cutA));
  result.set(b.subarray(cutB), cutA);
  return result;
}

/** One generic edit: bit flip, byte set, integer overwrite, insertion, deletion, duplication or truncation. */
export function mutateBytes(random: Random, input: Uint8Array): Uint8Array {
  if (input.length === 0) return Uint8Array.of(random.below(256));
  const bytes = input.slice();
  const at = random.below(bytes.length);
  switch (random.below(8)) {
    case 0:
      bytes[at] = bytes[at]! ^ (1 << random.below(8));
      return bytes;
    case 1:
      bytes[at] = random.below(256);
      return bytes;
    case 2: {
      const width = random.pick([1, 2, 4, 8]);
      writeLittleEndian(bytes, at, width, interestingValue(random, width));
      return bytes;
    }
    case 3: {
      const length = 1 + random.below(64);
      const inserted = new Uint8Array(bytes.length + length);
      inserted.set(bytes.subarray(0, at));
      for (let i = 0; i < length; i++) inserted[at + i] = random.below(256);
      inserted.set(bytes.subarray(at), at + length);
      return inserted;
    }
    case 4: {
      const length = 1 + random.below(Math.min(4096, bytes.length - at));
      const shortened = new Uint8Array(bytes.length - length);
      shortened.set(bytes.subarray(0, at));
      shortened.set(bytes.subarray(at + length), at);
      return shortened;
    }
    case 5: {
      const length = 1 + random.below(Math.min(256, bytes.length - at));
      const target = random.below(bytes.length);
      bytes.copyWithin(target, at, at + length);
      return bytes;
    }
    case 6:
      return bytes.slice(0, at);
    default:
      for (let i = 0, n = 1 + random.below(16); i < n; i++) bytes[random.below(bytes.length)] = random.below(256);
      return bytes;
  }
}

function findAll(bytes: Uint8Array, signature: readonly number[], limit = 512): number[] {
  const found: number[] = [];
  for (let i = 0; i + signature.length <= bytes.length && found.length < limit; i++) {
    let match = true;
    for (let j = 0; j < signature.length; j++) {
      if (bytes[i + j] !== signature[j]) {
        match = false;
        break;
      }
    }
    if (match) found.push(i);
  }
  return found;
}

/**
 * Fields of the three zip records, as [offset from the signature, width in
 * bytes]: sizes, name and extra lengths, the compression method, counts
 * and offsets.
 */
const ZIP_FIELDS: Record<string, { signature: number[]; fields: [number, number][]; nameAt?: [number, number] }> = {
  local: { signature: [0x50, 0x4b, 0x03, 0x04], fields: [[8, 2], [14, 4], [18, 4], [22, 4], [26, 2], [28, 2]], nameAt: [30, 26] },
  central: {
    signature: [0x50, 0x4b, 0x01, 0x02],
    fields: [[10, 2], [16, 4], [20, 4], [24, 4], [28, 2], [30, 2], [32, 2], [38, 4], [42, 4]],
    nameAt: [46, 28],
  },
  end: { signature: [0x50, 0x4b, 0x05, 0x06], fields: [[8, 2], [10, 2], [12, 4], [16, 4], [20, 2]] },
};

const HOSTILE_NAMES = ["../../x", "/etc/passwd", "a\\..\\b", "C:x", "config.json\0", "..", "model.weights.h5"];

/** One edit of a zip record field, or of a member name, found by its signature; a generic edit when there is none. */
export function mutateZip(random: Random, input: Uint8Array): Uint8Array {
  const record = ZIP_FIELDS[random.pick(Object.keys(ZIP_FIELDS))]!;
  const positions = findAll(input, record.signature);
  if (positions.length === 0) return mutateBytes(random, input);
  const bytes = input.slice();
  const start = random.pick(positions);
  if (record.nameAt && random.chance(0.15)) {
    const [nameOffset, lengthOffset] = record.nameAt;
    const nameLength = bytes[start + lengthOffset]! | (bytes[start + lengthOffset + 1]! << 8);
    const name = new TextEncoder().encode(random.pick(HOSTILE_NAMES));
    for (let i = 0; i < Math.min(name.length, nameLength); i++) bytes[start + nameOffset + i] = name[i]!;
    return bytes;
  }
  const [offset, width] = random.pick(record.fields);
  const current = bytes.subarray(start + offset, start + offset + width).reduce((v, b, i) => v + BigInt(b) * (1n << BigInt(8 * i)), 0n);
  const value = random.chance(0.3) ? current + BigInt(random.below(33) - 16) : interestingValue(random, width);
  writeLittleEndian(bytes, start + offset, width, value < 0n ? 0n : value);
  return bytes;
}

/** Signatures of HDF5 structures: object headers, B-trees, heaps, symbol table nodes, global heaps. */
const HDF5_SIGNATURES = ["OHDR", "TREE", "HEAP", "SNOD", "BTHD", "BTLF", "FRHP", "FHDB", "FSHD", "GCOL", "OCHK"].map((s) =>
  [...s].map((c) => c.charCodeAt(0)),
);

/** Offsets of dimension lists in dataspace messages (versions 1 and 2), found by their header bytes. */
function dataspaceDims(bytes: Uint8Array): number[] {
  const found: number[] = [];
  for (let i = 0; i + 16 <= bytes.length && found.length < 2048; i++) {
    const version = bytes[i]!;
    const rank = bytes[i + 1]!;
    const flags = bytes[i + 2]!;
    if (rank < 1 || rank > 4 || flags > 1) continue;
    if (version === 1 && bytes[i + 3] === 0 && bytes[i + 4] === 0 && bytes[i + 5] === 0 && bytes[i + 6] === 0 && bytes[i + 7] === 0) {
      const first = bytes[i + 8]! | (bytes[i + 9]! << 8);
      if (first > 0 && bytes[i + 12] === 0 && bytes[i + 15] === 0) found.push(i + 8);
    } else if (version === 2 && bytes[i + 3]! <= 2) {
      const first = bytes[i + 4]! | (bytes[i + 5]! << 8);
      if (first > 0 && bytes[i + 8] === 0 && bytes[i + 11] === 0) found.push(i + 4);
    }
  }
  return found;
}

/**
 * One HDF5-aware edit: a superblock field (offset and length sizes, base,
 * end-of-file and root addresses), a field shortly after a structure's
 * signature (versions, sizes, addresses of object headers and B-trees), or
 * a dataset dimension, so that a dataset's shape disagrees with its data.
 */
export function mutateHdf5(random: Random, input: Uint8Array): Uint8Array {
  const bytes = input.slice();
  const choice = random.below(3);
  if (choice === 0 && bytes.length >= 64) {
    const [offset, width] = random.pick<[number, number]>([[8, 1], [9, 1], [10, 1], [13, 1], [14, 1], [16, 2], [18, 2], [24, 8], [32, 8], [40, 8], [48, 8], [56, 8], [64, 8]]);
    writeLittleEndian(bytes, offset, width, interestingValue(random, width));
    return bytes;
  }
  if (choice === 1) {
    const positions = dataspaceDims(bytes);
    if (positions.length > 0) {
      const at = random.pick(positions);
      writeLittleEndian(bytes, at, 8, random.pick([0n, 1n, 1_000_000_000_000n, 0xffffffffffffffffn, 0x7fffffffn, BigInt(random.below(4096))]));
      return bytes;
    }
  }
  const positions = HDF5_SIGNATURES.flatMap((signature) => findAll(bytes, signature, 256));
  if (positions.length === 0) return mutateBytes(random, input);
  const at = random.pick(positions) + 4 + random.below(40);
  const width = random.pick([1, 2, 4, 8]);
  writeLittleEndian(bytes, at, width, interestingValue(random, width));
  return bytes;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every container (object or array) in `root`, with the keys of its members. */
function containers(root: Json): { node: Json[] | { [key: string]: Json }; keys: (string | number)[] }[] {
  const found: { node: Json[] | { [key: string]: Json }; keys: (string | number)[] }[] = [];
  const stack: Json[] = [root];
  while (stack.length > 0 && found.length < 20_000) {
    const node = stack.pop()!;
    if (Array.isArray(node)) {
      found.push({ node, keys: node.map((_, i) => i) });
      stack.push(...node);
    } else if (node !== null && typeof node === "object") {
      found.push({ node, keys: Object.keys(node) });
      stack.push(...Object.values(node));
    }
  }
  return found;
}

/**
 * A placeholder for deeply nested JSON, spliced into the text after
 * `JSON.stringify`, which overflows the stack on 100,000 levels.
 */
const DEEP_MARKER = "\u0000deep:";

function deeplyNested(random: Random): Json {
  const depth = random.pick([64, 1000, 5000, 100_000]);
  return `${DEEP_MARKER}${depth}:${random.chance(0.5) ? "array" : "object"}`;
}

function expandDeepMarkers(text: string): string {
  return text.replace(/"\\u0000deep:(\d+):(array|object)"/g, (_, depth: string, kind: string) => {
    const open = kind === "array" ? "[" : '{"a":';
    const close = kind === "array" ? "]" : "}";
    return open.repeat(Number(depth)) + "1" + close.repeat(Number(depth));
  });
}

const CODE_REQUESTS: Json[] = [
  { class_name: "__lambda__", config: { code: "YQ==", defaults: null, closure: null } },
  { module: "builtins", class_name: "eval", config: {}, registered_name: "builtins>eval" },
  { module: "os", class_name: "system", config: { command: "true" }, registered_name: null },
  { module: "keras.layers", class_name: "Lambda", config: { name: "l", function: "print" }, registered_name: null },
  { module: null, class_name: "TFOpLambda", config: { name: "t", function: "math.add" } },
];

/** A replacement for one JSON value: a huge, negative or fractional number, another type, deep nesting or a request for code. */
function hostileValue(random: Random, current: Json, knownClassNames: readonly string[]): Json {
  switch (random.below(10)) {
    case 0:
      return random.pick([1e12, 1e308, -1, -1e9, 0, 2 ** 31, 2 ** 32, 2 ** 53 + 2, 0.5, -0.0]);
    case 1:
      return random.pick<Json>([null, true, "", "x".repeat(1 + random.below(100_000)), [], {}, [1, 2, 3], "relu"]);
    case 2:
      return deeplyNested(random);
    case 3:
      return random.pick(CODE_REQUESTS);
    case 4:
      return knownClassNames.length > 0 ? random.pick(knownClassNames) : "Dense";
    case 5:
      return random.pick<Json>(["__lambda__", "Lambda", "Functional", "Sequential", "../../x", "keras.layers", "my>Thing"]);
    case 6:
      return Array.isArray(current) ? current.map(() => random.pick([1e12, -3, 0, null])) : [1e6, 1e6];
    case 7:
      return typeof current === "number" ? current * random.pick([-1, 1000, 1e9, 0.5]) : typeof current === "string" ? 7 : "7";
    case 8:
      return Array.isArray(current) ? [...current, ...current] : [current, current];
    default:
      return typeof current === "number" ? current + random.below(7) - 3 : null;
  }
}

/**
 * One JSON-aware edit of a config: a value replaced (see `hostileValue`), a
 * key deleted or copied between objects, or an array entry dropped or
 * duplicated. Returns null when `text` is not JSON.
 */
export function mutateJson(random: Random, text: string, knownClassNames: readonly string[]): string | null {
  let root: Json;
  try {
    root = JSON.parse(text) as Json;
  } catch {
    return null;
  }
  if (text.length > 4_000_000) return null;
  const all = containers(root);
  if (all.length === 0) return expandDeepMarkers(JSON.stringify(hostileValue(random, root, knownClassNames)));
  for (let edits = 1 + (random.chance(0.3) ? random.below(3) : 0); edits > 0; edits--) {
    const { node, keys } = random.pick(all);
    if (keys.length === 0) continue;
    const key = random.pick(keys);
    const choice = random.below(10);
    if (Array.isArray(node)) {
      const index = key as number;
      if (choice === 0) node.splice(index, 1);
      else if (choice === 1) node.splice(index, 0, node[index]!);
      else node[index] = hostileValue(random, node[index]!, knownClassNames);
    } else if (choice === 0) {
      delete node[key as string];
    } else if (choice === 1) {
      const other = random.pick(all).node;
      if (!Array.isArray(other)) other[key as string] = node[key as string]!;
    } else {
      node[key as string] = hostileValue(random, node[key as string]!, knownClassNames);
    }
  }
  try {
    return expandDeepMarkers(JSON.stringify(root));
  } catch (error) {
    // Nesting too deep for JSON.stringify (RangeError), or a key copied into its own value (TypeError, a cycle).
    if (error instanceof RangeError || error instanceof TypeError) return null;
    throw error;
  }
}

/** Class names found in a config, for swapping one layer's class for another's. */
export function classNamesIn(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(/"class_name":\s*"([^"]+)"/g)) names.add(match[1]!);
  return [...names];
}
