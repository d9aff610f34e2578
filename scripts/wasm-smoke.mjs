// Runs the fusegym-wasm-smoke module (tools/wasm-smoke) in node and checks what it reports.
// Used by scripts/check-wasm.sh:
//
//   node scripts/wasm-smoke.mjs FILE.wasm FLAVOUR EXPECTED_PATH NATIVE_DIGEST
//
// FLAVOUR is "simd128" or "plain". Checks:
// * the module has no imports (core + alloc only; nothing from JS, no wasm-bindgen);
// * smoke(203, 100) == 20300 (CartPole pays 1.0 per env and step);
// * simd_path() == EXPECTED_PATH (index in SimdPath::ALL: 0 Scalar, 1 Wide4);
// * digest(203, 100, path) == NATIVE_DIGEST for the best path and for Scalar (the same batch
//   stepped natively by `cargo test -p fusegym-wasm-smoke`);
// * the code section holds SIMD (0xFD-prefixed) instructions in the simd128 build and none in
//   the plain one. Every function body is decoded instruction by instruction, so an immediate
//   byte that happens to be 0xFD is never miscounted, and a body that does not decode to its
//   exact length fails the check.
// Prints one line of details on success; exits 1 with a message otherwise.
import { readFileSync } from 'node:fs';

const [file, flavour, expectedPathArg, nativeDigestArg] = process.argv.slice(2);
if (!file || !['simd128', 'plain'].includes(flavour) || expectedPathArg === undefined || nativeDigestArg === undefined) {
  console.error('usage: node wasm-smoke.mjs FILE.wasm simd128|plain EXPECTED_PATH NATIVE_DIGEST');
  process.exit(2);
}
const N = 203, STEPS = 100;
const PATHS = ['scalar', 'wide-f32x4', 'wide-f32x8', 'avx2-f32x8'];
const expectedPath = Number(expectedPathArg);
const nativeDigest = Number(nativeDigestArg);

const errors = [];
const bytes = readFileSync(file);
const scan = scanSimd(bytes);
if (flavour === 'simd128' && scan.simd === 0) errors.push('no SIMD instructions in the simd128 build');
if (flavour === 'plain' && scan.simd !== 0) errors.push(`${scan.simd} SIMD instructions in the plain build`);

const module = await WebAssembly.compile(bytes);
const imports = WebAssembly.Module.imports(module);
if (imports.length !== 0) {
  errors.push(`module imports ${imports.map((i) => `${i.module}.${i.name}`).join(', ')} (expected none)`);
}
const { exports: ex } = await WebAssembly.instantiate(module, {});

const sum = ex.smoke(N, STEPS);
if (sum !== N * STEPS) errors.push(`smoke(${N}, ${STEPS}) = ${sum}, expected ${N * STEPS}`);
const path = ex.simd_path() >>> 0;
if (path !== expectedPath) errors.push(`simd_path() = ${path} (${PATHS[path]}), expected ${expectedPath} (${PATHS[expectedPath]})`);
const digests = {};
for (const p of new Set([path, 0])) {
  const d = ex.digest(N, STEPS, p) >>> 0;
  digests[PATHS[p] ?? p] = d;
  if (d !== nativeDigest) errors.push(`digest on ${PATHS[p] ?? p} = ${d}, native reference ${nativeDigest}`);
}

const features = scan.targetFeatures.length ? scan.targetFeatures.join(' ') : '(none)';
const details = `path=${PATHS[path] ?? path} smoke=${sum} digest=${Object.entries(digests).map(([k, v]) => `${k}:${v}`).join(',')} ` +
  `native=${nativeDigest} simd_instructions=${scan.simd}/${scan.total} target_features=${features} size=${bytes.length}B`;
if (errors.length) {
  console.error(`${flavour}: ${details}`);
  for (const e of errors) console.error(`${flavour}: ${e}`);
  process.exit(1);
}
console.log(`  ${flavour}: ${details}`);

// Decodes the code section and counts instructions; also reads the `target_features` custom
// section that LLVM writes (informational only).
function scanSimd(b) {
  let i = 8;
  const u = () => { let r = 0, s = 0, x; do { x = b[i++]; r += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80); return r; };
  const leb = () => { while (b[i++] & 0x80); }; // skip a (signed) LEB128
  const memarg = () => { if (u() & 0x40) u(); u(); }; // align (bit 6: memory index follows), offset
  const name = () => { const n = u(); const s = b.subarray(i, i + n).toString('utf8'); i += n; return s; };
  if (b.readUInt32LE(0) !== 0x6d736100) throw new Error(`${file}: not a wasm module`);
  let simd = 0, total = 0;
  const targetFeatures = [];
  while (i < b.length) {
    const id = b[i++];
    const size = u();
    const end = i + size;
    if (id === 0) {
      if (name() === 'target_features') {
        for (let n = u(); n > 0; n--) { const prefix = String.fromCharCode(b[i++]); targetFeatures.push(prefix + name()); }
      }
    } else if (id === 10) {
      for (let f = u(); f > 0; f--) {
        const bodySize = u();
        const bodyEnd = i + bodySize;
        for (let g = u(); g > 0; g--) { u(); leb(); } // locals: count, value type
        while (i < bodyEnd) {
          const op = b[i++];
          total++;
          if (op === 0xfd) {
            simd++;
            const s = u();
            if (s <= 11 || s === 92 || s === 93) memarg(); // loads, store, load*_zero
            else if (s === 12 || s === 13) i += 16; // v128.const, i8x16.shuffle
            else if (s >= 21 && s <= 34) i += 1; // extract/replace lane
            else if (s >= 84 && s <= 91) { memarg(); i += 1; } // load/store lane
          } else if (op === 0xfc) {
            const s = u();
            if ([8, 10, 12, 14].includes(s)) { u(); u(); } else if (s >= 9 && s <= 17) u();
            else if (s > 17) throw new Error(`unknown 0xfc ${s} at byte ${i}`);
          } else if (op <= 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x1a || op === 0x1b || op === 0xd1 || (op >= 0x45 && op <= 0xc4)) {
            // no immediates
          } else if (op >= 0x02 && op <= 0x04) leb(); // block type
          else if (op === 0x0c || op === 0x0d || op === 0x10 || op === 0x12 || (op >= 0x20 && op <= 0x26) || op === 0x3f || op === 0x40 || op === 0xd2) u();
          else if (op === 0x0e) { for (let n = u(); n > 0; n--) u(); u(); } // br_table
          else if (op === 0x11 || op === 0x13) { u(); u(); }
          else if (op === 0x1c) { for (let n = u(); n > 0; n--) leb(); }
          else if (op >= 0x28 && op <= 0x3e) memarg();
          else if (op === 0x41 || op === 0x42 || op === 0xd0) leb();
          else if (op === 0x43) i += 4;
          else if (op === 0x44) i += 8;
          else throw new Error(`${file}: cannot decode opcode 0x${op.toString(16)} at byte ${i - 1}`);
        }
        if (i !== bodyEnd || b[bodyEnd - 1] !== 0x0b) throw new Error(`${file}: function body decoded to the wrong length`);
      }
    }
    i = end;
  }
  return { simd, total, targetFeatures };
}
