/**
 * Model weights to and from HDF5 trees, in the two layouts Keras uses:
 *
 * - Keras 3 (`.keras` members and `.weights.h5`): every object writes its
 *   variables to `<path>/vars/0`, `/vars/1`, …; a model's layers sit under
 *   `layers/<snake_case(class)>[_k]`, with a counter per class over the
 *   layer list, and sub-layers under the names `savedWeightGroups` gives.
 * - Legacy HDF5 (`model.save("x.h5")`, Keras 2 `save_weights`): one group
 *   per layer name, listed in the `layer_names` attribute. Each group's
 *   `weight_names` attribute lists its datasets, matched by position.
 */

import { ShapeError, ValueError } from "../errors.js";
import type { Layer } from "../layers/layer.js";
import type { Variable } from "../layers/variable.js";
import { Model } from "../models/model.js";
import type { Optimizer } from "../optimizers/optimizer.js";
import { Tensor } from "../tensor/tensor.js";
import { toSnakeCase } from "../utils/naming.js";
import {
  type AttributeValue,
  type H5Dataset,
  type H5Group,
  childGroup,
  datasetAt,
  emptyGroup,
  groupAt,
} from "./hdf5.js";

/** Group names under which tf.keras 2.13 and Keras 3 keep a model's layer list. */
const LAYER_CONTAINERS = ["layers", "_layer_checkpoint_dependencies"];

function toDataset(value: Tensor): H5Dataset {
  const data = value.data;
  let dtype = "<f";
  if (data instanceof Float64Array) dtype = "<d";
  else if (data instanceof Int32Array) dtype = "<i";
  return { dtype, shape: [...value.shape], data: data.slice() as H5Dataset["data"], attrs: {} };
}

function varsGroup(name: string, values: Tensor[]): H5Group {
  const group = emptyGroup({ name });
  values.forEach((value, i) => group.datasets.push([String(i), toDataset(value)]));
  return group;
}

/** Names of a container's members: snake_case of the class name, then `_1`, `_2`, … per class. */
function containerNames(layers: readonly Layer[]): string[] {
  const counts = new Map<string, number>();
  return layers.map((layer) => {
    const base = toSnakeCase(layer.className);
    const count = counts.get(base) ?? 0;
    counts.set(base, count + 1);
    return count === 0 ? base : `${base}_${count}`;
  });
}

function saveObject(layer: Layer, visited: Set<Layer>): H5Group {
  visited.add(layer);
  const groups = layer.savedWeightGroups();
  const group = emptyGroup();
  if (layer instanceof Model) {
    const container = emptyGroup();
    const layers = layer.layers;
    const names = containerNames(layers);
    layers.forEach((child, i) => {
      if (!visited.has(child)) container.groups.push([names[i]!, saveObject(child, visited)]);
    });
    group.groups.push(["layers", container]);
  }
  for (const { name, layer: child } of groups.children) {
    if (!visited.has(child)) group.groups.push([name, saveObject(child, visited)]);
  }
  group.groups.push(["vars", varsGroup(layer.name, groups.variables.map((v) => v.value))]);
  return group;
}

/** Builds the Keras 3 weights tree of `model`, with the optimizer's variables when it has one. */
export function modelWeightsTree(model: Model): H5Group {
  const root = saveObject(model, new Set());
  const optimizer = model.optimizer;
  if (optimizer) {
    const optimizerGroup = emptyGroup();
    optimizerGroup.groups.push(["vars", varsGroup(optimizer.name, optimizer.variables.map((v: { value: Tensor }) => v.value))]);
    // h5py lists groups alphabetically; keep "optimizer" before the model's own "vars".
    root.groups.splice(root.groups.length - 1, 0, ["optimizer", optimizerGroup]);
  }
  return root;
}

/** Returns the datasets of a `vars` group in index order (h5py lists "10" before "2"). */
function orderedVars(group: H5Group | undefined): H5Dataset[] {
  if (!group) return [];
  return [...group.datasets].sort(([a], [b]) => Number(a) - Number(b)).map(([, d]) => d);
}

/** Copies `dataset` into `variable`, converting the element type; `where` names the dataset in errors. */
export function assignDataset(variable: Variable, dataset: H5Dataset, where: string): void {
  if (dataset.data === null) {
    throw new ValueError(`Cannot load weight "${variable.path}" from ${where}: dataset type ${dataset.dtype} is not numeric.`);
  }
  const expected = variable.shape;
  if (dataset.shape.length !== expected.length || dataset.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(
      `Cannot load weight "${variable.path}" of shape [${expected.join(", ")}] from ${where}, which has shape [${dataset.shape.join(", ")}]. ` +
        "The file was saved from a model with a different architecture.",
    );
  }
  const target = variable.value.data;
  const source = dataset.data;
  const converted = target instanceof Float64Array ? new Float64Array(source.length) : new Float32Array(source.length);
  for (let i = 0; i < source.length; i++) converted[i] = Number(source[i]!);
  variable.assign(new Tensor(converted, expected));
}

function assignVars(layer: Layer, variables: Variable[], group: H5Group | undefined, path: string): void {
  const datasets = orderedVars(childGroup(group ?? emptyGroup(), "vars"));
  if (datasets.length !== variables.length) {
    throw new ValueError(
      `Layer "${layer.name}" (${layer.className}) has ${variables.length} weights, but the file contains ${datasets.length} at "${joinPath(path, "vars")}". ` +
        "The file was saved from a model with a different architecture.",
    );
  }
  variables.forEach((variable, i) => assignDataset(variable, datasets[i]!, `"${joinPath(path, "vars", String(i))}"`));
}

function countVariables(layer: Layer): number {
  return layer.weights.length;
}

/**
 * Matches a model's layers to the groups of a container when the names
 * Keras 3 would give do not fit. Each layer takes the next group whose name
 * is its class's snake_case name, alone or with a numeric suffix, in suffix
 * order. This covers tf.keras 2.13, whose counter advanced twice for each
 * layer with weights.
 */
function matchContainer(layers: readonly Layer[], container: H5Group): (string | null)[] {
  const taken = new Map<string, string[]>();
  return layers.map((layer) => {
    const base = toSnakeCase(layer.className);
    if (!taken.has(base)) {
      const pattern = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?:_(\\d+))?$`);
      const names = container.groups
        .map(([name]) => name)
        .filter((name) => pattern.test(name))
        .sort((a, b) => Number(pattern.exec(a)![1] ?? 0) - Number(pattern.exec(b)![1] ?? 0));
      taken.set(base, names);
    }
    return taken.get(base)!.shift() ?? null;
  });
}

function joinPath(...parts: string[]): string {
  return parts.filter((p) => p !== "").join("/");
}

function loadObject(layer: Layer, group: H5Group | undefined, path: string, visited: Set<Layer>): void {
  visited.add(layer);
  const groups = layer.savedWeightGroups();
  if (layer instanceof Model) {
    const key = group ? LAYER_CONTAINERS.find((k) => childGroup(group, k)) : undefined;
    const container = key && group ? childGroup(group, key)! : emptyGroup();
    const layers = layer.layers;
    // Keras counts every layer of a class, including ones already saved elsewhere (shared layers), which get no group.
    const exact = containerNames(layers);
    const exactFits = layers.every((child, i) => visited.has(child) || countVariables(child) === 0 || childGroup(container, exact[i]!));
    const names = exactFits ? exact : matchContainer(layers, container);
    layers.forEach((child, i) => {
      if (visited.has(child)) return;
      const name = names[i] ?? null;
      const childPath = joinPath(path, key ?? "layers", name ?? toSnakeCase(child.className));
      if (name === null && countVariables(child) > 0) {
        throw new ValueError(
          `Layer "${child.name}" (${child.className}) has ${countVariables(child)} weights, but the file has no group for it under "${joinPath(path, key ?? "layers")}". ` +
            "The file was saved from a model with a different architecture.",
        );
      }
      loadObject(child, name === null ? undefined : childGroup(container, name), childPath, visited);
    });
  }
  for (const { name, layer: child } of groups.children) {
    if (!visited.has(child)) loadObject(child, group && childGroup(group, name), joinPath(path, name), visited);
  }
  if (groups.variables.length > 0 || (group && childGroup(group, "vars"))) {
    assignVars(layer, groups.variables, group, path);
  }
}

/** Loads the Keras 3 weights tree `root` into `model`. */
export function loadModelWeightsTree(model: Model, root: H5Group): void {
  loadObject(model, root, "", new Set());
}

/**
 * Restores an optimizer's state from `optimizer/vars` of a Keras 3 weights
 * tree: the iteration count, the learning rate and the slot variables for
 * `variables`. Returns a reason when the state does not fit, else null.
 */
export function loadOptimizerState(optimizer: Optimizer, variables: readonly Variable[], root: H5Group): string | null {
  const datasets = orderedVars(groupAt(root, "optimizer/vars"));
  // A Keras optimizer that never took a step saves only its iteration count and learning rate.
  if (datasets.length <= 2 && !optimizer.built) return null;
  const values: Tensor[] = [];
  for (const [i, dataset] of datasets.entries()) {
    if (dataset.data === null) return `optimizer variable ${i} has the non-numeric type ${dataset.dtype}`;
    values.push(new Tensor(Float64Array.from(dataset.data, Number), dataset.shape));
  }
  if (!optimizer.built) optimizer.build(variables);
  try {
    optimizer.setVariables(values);
  } catch (error) {
    if (error instanceof ValueError) return error.message.replace(/\.$/, "");
    throw error;
  }
  return null;
}

/**
 * Reads a list attribute such as `layer_names`, including one that Keras
 * split into numbered chunks (`layer_names0`, `layer_names1`, …) because
 * HDF5 attributes are limited to 64 KiB.
 */
export function readListAttribute(attrs: Record<string, AttributeValue>, name: string): string[] | null {
  const asList = (value: AttributeValue | undefined): string[] => {
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value.flat(Infinity as 1).map(String);
    if (typeof value === "string") return [value];
    return [];
  };
  if (name in attrs) return asList(attrs[name]);
  if (!(`${name}0` in attrs)) return null;
  const result: string[] = [];
  for (let i = 0; `${name}${i}` in attrs; i++) result.push(...asList(attrs[`${name}${i}`]));
  return result;
}

/** Loads weights in the legacy HDF5 layout from `group` (`model_weights`, or the root of a Keras 2 weights file). */
export function loadLegacyWeights(model: Model, group: H5Group, what: string): void {
  const layerNames = readListAttribute(group.attrs, "layer_names");
  if (layerNames === null) throw new ValueError(`Cannot load weights from ${what}: the group has no "layer_names" attribute.`);
  const fileLayers = layerNames
    .map((name) => {
      const layerGroup = childGroup(group, name);
      const weightNames = layerGroup ? (readListAttribute(layerGroup.attrs, "weight_names") ?? []) : [];
      return { name, group: layerGroup, weightNames };
    })
    .filter((entry) => entry.weightNames.length > 0);
  const modelLayers = model.layers.filter((layer) => layer.weights.length > 0);
  if (fileLayers.length !== modelLayers.length) {
    throw new ValueError(
      `Cannot load weights from ${what}: the file has ${fileLayers.length} layers with weights (${fileLayers.map((l) => l.name).join(", ")}), ` +
        `but the model has ${modelLayers.length} (${modelLayers.map((l) => l.name).join(", ")}).`,
    );
  }
  modelLayers.forEach((layer, i) => {
    const entry = fileLayers[i]!;
    const variables = layer.weights;
    if (entry.weightNames.length !== variables.length) {
      throw new ValueError(
        `Cannot load weights from ${what}: layer "${layer.name}" (${layer.className}) has ${variables.length} weights, ` +
          `but the file's layer "${entry.name}" contains ${entry.weightNames.length} (${entry.weightNames.join(", ")}).`,
      );
    }
    variables.forEach((variable, j) => {
      const weightName = entry.weightNames[j]!;
      const dataset = datasetAt(entry.group!, weightName);
      if (!dataset) throw new ValueError(`Cannot load weights from ${what}: dataset "${entry.name}/${weightName}" is missing.`);
      assignDataset(variable, dataset, `"${entry.name}/${weightName}"`);
    });
  });
}
