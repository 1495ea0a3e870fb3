// Runs every test/**/*.test.ts in one Node test-runner process.
// Files are collected here because glob support in `node --test` differs across Node 20 releases.
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";

const root = new URL("..", import.meta.url).pathname;

function collect(dir) {
  const files = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...collect(path));
    else if (entry.endsWith(".test.ts")) files.push(path);
  }
  return files;
}

const filter = process.argv.slice(2);
let files = collect(join(root, "test"));
if (filter.length > 0) files = files.filter((file) => filter.some((part) => file.includes(part)));
if (files.length === 0) {
  console.error("No test files found under test/ (expected files named *.test.ts).");
  process.exit(1);
}

const result = spawnSync(
  process.execPath,
  ["--conditions=stratum-source", "--import", "tsx", "--test", "--test-reporter=spec", ...files.map((file) => relative(root, file))],
  { cwd: root, stdio: "inherit" },
);
process.exit(result.status ?? 1);
