/** Detects a model file's format from its first bytes, whatever its name suggests. */

import { ValueError } from "../errors.js";

export type FileFormat = "zip" | "hdf5";

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const EMPTY_ZIP_MAGIC = [0x50, 0x4b, 0x05, 0x06];
const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, magic: readonly number[], offset = 0): boolean {
  return bytes.length >= offset + magic.length && magic.every((b, i) => bytes[offset + i] === b);
}

/** True when `bytes` is an HDF5 file: the signature sits at 0 or after a user block of 512, 1024, 2048, … bytes. */
function isHdf5(bytes: Uint8Array): boolean {
  if (startsWith(bytes, HDF5_MAGIC)) return true;
  for (let offset = 512; offset + HDF5_MAGIC.length <= bytes.length && offset <= 1 << 20; offset *= 2) {
    if (startsWith(bytes, HDF5_MAGIC, offset)) return true;
  }
  return false;
}

function hexPrefix(bytes: Uint8Array): string {
  return [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** Returns the container format of `bytes`, or throws a ValueError that describes what the file looks like. */
export function detectFormat(bytes: Uint8Array, what: string): FileFormat {
  if (startsWith(bytes, ZIP_MAGIC)) return "zip";
  if (isHdf5(bytes)) return "hdf5";
  if (bytes.length === 0) throw new ValueError(`Cannot load ${what}: the file is empty.`);
  if (startsWith(bytes, EMPTY_ZIP_MAGIC)) throw new ValueError(`Cannot load ${what}: it is an empty zip archive, with no Keras members.`);
  if (bytes[0] === 0x80 && bytes.length > 1 && bytes[1]! >= 2 && bytes[1]! <= 5) {
    const embedded = findSequence(bytes, ZIP_MAGIC) >= 0 ? " It contains an embedded zip archive (tf.keras's pickle of a model wraps a .keras file), but Stratum never unpickles." : "";
    throw new ValueError(
      `Rejected ${what}: it is a Python pickle (protocol ${bytes[1]}), which can run arbitrary code and is not a Keras model file.${embedded} ` +
        "Save the model with model.save(\"model.keras\") in Python and load that file.",
    );
  }
  if (startsWith(bytes, [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])) {
    throw new ValueError(`Cannot load ${what}: it is a NumPy .npy array, not a Keras model file.`);
  }
  const text = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart();
  if (text.startsWith("{")) {
    throw new ValueError(`Cannot load ${what}: it is JSON text (perhaps a TF.js model.json), not a Keras .keras or .h5 file.`);
  }
  throw new ValueError(
    `Cannot load ${what}: it is neither a zip archive (.keras) nor an HDF5 file (.h5); its first bytes are ${hexPrefix(bytes)}.`,
  );
}

function findSequence(bytes: Uint8Array, sequence: readonly number[]): number {
  const limit = Math.min(bytes.length - sequence.length, 1 << 20);
  for (let i = 0; i <= limit; i++) {
    if (startsWith(bytes, sequence, i)) return i;
  }
  return -1;
}
