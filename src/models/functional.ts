/**
 * The graph of a functional model: the layer calls (nodes) that lead from
 * the model's inputs to its outputs, ordered as Keras 3 orders them.
 *
 * Keras assigns every node a depth: output nodes have depth 0, and a node's
 * depth is one more than the deepest node that consumes its outputs. A layer
 * takes the largest depth of its nodes. Layers are listed by decreasing
 * depth, and ties go in the order in which a depth-first walk from the
 * outputs first reaches them. Nodes run in decreasing depth, so every node
 * runs after the nodes that produce its inputs.
 */

import { ValueError } from "../errors.js";
import { InputLayer } from "../layers/input.js";
import type { CallOptions, Layer } from "../layers/layer.js";
import { type Node, SymbolicTensor } from "../layers/symbolic.js";
import type { Tensor } from "../tensor/tensor.js";

/** The form of a model's inputs or outputs: one tensor, an array, or a record by name. */
export type TensorStructure = SymbolicTensor | SymbolicTensor[] | Record<string, SymbolicTensor>;

export interface FlatStructure {
  /** The tensors in the order given (a record's insertion order). */
  tensors: SymbolicTensor[];
  /** The tensors in Keras's flattening order, which sorts a record's keys. */
  sorted: SymbolicTensor[];
  /** Record keys when the structure was a record, else null. */
  keys: string[] | null;
  /** True when the structure was a single tensor. */
  single: boolean;
}

/** Flattens `structure`, checking that it contains symbolic tensors only. */
export function flattenStructure(structure: unknown, argument: string): FlatStructure {
  const invalid = (detail: string) =>
    new ValueError(
      `Invalid \`${argument}\` for Model: expected a symbolic tensor (from Input or a layer called on one), an array of them or a record of them, ${detail}.`,
    );
  if (structure instanceof SymbolicTensor) return { tensors: [structure], sorted: [structure], keys: null, single: true };
  if (Array.isArray(structure)) {
    if (structure.length === 0) throw invalid("received an empty array");
    structure.forEach((t, i) => {
      if (!(t instanceof SymbolicTensor)) throw invalid(`but element ${i} is ${describe(t)}`);
    });
    const tensors = [...structure] as SymbolicTensor[];
    return { tensors, sorted: tensors, keys: null, single: false };
  }
  if (isPlainRecord(structure)) {
    const entries = Object.entries(structure as Record<string, unknown>);
    if (entries.length === 0) throw invalid("received an empty record");
    for (const [key, t] of entries) {
      if (!(t instanceof SymbolicTensor)) throw invalid(`but key "${key}" is ${describe(t)}`);
    }
    // Python compares strings by code point, as the < operator does here.
    const byKey = [...entries].sort(([a], [b]) => (a === b ? 0 : a < b ? -1 : 1));
    const sorted = byKey.map(([, t]) => t as SymbolicTensor);
    return { tensors: entries.map(([, t]) => t as SymbolicTensor), sorted, keys: entries.map(([k]) => k), single: false };
  }
  throw invalid(`received ${describe(structure)}`);
}

/** True for a plain object literal (not a tensor, array or class instance). */
export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === "object") return `an object (${(value as object).constructor?.name ?? "Object"})`;
  return typeof value;
}

export class FunctionalGraph {
  readonly inputs: FlatStructure;
  readonly outputs: FlatStructure;
  /** Every layer of the model, InputLayers included, in Keras's order. */
  readonly layers: Layer[];
  /** The nodes of this graph, deepest first, which is the order they run in. */
  readonly nodes: Node[];
  /** Depth of each node of the graph. */
  readonly nodeDepths: Map<Node, number>;

  constructor(inputs: unknown, outputs: unknown) {
    this.inputs = flattenStructure(inputs, "inputs");
    this.outputs = flattenStructure(outputs, "outputs");
    this.inputs.tensors.forEach((t, i) => {
      if (!(t.sourceLayer instanceof InputLayer)) {
        throw new ValueError(
          `Model inputs must come from Input(...), but input ${i} is the output of layer "${t.sourceLayer.name}" (${t.sourceLayer.className}). ` +
            `Pass the tensor that Input returned instead.`,
        );
      }
    });
    if (new Set(this.inputs.tensors).size !== this.inputs.tensors.length) {
      throw new ValueError("The same Input was passed twice in Model `inputs`. Each input must appear once.");
    }

    const { postOrder, layerIndex } = this.walk();
    const depths = new Map<Node, number>();
    const layerDepths = new Map<Layer, number>();
    for (let i = postOrder.length - 1; i >= 0; i--) {
      const node = postOrder[i]!;
      const depth = Math.max(depths.get(node) ?? 0, layerDepths.get(node.layer) ?? 0);
      layerDepths.set(node.layer, depth);
      depths.set(node, depth);
      if (this.isGraphInput(node)) continue;
      for (const input of node.inputs) {
        const parent = input.node;
        depths.set(parent, Math.max(depth + 1, depths.get(parent) ?? 0));
      }
    }
    // Inputs that no output depends on still belong to the model, at depth 0.
    for (const input of this.inputs.tensors) {
      if (!layerDepths.has(input.sourceLayer)) {
        layerDepths.set(input.sourceLayer, 0);
        layerIndex.set(input.sourceLayer, -1);
        depths.set(input.node, 0);
      }
    }
    this.nodeDepths = depths;
    this.layers = [...layerDepths.keys()].sort(
      (a, b) => layerDepths.get(b)! - layerDepths.get(a)! || layerIndex.get(a)! - layerIndex.get(b)!,
    );
    const position = new Map(postOrder.map((node, i) => [node, i]));
    this.nodes = [...depths.keys()].sort(
      (a, b) => depths.get(b)! - depths.get(a)! || (position.get(a) ?? -1) - (position.get(b) ?? -1),
    );
    const names = new Set<string>();
    for (const layer of this.layers) {
      if (names.has(layer.name)) {
        throw new ValueError(
          `Layer names must be unique in a model, but two layers are named "${layer.name}". Pass a different \`name\` to one of them.`,
        );
      }
      names.add(layer.name);
    }
  }

  /** True for the node of an InputLayer that is one of the model's inputs. */
  private isGraphInput(node: Node): boolean {
    return node.layer instanceof InputLayer && this.inputs.tensors.includes(node.outputs[0]!);
  }

  /**
   * Walks from each output back to the inputs. Returns the nodes in post-order
   * (producers before consumers) and each layer's position in pre-order.
   */
  private walk(): { postOrder: Node[]; layerIndex: Map<Layer, number> } {
    const finished = new Set<Node>();
    const inProgress = new Set<Node>();
    const postOrder: Node[] = [];
    const layerIndex = new Map<Layer, number>();
    const visit = (tensor: SymbolicTensor): void => {
      const node = tensor.node;
      if (finished.has(node)) return;
      if (inProgress.has(node)) {
        throw new ValueError(`The graph has a cycle through layer "${node.layer.name}". A functional model must be acyclic.`);
      }
      if (!layerIndex.has(node.layer)) layerIndex.set(node.layer, layerIndex.size);
      inProgress.add(node);
      if (node.layer instanceof InputLayer) {
        if (!this.inputs.tensors.includes(tensor)) {
          throw new ValueError(
            `An output depends on Input "${node.layer.name}", which is not among the model's inputs. ` +
              `Add it to \`inputs\`, or build the outputs from the given inputs only.`,
          );
        }
      } else {
        for (const input of node.inputs) visit(input);
      }
      inProgress.delete(node);
      finished.add(node);
      postOrder.push(node);
    };
    for (const output of this.outputs.sorted) visit(output);
    return { postOrder, layerIndex };
  }

  /** Runs the graph on one tensor per input and returns one tensor per output. */
  run(inputs: readonly Tensor[], options: CallOptions): Tensor[] {
    const values = new Map<SymbolicTensor, Tensor>();
    this.inputs.tensors.forEach((t, i) => values.set(t, inputs[i]!));
    const runOptions: CallOptions = options.training === undefined ? {} : { training: options.training };
    for (const node of this.nodes) {
      if (node.layer instanceof InputLayer) continue;
      const args = node.inputs.map((t) => values.get(t)!);
      // Options recorded with the symbolic call win, so a `training` fixed there stays fixed.
      const callOptions = Object.keys(node.callOptions).length === 0 ? runOptions : { ...runOptions, ...node.callOptions };
      const result = node.layer.apply(node.inputsAreList ? args : args[0]!, callOptions);
      const outputs = Array.isArray(result) ? result : [result];
      node.outputs.forEach((t, i) => values.set(t, outputs[i]!));
    }
    return this.outputs.tensors.map((t) => values.get(t)!);
  }

  /**
   * True when Keras would print the model as a plain stack: one node per
   * depth, each with at most one input, and no layer called twice.
   */
  get isSequentialLike(): boolean {
    const perDepth = new Map<number, Node[]>();
    for (const [node, depth] of this.nodeDepths) perDepth.set(depth, [...(perDepth.get(depth) ?? []), node]);
    for (const nodes of perDepth.values()) {
      if (nodes.length > 1 || nodes[0]!.inputs.length > 1) return false;
    }
    for (const layer of this.layers) {
      if (layer.inboundNodes.filter((n) => this.nodeDepths.has(n)).length > 1) return false;
    }
    return true;
  }

  /** Names under which data and losses refer to the inputs: record keys, else the input layers' names. */
  get inputNames(): string[] {
    return this.inputs.keys ?? this.inputs.tensors.map((t) => t.sourceLayer.name);
  }

  /** Names under which labels, losses and metrics refer to the outputs. */
  get outputNames(): string[] {
    return this.outputs.keys ?? this.outputs.tensors.map((t) => t.sourceLayer.name);
  }
}
