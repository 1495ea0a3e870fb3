/**
 * Zip archives for `.keras` files, through fflate. Members are size-checked
 * before they are inflated, and member names are only compared with the
 * names Keras writes: they never become paths on disk.
 */

import { type UnzipFileInfo, unzipSync, zipSync } from "fflate";
import { ValueError } from "../errors.js";

export interface ZipLimits {
  /** Largest size one member may inflate to, in bytes. */
  maxMemberBytes: number;
  /** Largest ratio of inflated to compressed size for members above 1 MiB. */
  maxCompressionRatio: number;
}

/**
 * Keras stores every member uncompressed, so a ratio far above 1 marks a
 * zip made by another tool, and above 100 a likely decompression bomb. The
 * 4 GiB member cap is the zip32 limit that fflate reads.
 */
export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxMemberBytes: 4 * 1024 ** 3 - 1, maxCompressionRatio: 100 };

/** Throws when `name` is not a plain relative path (absolute, a drive letter, `..`, backslashes or NUL). */
function checkMemberName(name: string, what: string): void {
  const segments = name.split("/");
  const pathLike =
    name.startsWith("/") ||
    /^[A-Za-z]:/.test(name) ||
    name.includes("\\") ||
    name.includes("\0") ||
    segments.some((s) => s === "..");
  if (pathLike) {
    throw new ValueError(
      `Rejected ${what}: the zip member name ${JSON.stringify(name)} is not a plain relative path (it is absolute or climbs out with ".."). A Keras file never has such names.`,
    );
  }
}

/**
 * Reads the members of a zip archive whose names are in `wanted`. Every
 * member's name is checked, and each wanted member's declared size is
 * checked before it is inflated.
 */
export function readZip(
  bytes: Uint8Array,
  wanted: readonly string[],
  what: string,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): { members: Map<string, Uint8Array>; names: string[] } {
  const names: string[] = [];
  const filter = (file: UnzipFileInfo): boolean => {
    checkMemberName(file.name, what);
    names.push(file.name);
    if (!wanted.includes(file.name)) return false;
    if (file.compression !== 0 && file.compression !== 8) {
      throw new ValueError(`Rejected ${what}: member "${file.name}" uses zip compression method ${file.compression}, but Keras files use 0 (stored) or 8 (deflate).`);
    }
    if (file.originalSize > limits.maxMemberBytes) {
      throw new ValueError(
        `Rejected ${what}: member "${file.name}" declares ${file.originalSize} bytes, more than the limit of ${limits.maxMemberBytes}.`,
      );
    }
    if (file.originalSize > 1024 * 1024 && file.originalSize > file.size * limits.maxCompressionRatio) {
      throw new ValueError(
        `Rejected ${what}: member "${file.name}" would inflate from ${file.size} to ${file.originalSize} bytes ` +
          `(ratio above ${limits.maxCompressionRatio}), which marks a decompression bomb. Keras stores members uncompressed.`,
      );
    }
    return true;
  };
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter });
  } catch (error) {
    if (error instanceof ValueError) throw error;
    throw new ValueError(`Cannot read ${what} as a zip archive: ${(error as Error).message}. The file is probably truncated or corrupted.`);
  }
  const members = new Map<string, Uint8Array>();
  for (const [name, data] of Object.entries(files)) members.set(name, data);
  return { members, names };
}

export interface ZipMember {
  name: string;
  data: Uint8Array;
  /** Modification time written in the member's header. */
  date: Date;
}

/**
 * Writes members uncompressed (stored), in the order given, with Unix
 * permissions 0600, as Python's zipfile does for Keras.
 */
export function writeZip(members: readonly ZipMember[]): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0; mtime: Date; os: number; attrs: number }]> = {};
  for (const member of members) {
    files[member.name] = [member.data, { level: 0, mtime: member.date, os: 3, attrs: 0o600 << 16 }];
  }
  return zipSync(files);
}
