// A small QR code encoder (ISO/IEC 18004 model 2), versions 1-10, written for the
// wallet: alphanumeric mode for Base45 ticket codes, byte mode for links. Tested
// module for module against segno (tests/server_stub/test_wallet_qr.py).

const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
export const MAX_VERSION = 10;
// Per level: [row in the tables below, the level's two format bits].
const LEVELS = { L: [0, 1], M: [1, 0], Q: [2, 3], H: [3, 2] };
// Error correction codewords per block and block counts, versions 1-10.
const EC_PER_BLOCK = [
  [7, 10, 15, 20, 26, 18, 20, 24, 30, 18],
  [10, 16, 26, 18, 24, 16, 18, 22, 22, 26],
  [13, 22, 18, 26, 18, 24, 18, 22, 20, 24],
  [17, 28, 22, 16, 22, 28, 26, 26, 24, 28],
];
const BLOCKS = [
  [1, 1, 1, 1, 1, 2, 2, 2, 2, 4],
  [1, 1, 1, 2, 2, 4, 4, 4, 5, 5],
  [1, 1, 2, 2, 4, 4, 6, 6, 8, 8],
  [1, 1, 2, 4, 4, 4, 5, 6, 8, 8],
];

/** Modules left for data and error correction once function patterns are drawn. */
function rawDataModules(version) {
  let n = (16 * version + 128) * version + 64;
  if (version >= 2) {
    const align = Math.floor(version / 7) + 2;
    n -= (25 * align - 10) * align - 55;
    if (version >= 7) n -= 36;
  }
  return n;
}

export function dataCapacity(version, level) {
  const row = LEVELS[level][0];
  return Math.floor(rawDataModules(version) / 8) - EC_PER_BLOCK[row][version - 1] * BLOCKS[row][version - 1];
}

export function alignmentPositions(version) {
  if (version === 1) return [];
  const count = Math.floor(version / 7) + 2;
  const step = Math.floor((version * 8 + count * 3 + 5) / (count * 4 - 4)) * 2;
  const out = [6];
  for (let pos = version * 4 + 10; out.length < count; pos -= step) out.splice(1, 0, pos);
  return out;
}

// ---- data bits ------------------------------------------------------------------

function segment(text) {
  if ([...text].every((ch) => ALNUM.includes(ch))) {
    const bits = [];
    for (let i = 0; i + 1 < text.length; i += 2) {
      push(bits, ALNUM.indexOf(text[i]) * 45 + ALNUM.indexOf(text[i + 1]), 11);
    }
    if (text.length % 2) push(bits, ALNUM.indexOf(text[text.length - 1]), 6);
    return { mode: 0b0010, count: text.length, countBits: (v) => (v <= 9 ? 9 : 11), bits };
  }
  const bytes = new TextEncoder().encode(text);
  const bits = [];
  for (const b of bytes) push(bits, b, 8);
  return { mode: 0b0100, count: bytes.length, countBits: (v) => (v <= 9 ? 8 : 16), bits };
}

function push(bits, value, length) {
  for (let i = length - 1; i >= 0; i--) bits.push((value >>> i) & 1);
}

function dataCodewords(seg, version, level) {
  const capacity = dataCapacity(version, level) * 8;
  const bits = [];
  push(bits, seg.mode, 4);
  push(bits, seg.count, seg.countBits(version));
  bits.push(...seg.bits);
  push(bits, 0, Math.min(4, capacity - bits.length));
  push(bits, 0, (8 - (bits.length % 8)) % 8);
  const words = [];
  for (let i = 0; i < bits.length; i += 8) {
    words.push(bits.slice(i, i + 8).reduce((acc, b) => (acc << 1) | b, 0));
  }
  for (let pad = 0xec; words.length < capacity / 8; pad ^= 0xec ^ 0x11) words.push(pad);
  return words;
}

// ---- Reed-Solomon over GF(256), polynomial 0x11D ---------------------------------

function gfMul(x, y) {
  let z = 0;
  for (let i = 7; i >= 0; i--) {
    z = (z << 1) ^ ((z >>> 7) * 0x11d);
    z ^= ((y >>> i) & 1) * x;
  }
  return z;
}

export function rsDivisor(degree) {
  const out = new Array(degree).fill(0);
  out[degree - 1] = 1;
  let root = 1;
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < degree; j++) {
      out[j] = gfMul(out[j], root);
      if (j + 1 < degree) out[j] ^= out[j + 1];
    }
    root = gfMul(root, 0x02);
  }
  return out;
}

export function rsRemainder(data, divisor) {
  const out = new Array(divisor.length).fill(0);
  for (const b of data) {
    const factor = b ^ out.shift();
    out.push(0);
    divisor.forEach((coef, i) => { out[i] ^= gfMul(coef, factor); });
  }
  return out;
}

function withErrorCorrection(data, version, level) {
  const row = LEVELS[level][0];
  const blocks = BLOCKS[row][version - 1];
  const ecLen = EC_PER_BLOCK[row][version - 1];
  const raw = Math.floor(rawDataModules(version) / 8);
  const shortBlocks = blocks - (raw % blocks);
  const shortLen = Math.floor(raw / blocks);
  const divisor = rsDivisor(ecLen);
  const parts = [];
  for (let i = 0, k = 0; i < blocks; i++) {
    const len = shortLen - ecLen + (i < shortBlocks ? 0 : 1);
    const chunk = data.slice(k, k + len);
    k += len;
    const block = chunk.concat(rsRemainder(chunk, divisor));
    if (i < shortBlocks) block.splice(shortLen - ecLen, 0, -1); // placeholder: equal lengths
    parts.push(block);
  }
  const out = [];
  for (let i = 0; i < parts[0].length; i++) {
    for (const block of parts) if (block[i] !== -1) out.push(block[i]);
  }
  return out;
}

// ---- the symbol -------------------------------------------------------------------

class Grid {
  constructor(size) {
    this.size = size;
    this.dark = new Uint8Array(size * size);
    this.fixed = new Uint8Array(size * size);
  }
  set(x, y, dark) { this.dark[y * this.size + x] = dark ? 1 : 0; this.fixed[y * this.size + x] = 1; }
  get(x, y) { return this.dark[y * this.size + x]; }
}

function drawFunctionPatterns(g, version) {
  const n = g.size;
  for (let i = 0; i < n; i++) { g.set(6, i, i % 2 === 0); g.set(i, 6, i % 2 === 0); }
  for (const [cx, cy] of [[3, 3], [n - 4, 3], [3, n - 4]]) {
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -4; dx <= 4; dx++) {
        const x = cx + dx; const y = cy + dy;
        const d = Math.max(Math.abs(dx), Math.abs(dy));
        if (x >= 0 && x < n && y >= 0 && y < n) g.set(x, y, d !== 2 && d !== 4);
      }
    }
  }
  const pos = alignmentPositions(version);
  const last = pos.length - 1;
  pos.forEach((cx, i) => pos.forEach((cy, j) => {
    if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) return;
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) g.set(cx + dx, cy + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
    }
  }));
  drawFormatBits(g, LEVELS.M[1], 0); // reserve the area; redrawn per mask
  if (version >= 7) {
    let rem = version;
    for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
    const bits = (version << 12) | rem;
    for (let i = 0; i < 18; i++) {
      const bit = (bits >>> i) & 1;
      const a = n - 11 + (i % 3); const b = Math.floor(i / 3);
      g.set(a, b, bit); g.set(b, a, bit);
    }
  }
}

function drawFormatBits(g, levelBits, mask) {
  const n = g.size;
  const data = (levelBits << 3) | mask;
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  const bits = ((data << 10) | rem) ^ 0x5412;
  const bit = (i) => (bits >>> i) & 1;
  for (let i = 0; i <= 5; i++) g.set(8, i, bit(i));
  g.set(8, 7, bit(6)); g.set(8, 8, bit(7)); g.set(7, 8, bit(8));
  for (let i = 9; i < 15; i++) g.set(14 - i, 8, bit(i));
  for (let i = 0; i < 8; i++) g.set(n - 1 - i, 8, bit(i));
  for (let i = 8; i < 15; i++) g.set(8, n - 15 + i, bit(i));
  g.set(8, n - 8, 1);
}

function placeCodewords(g, words) {
  const n = g.size;
  let i = 0;
  for (let right = n - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5;
    for (let vert = 0; vert < n; vert++) {
      for (let j = 0; j < 2; j++) {
        const x = right - j;
        const y = ((right + 1) & 2) === 0 ? n - 1 - vert : vert;
        if (!g.fixed[y * n + x] && i < words.length * 8) {
          g.dark[y * n + x] = (words[i >>> 3] >>> (7 - (i & 7))) & 1;
          i++;
        }
      }
    }
  }
}

const MASKS = [
  (x, y) => (x + y) % 2 === 0,
  (x, y) => y % 2 === 0,
  (x) => x % 3 === 0,
  (x, y) => (x + y) % 3 === 0,
  (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0,
  (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
  (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0,
  (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
];

function applyMask(g, mask) {
  const n = g.size;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      if (!g.fixed[y * n + x] && MASKS[mask](x, y)) g.dark[y * n + x] ^= 1;
    }
  }
}

/** The penalty score of a finished symbol (ISO/IEC 18004 7.8.3: N1..N4). */
export function penalty(dark, n) {
  const at = (x, y) => dark[y * n + x];
  let score = 0;
  const finder = [1, 0, 1, 1, 1, 0, 1];
  for (let pass = 0; pass < 2; pass++) {
    const cell = pass === 0 ? (i, j) => at(j, i) : (i, j) => at(i, j);
    for (let i = 0; i < n; i++) {
      let run = 1;
      for (let j = 1; j <= n; j++) {
        if (j < n && cell(i, j) === cell(i, j - 1)) { run++; continue; }
        if (run >= 5) score += 3 + run - 5;
        run = 1;
      }
      for (let j = 0; j + 7 <= n; j++) {
        if (!finder.every((v, k) => cell(i, j + k) === v)) continue;
        const light = (from, to) => {
          for (let k = from; k < to; k++) if (k >= 0 && k < n && cell(i, k)) return false;
          return true;
        };
        if (light(j - 4, j) || light(j + 7, j + 11)) score += 40;
      }
    }
  }
  let count = 0;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      count += at(x, y);
      if (x + 1 < n && y + 1 < n) {
        const c = at(x, y);
        if (c === at(x + 1, y) && c === at(x, y + 1) && c === at(x + 1, y + 1)) score += 3;
      }
    }
  }
  return score + 10 * Math.floor(Math.abs((count * 100) / (n * n) - 50) / 5);
}

/**
 * Encode `text` (alphanumeric mode when every character allows it, else UTF-8 bytes)
 * at error correction `level` in the smallest version from 1 to `maxVersion`.
 * Returns {version, size, mask, level, modules: Uint8Array(size*size), row-major, 1 = dark}.
 */
export function encodeQR(text, { level = "M", maxVersion = MAX_VERSION, mask = null } = {}) {
  if (!(level in LEVELS)) throw new RangeError("level is one of L, M, Q, H");
  const seg = segment(text);
  let version = 0;
  for (let v = 1; v <= Math.min(maxVersion, MAX_VERSION); v++) {
    const need = 4 + seg.countBits(v) + seg.bits.length;
    if (seg.count < 2 ** seg.countBits(v) && need <= dataCapacity(v, level) * 8) { version = v; break; }
  }
  if (!version) throw new RangeError(`text too long for a version ${maxVersion} QR code`);
  const words = withErrorCorrection(dataCodewords(seg, version, level), version, level);
  const base = new Grid(version * 4 + 17);
  drawFunctionPatterns(base, version);
  placeCodewords(base, words);
  let best = null;
  for (const m of mask === null ? [0, 1, 2, 3, 4, 5, 6, 7] : [mask]) {
    const g = new Grid(base.size);
    g.dark.set(base.dark); g.fixed.set(base.fixed);
    applyMask(g, m);
    drawFormatBits(g, LEVELS[level][1], m);
    const score = mask === null ? penalty(g.dark, g.size) : 0;
    if (best === null || score < best.score) best = { score, mask: m, grid: g };
  }
  return { version, size: base.size, mask: best.mask, level, modules: best.grid.dark };
}

/** An SVG drawing of the symbol: black on white, `quiet` light modules all round. */
export function toSvg(qr, { quiet = 6 } = {}) {
  const n = qr.size;
  const w = n + 2 * quiet;
  let path = "";
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      if (!qr.modules[y * n + x]) continue;
      let run = 1;
      while (x + run < n && qr.modules[y * n + x + run]) run++;
      path += `M${x + quiet} ${y + quiet}h${run}v1h-${run}z`;
      x += run - 1;
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${w}" shape-rendering="crispEdges">` +
    `<rect width="${w}" height="${w}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`;
}
