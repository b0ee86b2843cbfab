// The wallet's QR module around the vendored qrcode-generator: mode, version limit, SVG.
// Module-for-module agreement with segno and read-back by zxing/zbar: test_wallet_js.py.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_VERSION, encodeQR, toSvg } from "../../../gatescan/server/wallet/static/qr.js";

const TOKEN = "GS1:" + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".repeat(7).slice(0, 290);

test("a ticket code (GS1: + 290 Base45 characters) is version 10-M, alphanumeric", () => {
  const qr = encodeQR(TOKEN);
  assert.equal(MAX_VERSION, 10);
  assert.equal(qr.version, 10);
  assert.equal(qr.size, 57);
  assert.equal(qr.level, "M");
  assert.equal(qr.modules.length, 57 * 57);
  assert.throws(() => encodeQR(TOKEN + "0".repeat(20)), RangeError); // past 311 characters
  assert.throws(() => encodeQR(TOKEN, { maxVersion: 9 }), RangeError);
  assert.throws(() => encodeQR("A".repeat(5000)), RangeError); // past version 40
  assert.equal(encodeQR("HELLO WORLD").version, 1);
  assert.equal(encodeQR("https://tickets.example.org/wallet/#claim=gsw_" + "a".repeat(43)).version, 6); // 89 bytes
});

test("byte mode is UTF-8: two CJK characters take six bytes", () => {
  // 1-M holds 14 bytes: 8 ASCII + 6 for "票票" fits, one more CJK character does not.
  assert.equal(encodeQR("ticket: 票票", { level: "M" }).version, 1);
  assert.equal(encodeQR("ticket: 票票票", { level: "M" }).version, 2);
});

test("finder patterns, timing and the dark module are where the standard puts them", () => {
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
