import type { Backend } from "../../src/backend/backend.js";

/**
 * Where a relocating backend puts the arrays of one kernel call inside a
 * fresh ArrayBuffer: the first at `startBytes`, each next one `gapBytes`
 * after the end of the one before.
 */
export interface Placement {
  startBytes: number;
  gapBytes: number;
}

/** A typed array of any element type. */
interface View extends ArrayBufferView {
  readonly length: number;
  readonly BYTES_PER_ELEMENT: number;
}

type ViewConstructor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => View;

function isView(value: unknown): value is View {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** The part of one ArrayBuffer that a call's views cover, and where its copy sits in the arena. */
interface Region {
  source: ArrayBufferLike;
  begin: number;
  end: number;
  elementBytes: number;
  arenaOffset: number;
}

/**
 * Runs `call` with every typed array among `args` (at the top level or as a
 * field of an options object) replaced by a copy laid out by `placement`,
 * then copies the results back. Views of one ArrayBuffer are copied as one
 * region, so views that overlap or share a buffer keep their relative
 * positions.
 */
function callRelocated<T>(args: unknown[], placement: Placement, call: (relocated: unknown[]) => T): T {
  const regions: Region[] = [];
  const regionOf = new Map<ArrayBufferLike, Region>();
  const note = (view: View): void => {
    let region = regionOf.get(view.buffer);
    if (region === undefined) {
      region = { source: view.buffer, begin: view.byteOffset, end: view.byteOffset, elementBytes: 1, arenaOffset: 0 };
      regionOf.set(view.buffer, region);
      regions.push(region);
    }
    region.begin = Math.min(region.begin, view.byteOffset);
    region.end = Math.max(region.end, view.byteOffset + view.byteLength);
    region.elementBytes = Math.max(region.elementBytes, view.BYTES_PER_ELEMENT);
  };
  for (const arg of args) {
    if (isView(arg)) note(arg);
    else if (isPlainObject(arg)) for (const field of Object.values(arg)) if (isView(field)) note(field);
  }

  // Each copy keeps its offset modulo the element size, so every view in it stays constructible.
  let cursor = placement.startBytes;
  for (const region of regions) {
    while ((cursor - region.begin) % region.elementBytes !== 0) cursor++;
    region.arenaOffset = cursor;
    cursor += region.end - region.begin + placement.gapBytes;
  }
  const arena = new ArrayBuffer(cursor);
  for (const region of regions) {
    const length = region.end - region.begin;
    new Uint8Array(arena, region.arenaOffset, length).set(new Uint8Array(region.source, region.begin, length));
  }

  const moved = new Map<View, View>();
  const move = (view: View): View => {
    let copy = moved.get(view);
    if (copy === undefined) {
      const region = regionOf.get(view.buffer)!;
      const Constructor = view.constructor as ViewConstructor;
      copy = new Constructor(arena, region.arenaOffset + view.byteOffset - region.begin, view.length);
      moved.set(view, copy);
    }
    return copy;
  };
  const relocated = args.map((arg) => {
    if (isView(arg)) return move(arg);
    if (!isPlainObject(arg)) return arg;
    const copy: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(arg)) copy[key] = isView(field) ? move(field) : field;
    return copy;
  });

  const result = call(relocated);
  for (const region of regions) {
    const length = region.end - region.begin;
    new Uint8Array(region.source, region.begin, length).set(new Uint8Array(arena, region.arenaOffset, length));
  }
  return result;
}

/**
 * Wraps `inner` so that every kernel reads and writes copies of its arrays
 * placed by `placement()`, which is read at each call. Results that depend on
 * where the arrays sit (their alignment, or the distance between them) then
 * show up as differences between placements.
 */
export function relocatingBackend(inner: Backend, placement: () => Placement): Backend {
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => callRelocated(args, placement(), (relocated) => method.apply(target, relocated));
    },
  });
}
