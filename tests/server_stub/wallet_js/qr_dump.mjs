// Reads [[text, level, mask|null], ...] as JSON on stdin; prints the encoder's symbols as JSON
// (modules as a string of 0/1, row-major) for test_wallet_qr.py to compare with segno.
import { readFileSync } from "node:fs";
import { encodeQR } from "../../../server_stub/wallet/static/qr.js";

const cases = JSON.parse(readFileSync(0, "utf8"));
const out = cases.map(([text, level, mask]) => {
  try {
    const qr = encodeQR(text, { level, mask });
    return { version: qr.version, size: qr.size, mask: qr.mask, modules: Array.from(qr.modules).join("") };
  } catch (err) {
    return { error: String(err) };
  }
});
process.stdout.write(JSON.stringify(out));
