// Reads [[text, level], ...] as JSON on stdin; prints the wallet's symbols as JSON (modules as
// a string of 0/1, row-major) for test_wallet_js.py to compare with segno.
import { readFileSync } from "node:fs";
import { encodeQR } from "../../../gatescan/server/wallet/static/qr.js";

const cases = JSON.parse(readFileSync(0, "utf8"));
const out = cases.map(([text, level]) => {
  try {
    const qr = encodeQR(text, { level });
    return { version: qr.version, size: qr.size, level: qr.level, modules: Array.from(qr.modules).join("") };
  } catch (err) {
    return { error: String(err) };
  }
});
process.stdout.write(JSON.stringify(out));
