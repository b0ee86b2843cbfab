// The wallet's QR encoder: tables, Reed-Solomon, version choice, masks, SVG drawing.
// Module-for-module agreement with segno is checked by test_wallet_qr.py.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  MAX_VERSION, alignmentPositions, dataCapacity, encodeQR, penalty, rsDivisor, rsRemainder, toSvg,
} from "../../../server_stub/wallet/static/qr.js";

const TOKEN = "GS1:" + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".repeat(7).slice(0, 290);

test("data capacity per version at each level (ISO/IEC 18004 table 7)", () => {
  const m = [16, 28, 44, 64, 86, 108, 124, 154, 182, 216];
  const l = [19, 34, 55, 80, 108, 136, 156, 194, 232, 274];
  const h = [9, 16, 26, 36, 46, 60, 66, 86, 100, 122];
  for (let v = 1; v <= MAX_VERSION; v++) {
    assert.equal(dataCapacity(v, "M"), m[v - 1]);
    assert.equal(dataCapacity(v, "L"), l[v - 1]);
    assert.equal(dataCapacity(v, "H"), h[v - 1]);
  }
});

test("alignment pattern centres", () => {
  assert.deepEqual(alignmentPositions(1), []);
  assert.deepEqual(alignmentPositions(2), [6, 18]);
  assert.deepEqual(alignmentPositions(6), [6, 34]);
  assert.deepEqual(alignmentPositions(7), [6, 22, 38]);
  assert.deepEqual(alignmentPositions(10), [6, 28, 50]);
});

test("Reed-Solomon: the standard's version 1-M example", () => {
  // ISO/IEC 18004 annex I: "01234567" at 1-M.
  const data = [0x10, 0x20, 0x0c, 0x56, 0x61, 0x80, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11];
  assert.deepEqual(rsRemainder(data, rsDivisor(10)), [0xa5, 0x24, 0xd4, 0xc1, 0xed, 0x36, 0xc7, 0x87, 0x2c, 0x55]);
});

test("a ticket code (GS1: + 290 Base45 characters) is version 10-M, alphanumeric", () => {
  const qr = encodeQR(TOKEN);
  assert.equal(qr.version, 10);
  assert.equal(qr.size, 57);
  assert.equal(qr.level, "M");
  assert.equal(qr.modules.length, 57 * 57);
  assert.throws(() => encodeQR(TOKEN + "0".repeat(20)), RangeError); // past 311 characters
  assert.throws(() => encodeQR(TOKEN, { maxVersion: 9 }), RangeError);
  assert.equal(encodeQR("HELLO WORLD").version, 1);
  assert.equal(encodeQR("https://tickets.example.org/wallet/#claim=gsw_" + "a".repeat(43)).version, 6); // 89 bytes
});

test("finder patterns, timing, dark module and the chosen mask is the least penalised", () => {
  const qr = encodeQR(TOKEN);
  const n = qr.size;
  const at = (x, y) => qr.modules[y * n + x];
  for (const [ox, oy] of [[0, 0], [n - 7, 0], [0, n - 7]]) {
    for (let i = 0; i < 7; i++) {
      assert.equal(at(ox + i, oy), 1);
      assert.equal(at(ox, oy + i), 1);
    }
    assert.equal(at(ox + 1, oy + 1), 0);
    assert.equal(at(ox + 3, oy + 3), 1);
  }
  for (let i = 8; i < n - 8; i++) assert.equal(at(i, 6), i % 2 === 0 ? 1 : 0);
  assert.equal(at(8, n - 8), 1);
  const scores = [0, 1, 2, 3, 4, 5, 6, 7].map((mask) => {
    const forced = encodeQR(TOKEN, { mask });
    assert.equal(forced.mask, mask);
    return penalty(forced.modules, forced.size);
  });
  assert.equal(scores[qr.mask], Math.min(...scores));
});

test("SVG: black on white, the quiet zone around, one path", () => {
  const qr = encodeQR("HELLO WORLD");
  const svg = toSvg(qr, { quiet: 6 });
  assert.match(svg, /^<svg [^>]*viewBox="0 0 33 33"/);
  assert.match(svg, /shape-rendering="crispEdges"/);
  assert.match(svg, /<rect width="33" height="33" fill="#fff"\/>/);
  assert.equal((svg.match(/<path /g) || []).length, 1);
  const runs = [...svg.matchAll(/M(\d+) (\d+)h(\d+)/g)].map((m) => m.slice(1).map(Number));
  assert.ok(runs.length > 0);
  for (const [x, y, len] of runs) {
    assert.ok(x >= 6 && y >= 6 && x + len <= 27 && y < 27);
  }
  const dark = runs.reduce((s, r) => s + r[2], 0);
  assert.equal(dark, qr.modules.reduce((s, b) => s + b, 0));
});

test("refuses unknown levels", () => {
  assert.throws(() => encodeQR("A", { level: "X" }), RangeError);
});
