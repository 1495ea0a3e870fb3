/**
 * Functional models to and from Keras's config form: each layer's serialized
 * config with its `inbound_nodes`, plus `input_layers` and `output_layers`.
 *
 * A node's input tensors are written as `__keras_tensor__` entries whose
 * `keras_history` is [layer name, node index, tensor index]. Node indices
 * count only the nodes inside this model, so a layer that other models also
 * call still starts at node 0 here. Keras 2's node form, a list of
 * [layer name, node index, tensor index, kwargs] entries, is read as well.
 */

import { ValueError } from "../errors.js";
import { InputLayer } from "../layers/input.js";
import { deserialize } from "../layers/index.js";
import type { Layer, SymbolicShape } from "../layers/layer.js";
import type { Node, SymbolicTensor } from "../layers/symbolic.js";
import { toCamelCase, toSnakeCase } from "../utils/naming.js";
import { type FlatStructure, type FunctionalGraph, isPlainRecord } from "./functional.js";

type History = [string, number, number];

interface KerasTensorConfig {
  class_name: "__keras_tensor__";
  config: { shape: SymbolicShape; dtype: string; keras_history: History };
}

/** Serializes a layer in Keras's envelope, with its build config when it is built. */
export function serializeLayer(layer: Layer): Record<string, unknown> {
  // Keras 3 writes nested models under their own modules.
  const functional = layer.className === "Functional";
  const module = functional ? "keras.src.models.functional" : layer.className === "Sequential" ? "keras" : "keras.layers";
  const entry: Record<string, unknown> = {
    module,
    class_name: layer.className,
    config: layer.getConfig(),
    registered_name: functional ? "Functional" : null,
  };
  const buildConfig = layer instanceof InputLayer ? null : layer.getBuildConfig();
  if (buildConfig !== null) entry["build_config"] = buildConfig;
  return entry;
}

/** Returns the functional part of a model's config: layers with their nodes, and the input and output layers. */
export function functionalConfig(graph: FunctionalGraph): Record<string, unknown> {
  const localIndex = (node: Node): number => node.layer.inboundNodes.filter((n) => graph.nodeDepths.has(n)).indexOf(node);
  const history = (t: SymbolicTensor): History => [t.sourceLayer.name, localIndex(t.node), t.tensorIndex];
  const tensorConfig = (t: SymbolicTensor): KerasTensorConfig => ({
    class_name: "__keras_tensor__",
    config: { shape: [...t.shape], dtype: t.dtype, keras_history: history(t) },
  });
  const layers = graph.layers.map((layer) => {
    const nodes = layer instanceof InputLayer ? [] : layer.inboundNodes.filter((n) => graph.nodeDepths.has(n));
    return {
      ...serializeLayer(layer),
      name: layer.name,
      inbound_nodes: nodes.map((node) => ({
        args: nodeArgs(node).map((t) => (Array.isArray(t) ? t.map(tensorConfig) : tensorConfig(t))),
        kwargs: Object.fromEntries(Object.entries(node.callOptions).map(([key, value]) => [toSnakeCase(key), value])),
      })),
    };
  });
  const structure = (flat: FlatStructure): unknown => {
    if (flat.keys) return Object.fromEntries(flat.keys.map((k, i) => [k, history(flat.tensors[i]!)]));
    return flat.single ? history(flat.tensors[0]!) : flat.tensors.map(history);
  };
  return { layers, input_layers: structure(graph.inputs), output_layers: structure(graph.outputs) };
}

/**
 * The positional arguments of a node as Keras writes them: one tensor, one
 * list of tensors, or for layers that take separate positional tensors
 * (MultiHeadAttention) each tensor on its own, at least two, because a
 * self-attention call passes the query again as the value.
 */
function nodeArgs(node: Node): (SymbolicTensor | SymbolicTensor[])[] {
  if (!node.layer.takesPositionalInputs) return [node.inputsAreList ? [...node.inputs] : node.inputs[0]!];
  return node.inputs.length === 1 ? [node.inputs[0]!, node.inputs[0]!] : [...node.inputs];
}

/** A layer entry of a functional config, as far as rebuilding needs it. */
interface LayerEntry {
  class_name: string;
  config: Record<string, unknown>;
  name?: string;
  inbound_nodes?: unknown[];
}

function invalid(detail: string): ValueError {
  return new ValueError(`Invalid functional model config: ${detail}`);
}

function isHistory(value: unknown): value is [string, number, number, ...unknown[]] {
  return Array.isArray(value) && typeof value[0] === "string" && typeof value[1] === "number" && typeof value[2] === "number";
}

/** Reads the tensors a node was called on: the Keras 3 `args` form or Keras 2's list of histories. */
function nodeArguments(node: unknown, layerName: string): { histories: History[]; isList: boolean; options: Record<string, unknown> } {
  if (isPlainRecord(node) && Array.isArray(node["args"])) {
    const kwargs = isPlainRecord(node["kwargs"]) ? node["kwargs"] : {};
    const options = Object.fromEntries(Object.entries(kwargs).map(([key, value]) => [toCamelCase(key), value]));
    const first = (node["args"] as unknown[])[0];
    const toHistory = (t: unknown): History => {
      const history = isPlainRecord(t) && isPlainRecord(t["config"]) ? t["config"]["keras_history"] : undefined;
      if (!isHistory(history)) throw invalid(`a node of layer "${layerName}" has an argument without a keras_history.`);
      return [history[0], history[1], history[2]];
    };
    const args = node["args"] as unknown[];
    if (Array.isArray(first)) return { histories: first.map(toHistory), isList: true, options };
    // Several positional tensors (MultiHeadAttention's query and value) arrive as one input array.
    if (args.length > 1) return { histories: args.map(toHistory), isList: true, options };
    return { histories: [toHistory(first)], isList: false, options };
  }
  if (Array.isArray(node) && node.every(isHistory)) {
    const histories = node.map((h): History => [h[0], h[1], h[2]]);
    const kwargs = isPlainRecord(node[0]?.[3]) ? (node[0]![3] as Record<string, unknown>) : {};
    const options = Object.fromEntries(Object.entries(kwargs).map(([key, value]) => [toCamelCase(key), value]));
    return { histories, isList: histories.length > 1, options };
  }
  throw invalid(`a node of layer "${layerName}" is neither a Keras 3 {args, kwargs} record nor a Keras 2 list of tensors.`);
}

/**
 * Rebuilds the layers of a functional config and replays their calls.
 * Returns the model's inputs and outputs in the structure the config gives.
 */
export function rebuildGraph(config: Record<string, unknown>): { inputs: unknown; outputs: unknown } {
  const entries = config["layers"];
  if (!Array.isArray(entries)) throw invalid(`expected a "layers" array, received ${JSON.stringify(entries)}.`);
  const layers = new Map<string, Layer>();
  const pending: { layer: Layer; nodes: unknown[] }[] = [];
  for (const entry of entries as LayerEntry[]) {
    if (!isPlainRecord(entry) || typeof entry.class_name !== "string" || !isPlainRecord(entry.config)) {
      throw invalid(`every layer entry needs "class_name" and "config", received ${JSON.stringify(entry)?.slice(0, 200)}.`);
    }
    const layer = deserialize({ class_name: entry.class_name, config: entry.config });
    const name = entry.name ?? layer.name;
    if (layers.has(name)) throw invalid(`two layers are named "${name}".`);
    layers.set(name, layer);
    pending.push({ layer, nodes: [...(entry.inbound_nodes ?? [])] });
  }

  // Outputs of each replayed call, by layer name and the call's index in this config.
  const produced = new Map<string, SymbolicTensor[][]>();
  for (const [name, layer] of layers) {
    if (layer instanceof InputLayer) produced.set(name, [[layer.output]]);
  }
  const lookup = ([name, nodeIndex, tensorIndex]: History): SymbolicTensor | undefined => produced.get(name)?.[nodeIndex]?.[tensorIndex];

  // Replay calls whose inputs exist, until every call has run; a round without progress means a broken graph.
  let remaining = pending.reduce((total, p) => total + p.nodes.length, 0);
  while (remaining > 0) {
    let progressed = false;
    for (const item of pending) {
      while (item.nodes.length > 0) {
        const { histories, isList, options } = nodeArguments(item.nodes[0], item.layer.name);
        const inputs = histories.map(lookup);
        if (inputs.some((t) => t === undefined)) break;
        item.nodes.shift();
        const args = inputs as SymbolicTensor[];
        const result = item.layer.apply(isList ? args : args[0]!, options);
        const outputs = Array.isArray(result) ? result : [result];
        const list = produced.get(item.layer.name) ?? [];
        list.push(outputs);
        produced.set(item.layer.name, list);
        remaining--;
        progressed = true;
      }
    }
    if (!progressed) throw invalid("some layer calls refer to tensors that no layer produces, so the graph cannot be rebuilt.");
  }

  const resolve = (value: unknown, argument: string): unknown => {
    const find = (history: unknown): SymbolicTensor => {
      const tensor = isHistory(history) ? lookup([history[0], history[1], history[2]]) : undefined;
      if (!tensor) throw invalid(`\`${argument}\` refers to ${JSON.stringify(history)}, which no layer produces.`);
      return tensor;
    };
    if (isHistory(value)) return find(value);
    if (Array.isArray(value)) return value.map(find);
    if (isPlainRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, find(v)]));
    throw invalid(`\`${argument}\` must be a [layer, node, tensor] entry, a list of them or a record of them.`);
  };
  return { inputs: resolve(config["input_layers"], "input_layers"), outputs: resolve(config["output_layers"], "output_layers") };
}
