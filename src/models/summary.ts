/**
 * `summary()` in Keras 3's table layout: a heavy header box, a separator
 * between rows, right-aligned parameter counts and the footer lines.
 *
 * Column widths follow Keras's recipe. The relative positions [0.45, 0.80,
 * 1.0] of the line width give each column a width, padding included. When
 * the columns and borders do not fit the line, the excess is taken from the
 * columns in equal shares, rounding half to even as Python does.
 */

import { formatShape } from "../errors.js";
import { type Layer, type LayerShape, isShapeList } from "../layers/layer.js";
import { bytesPerElement } from "../tensor/dtype.js";
import { type TextOutput, getOutput } from "../callbacks/progbar.js";
import type { Model } from "./model.js";

export interface SummaryOptions {
  /** Total width of the table; by default the terminal width minus 4, at most 88 (76 when not a terminal). */
  lineLength?: number;
  /** Receives each line instead of stdout. */
  printFn?: (line: string) => void;
}

const DEFAULT_LINE_LENGTH = 88;
const POSITIONS = [0.45, 0.8, 1.0];
const HEADER = ["Layer (type)", "Output Shape", "Param #"];
const ALIGN_RIGHT = [false, false, true];

function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Splits `excess` over the columns in equal shares, as the table renderer Keras uses does. */
function reduceEqually(excess: number, widths: number[]): number[] {
  let remaining = excess;
  let shares = widths.length;
  return widths.map((width) => {
    const cut = Math.min(width, roundHalfEven(remaining / shares));
    remaining -= cut;
    shares -= 1;
    return width - cut;
  });
}

/** Outer widths of the columns (padding included) for a table `lineLength` wide. */
export function columnWidths(lineLength: number): number[] {
  const positions = POSITIONS.map((p) => Math.floor(lineLength * p));
  let previous = 0;
  const widths = positions.map((position) => {
    const width = position - previous + 2;
    previous = position;
    return width;
  });
  const available = lineLength - (widths.length + 1);
  const total = widths.reduce((a, b) => a + b, 0);
  return total > available ? reduceEqually(total - available, widths) : widths;
}

function defaultLineLength(output: TextOutput): number {
  const columns = output.isTTY ? (process.stdout.columns ?? 80) : 80;
  return Math.min(DEFAULT_LINE_LENGTH, columns - 4);
}

/** Formats a byte count as Keras does: two decimals with B, KB, MB, … in steps of 1024. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB", "PB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)} ${units[unit]}`;
}

function formatCount(count: number): string {
  return count.toLocaleString("en-US");
}

/** Formats one output shape as `(None, 4)`, and several as a bracketed list of those. */
function formatLayerShape(shape: LayerShape): string {
  return isShapeList(shape) ? `[${shape.map((s) => formatShape(s)).join(", ")}]` : formatShape(shape);
}

function renderRow(cells: string[], widths: number[], vertical: string): string {
  const parts = cells.map((cell, i) => {
    const inner = widths[i]! - 2;
    const text = cell.length > inner ? cell.slice(0, inner - 1) + "…" : cell;
    return " " + (ALIGN_RIGHT[i] ? text.padStart(inner) : text.padEnd(inner)) + " ";
  });
  return vertical + parts.join(vertical) + vertical;
}

function renderRule(widths: number[], left: string, fill: string, join: string, right: string): string {
  return left + widths.map((w) => fill.repeat(w)).join(join) + right;
}

interface SummaryRow {
  layer: Layer;
  outputShape: LayerShape | null;
}

/** Lists each layer with its output shape, or null where the model is not built yet. */
function layerRows(model: Model): SummaryRow[] {
  let shape: LayerShape | null = model.inputShape;
  return model.layers.map((layer) => {
    if (shape !== null && layer.built) shape = layer.computeOutputShape(shape);
    else shape = null;
    return { layer, outputShape: shape };
  });
}

export function printSummary(model: Model, options: SummaryOptions = {}): void {
  const output = getOutput();
  const print = options.printFn ?? ((line: string) => output.write(line + "\n"));
  const widths = columnWidths(options.lineLength ?? defaultLineLength(output));
  print(`Model: "${model.name}"`);
  print(renderRule(widths, "┏", "━", "┳", "┓"));
  print(renderRow(HEADER, widths, "┃"));
  print(renderRule(widths, "┡", "━", "╇", "┩"));
  const rows = layerRows(model);
  rows.forEach(({ layer, outputShape }, i) => {
    const params = layer.built ? formatCount(layer.countParams()) : "0 (unbuilt)";
    print(renderRow([`${layer.name} (${layer.className})`, outputShape ? formatLayerShape(outputShape) : "?", params], widths, "│"));
    if (i < rows.length - 1) print(renderRule(widths, "├", "─", "┼", "┤"));
  });
  print(renderRule(widths, "└", "─", "┴", "┘"));

  const sizeOf = (variables: { value: { size: number; dtype: "float32" | "float64" | "int32" } }[]): [number, number] => [
    variables.reduce((t, v) => t + v.value.size, 0),
    variables.reduce((t, v) => t + v.value.size * bytesPerElement(v.value.dtype), 0),
  ];
  const built = model.layers.filter((l) => l.built);
  const [trainable, trainableBytes] = sizeOf(built.flatMap((l) => l.trainableWeights));
  const [nonTrainable, nonTrainableBytes] = sizeOf(built.flatMap((l) => l.nonTrainableWeights));
  const optimizer = model.optimizer;
  const [optimizerCount, optimizerBytes] = optimizer?.built ? sizeOf(optimizer.variables) : [0, 0];
  const total = trainable + nonTrainable + optimizerCount;
  const totalBytes = trainableBytes + nonTrainableBytes + optimizerBytes;
  print(` Total params: ${formatCount(total)} (${formatBytes(totalBytes)})`);
  print(` Trainable params: ${formatCount(trainable)} (${formatBytes(trainableBytes)})`);
  print(` Non-trainable params: ${formatCount(nonTrainable)} (${formatBytes(nonTrainableBytes)})`);
  if (optimizer?.built) print(` Optimizer params: ${formatCount(optimizerCount)} (${formatBytes(optimizerBytes)})`);
}
