import { readFileSync } from "node:fs";
import { unzipSync } from "fflate";
import { readHdf5, splitBackslashLinks } from "/work/wt/io/src/io/hdf5.ts";
const z = unzipSync(readFileSync("/work/wt/io/test/fixtures/keras-real/18-char-simplernn-tf213.keras"));
const t = splitBackslashLinks(await readHdf5(z["model.weights.h5"]!, "x"));
console.log(JSON.stringify(t, (k, v) => (ArrayBuffer.isView(v) ? `${v.constructor.name}(${(v as any).length})` : v)).slice(0, 1500));
const t2 = await readHdf5(readFileSync("/work/wt/io/test/fixtures/keras-real/21-crypto-ann-k222.h5"), "y");
console.log(JSON.stringify(t2.attrs).slice(0, 300), t2.groups.map(g => g[0]), JSON.stringify(t2.groups[0]![1].attrs));
try { await readHdf5(new Uint8Array(readFileSync("/work/wt/io/test/fixtures/keras-real/21-crypto-ann-k222.h5")).slice(0, 5000), "trunc"); } catch (e) { console.log("ERR", (e as Error).message); }
console.log((await readHdf5(readFileSync("/work/wt/io/test/fixtures/keras-real/22-lstm-k231.h5"), "z")).groups.length);
