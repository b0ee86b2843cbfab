// The wallet's QR codes: the encoding is Kazuhiko Arase's qrcode-generator (MIT), vendored
// unchanged in vendor/qrcode-generator/ (see its README.md and LICENSE). This module only
// chooses the mode (alphanumeric for Base45 ticket codes, UTF-8 bytes for links), keeps
// the version within what the gates read, and draws the SVG. Compared module for module
// with segno, and read back by zxing and zbar, in tests/server/test_wallet_js.py.

import qrcode from "./vendor/qrcode-generator/qrcode.mjs";
import { stringToBytes as utf8Bytes } from "./vendor/qrcode-generator/qrcode_UTF8.mjs";

const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const LEVELS = ["L", "M", "Q", "H"];
export const MAX_VERSION = 10;

// The library's documented way to encode byte mode as UTF-8 (its default keeps the low byte).
qrcode.stringToBytes = utf8Bytes;

/**
 * Encode `text` (alphanumeric mode when every character allows it, else UTF-8 bytes)
 * at error correction `level` in the smallest version, which must be at most `maxVersion`.
 * Returns {version, size, level, modules: Uint8Array(size*size), row-major, 1 = dark}.
 */
export function encodeQR(text, { level = "M", maxVersion = MAX_VERSION } = {}) {
  if (!LEVELS.includes(level)) throw new RangeError("level is one of L, M, Q, H");
  const qr = qrcode(0, level);
  qr.addData(text, [...text].every((ch) => ALNUM.includes(ch)) ? "Alphanumeric" : "Byte");
  try {
    qr.make();
  } catch (err) { // the library throws strings: "code length overflow. (...)"
    throw new RangeError(`text too long for a QR code: ${err}`);
  }
  const size = qr.getModuleCount();
  const version = (size - 17) / 4;
  if (version > Math.min(maxVersion, MAX_VERSION)) {
    throw new RangeError(`text too long for a version ${maxVersion} QR code`);
  }
  const modules = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) modules[y * size + x] = qr.isDark(y, x) ? 1 : 0;
  }
  return { version, size, level, modules };
}

/**
 * An SVG drawing of the symbol: black on white, `quiet` light modules all round, one path
 * of horizontal runs with crisp edges (the library's own SVG has neither).
 */
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
