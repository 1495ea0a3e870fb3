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
import type { FunctionalGraph } from "./functional.js";
import type { Model } from "./model.js";

export interface SummaryOptions {
  /** Total width of the table; by default the terminal width minus 4, at most 88 (76 when not a terminal). */
  lineLength?: number;
  /** Receives each line instead of stdout. */
  printFn?: (line: string) => void;
}

/** Keras's two layouts: a plain stack, and a graph with a "Connected to" column. */
interface Layout {
  defaultLineLength: number;
  positions: number[];
  header: string[];
  alignRight: boolean[];
}

const STACK_LAYOUT: Layout = {
  defaultLineLength: 88,
  positions: [0.45, 0.8, 1.0],
  header: ["Layer (type)", "Output Shape", "Param #"],
  alignRight: [false, false, true],
};

const GRAPH_LAYOUT: Layout = {
  defaultLineLength: 108,
  positions: [0.3, 0.56, 0.74, 1.0],
  header: ["Layer (type)", "Output Shape", "Param #", "Connected to"],
  alignRight: [false, false, true, false],
};

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
export function columnWidths(lineLength: number, relativePositions: readonly number[] = STACK_LAYOUT.positions): number[] {
  const positions = relativePositions.map((p) => Math.floor(lineLength * p));
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

function defaultLineLength(output: TextOutput, layout: Layout): number {
  const columns = output.isTTY ? (process.stdout.columns ?? 80) : 80;
  return Math.min(layout.defaultLineLength, columns - 4);
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

/**
 * Wraps a cell's text at spaces to lines of at most `width` characters, and
 * cuts a word that alone is too wide to `width` with a trailing "…", as the
 * table renderer Keras uses does.
 */
export function wrapCell(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = "";
  for (const word of text.split(" ")) {
    if (current === "") current = word;
    else if (current.length + 1 + word.length <= width) current += " " + word;
    else {
      lines.push(current);
      current = word;
    }
  }
  lines.push(current);
  return lines.map((line) => (line.length > width ? line.slice(0, Math.max(0, width - 1)) + "…" : line));
}

/** Renders one table row, which takes as many lines as its tallest wrapped cell. */
function renderRow(cells: string[], widths: number[], vertical: string, alignRight: readonly boolean[]): string[] {
  const wrapped = cells.map((cell, i) => wrapCell(cell, widths[i]! - 2));
  const height = Math.max(...wrapped.map((lines) => lines.length));
  const lines: string[] = [];
  for (let row = 0; row < height; row++) {
    const parts = wrapped.map((cellLines, i) => {
      const inner = widths[i]! - 2;
      const text = cellLines[row] ?? "";
      return " " + (alignRight[i] ? text.padStart(inner) : text.padEnd(inner)) + " ";
    });
    lines.push(vertical + parts.join(vertical) + vertical);
  }
  return lines;
}

function renderRule(widths: number[], left: string, fill: string, join: string, right: string): string {
  return left + widths.map((w) => fill.repeat(w)).join(join) + right;
}

interface SummaryRow {
  layer: Layer;
  outputShape: LayerShape | null;
  /** The "Connected to" cell, for the graph layout. */
  connections: string;
}

/** Lists each layer of a stack with its output shape, or null where the model is not built yet. */
function stackRows(model: Model): SummaryRow[] {
  if (model.graph === null && model.className !== "Sequential") {
    // A subclassed model: each built layer stores the shape it was built for.
    return model.layers.map((layer) => ({
      layer,
      outputShape: layer.built && layer.buildInputShape ? layer.computeOutputShape(layer.buildInputShape) : null,
      connections: "",
    }));
  }
  let shape: LayerShape | null = model.inputShape;
  return model.layers.map((layer) => {
    if (shape !== null && layer.built) shape = layer.computeOutputShape(shape);
    else shape = null;
    return { layer, outputShape: shape, connections: "" };
  });
}

/** Lists each layer of a functional graph with the output shape of its first call and the tensors it was called on. */
function graphRows(graph: FunctionalGraph): SummaryRow[] {
  return graph.layers.map((layer) => {
    const nodes = layer.inboundNodes.filter((node) => graph.nodeDepths.has(node));
    const first = nodes[0]!;
    const shapes = first.outputs.map((t) => t.shape);
    const connections = nodes
      .flatMap((node) => node.inputs.map((t) => `${t.sourceLayer.name}[${t.nodeIndex}][${t.tensorIndex}]`))
      .join(", ");
    return { layer, outputShape: first.outputsAreList ? shapes : shapes[0]!, connections: connections === "" ? "-" : connections };
  });
}

export function printSummary(model: Model, options: SummaryOptions = {}): void {
  const output = getOutput();
  const print = options.printFn ?? ((line: string) => output.write(line + "\n"));
  const graph = model.graph;
  const layout = graph && !graph.isSequentialLike ? GRAPH_LAYOUT : STACK_LAYOUT;
  const widths = columnWidths(options.lineLength ?? defaultLineLength(output, layout), layout.positions);
  const printRow = (cells: string[], vertical: string) => renderRow(cells, widths, vertical, layout.alignRight).forEach((line) => print(line));
  print(`Model: "${model.name}"`);
  print(renderRule(widths, "┏", "━", "┳", "┓"));
  printRow(layout.header, "┃");
  print(renderRule(widths, "┡", "━", "╇", "┩"));
  const rows = graph ? graphRows(graph) : stackRows(model);
  rows.forEach(({ layer, outputShape, connections }, i) => {
    const params = layer.built ? formatCount(layer.countParams()) : "0 (unbuilt)";
    const cells = [`${layer.name} (${layer.className})`, outputShape ? formatLayerShape(outputShape) : "?", params];
    if (layout === GRAPH_LAYOUT) cells.push(connections);
    printRow(cells, "│");
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
