// The phone's token code against the shared vectors (tests/protocol/vectors.json), byte for
// byte, signing with node's Ed25519 from the vectors' seeds. Run by test_wallet_js.py.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createPrivateKey, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  COMPACT_LEN, COMPACT_PREFIX, COMPACT_STEP_DOMAIN, CREDENTIAL_LEN, STATUS_DOMAIN, STEP_DOMAIN,
  TEXT_PREFIX, base45Decode, base45Encode, buildCompactToken, buildToken, bytesToHex,
  compactStepMessage, concat, hexToBytes, readCredential, requestMessage, stepFor, stepMessage, u32,
} from "../../../gatescan/server/wallet/static/token.js";

const vectorText = readFileSync(new URL("../../protocol/vectors.json", import.meta.url), "utf8");
const vectors = JSON.parse(vectorText);
// Ticket ids go up to 2^63 - 1, past a JS number: take their digits from the text.
const ticketIds = [...vectorText.matchAll(/"ticket_id":\s*(\d+)/g)].map((m) => BigInt(m[1]));
const PKCS8_ED25519 = "302e020100300506032b657004220420";

function signer(seedHex) {
  const key = createPrivateKey({ key: Buffer.from(PKCS8_ED25519 + seedHex, "hex"), format: "der", type: "pkcs8" });
  return async (message) => new Uint8Array(sign(null, message, key));
}

async function credentialOf(v, ticketId) {
  const body = new Uint8Array(61);
  const view = new DataView(body.buffer);
  body[0] = 1;
  body.set(hexToBytes(v.kid), 1);
  view.setUint32(5, v.event_id);
  view.setBigUint64(9, ticketId);
  view.setUint16(17, v.type_id);
  view.setUint16(19, v.serial);
  view.setUint32(21, v.valid_from);
  view.setUint32(25, v.valid_until);
  body.set(hexToBytes(v.holder_public), 29);
  const issuerSig = await signer(v.issuer_seed)(concat(new TextEncoder().encode("GATESCAN/v1/credential"), body));
  return concat(body, issuerSig);
}

test("the shared vectors: same text and bytes as the Python issuer and gate", async () => {
  assert.ok(vectors.length >= 3);
  assert.equal(ticketIds.length, vectors.length);
  for (const [i, v] of vectors.entries()) {
    assert.equal(createHash("sha256").update(hexToBytes(v.issuer_public)).digest("hex").slice(0, 8), v.kid);
    const credential = await credentialOf(v, ticketIds[i]);
    assert.equal(bytesToHex(credential), v.token_hex.slice(0, CREDENTIAL_LEN * 2));
    const step = stepFor(v.unix_time, v.period);
    assert.equal(step, v.step);
    const text = await buildToken(credential, step, signer(v.holder_seed));
    assert.equal(text, v.token_text);
    assert.ok(text.startsWith(TEXT_PREFIX));
    assert.equal(bytesToHex(base45Decode(text.slice(TEXT_PREFIX.length))), v.token_hex);
    const fields = readCredential(credential);
    assert.equal(fields.eventId, v.event_id);
    assert.equal(BigInt("0x" + fields.ticketId), ticketIds[i]);
    assert.deepEqual([fields.typeId, fields.serial, fields.validFrom, fields.validUntil, fields.holderKey, fields.kid],
      [v.type_id, v.serial, v.valid_from, v.valid_until, v.holder_public, v.kid]);
  }
});

test("the compact (v2) vectors: same text and bytes as the Python phone", async () => {
  for (const v of vectors) {
    const credential = hexToBytes(v.token_hex.slice(0, CREDENTIAL_LEN * 2));
    const text = await buildCompactToken(credential, v.step, signer(v.holder_seed));
    assert.equal(text, v.compact_text);
    assert.equal(text.length, 121);
    assert.ok(text.startsWith(COMPACT_PREFIX));
    const raw = base45Decode(text.slice(COMPACT_PREFIX.length));
    assert.equal(raw.length, COMPACT_LEN);
    assert.equal(bytesToHex(raw), v.compact_hex);
  }
});

test("the compact code signs domain ‖ credential ‖ u32 step and carries the low 16 bits", async () => {
  const credential = Uint8Array.from({ length: CREDENTIAL_LEN }, (_, i) => i);
  let seen = null;
  const text = await buildCompactToken(credential, 0x01020304, async (m) => { seen = m; return new Uint8Array(64).fill(9); });
  assert.deepEqual(seen, concat(COMPACT_STEP_DOMAIN, credential, Uint8Array.of(1, 2, 3, 4)));
  assert.deepEqual(compactStepMessage(credential, 0x01020304), seen);
  const raw = base45Decode(text.slice(COMPACT_PREFIX.length));
  assert.deepEqual(raw.subarray(0, 14), concat(Uint8Array.of(2, 8), credential.subarray(9, 17),
    credential.subarray(19, 21), Uint8Array.of(3, 4)));
  assert.ok(raw.subarray(14).every((b) => b === 9));
  await assert.rejects(buildCompactToken(new Uint8Array(124), 1, async () => new Uint8Array(64)), RangeError);
  await assert.rejects(buildCompactToken(credential, 1, async () => new Uint8Array(63)), RangeError);
  await assert.rejects(buildCompactToken(credential, 2 ** 32, async () => new Uint8Array(64)), RangeError);
});

test("the holder signs exactly domain ‖ credential ‖ u32 step", async () => {
  const credential = Uint8Array.from({ length: CREDENTIAL_LEN }, (_, i) => i);
  let seen = null;
  const text = await buildToken(credential, 0x01020304, async (m) => { seen = m; return new Uint8Array(64).fill(7); });
  assert.deepEqual(seen, concat(STEP_DOMAIN, credential, Uint8Array.of(1, 2, 3, 4)));
  assert.deepEqual(stepMessage(credential, 0x01020304), seen);
  const raw = base45Decode(text.slice(TEXT_PREFIX.length));
  assert.equal(raw.length, 193);
  assert.deepEqual(raw.subarray(125, 129), Uint8Array.of(1, 2, 3, 4));
  assert.ok(raw.subarray(129).every((b) => b === 7));
  assert.deepEqual(requestMessage(STATUS_DOMAIN, credential, 5), concat(STATUS_DOMAIN, credential, u32(5)));
});

test("refuses what is not a credential, a step or a signature", async () => {
  await assert.rejects(buildToken(new Uint8Array(124), 1, async () => new Uint8Array(64)), RangeError);
  await assert.rejects(buildToken(new Uint8Array(125), 1, async () => new Uint8Array(63)), RangeError);
  await assert.rejects(buildToken(new Uint8Array(125), -1, async () => new Uint8Array(64)), RangeError);
  await assert.rejects(buildToken(new Uint8Array(125), 2 ** 32, async () => new Uint8Array(64)), RangeError);
  assert.throws(() => readCredential(new Uint8Array(125)), RangeError);
  assert.throws(() => hexToBytes("abc"), RangeError);
  assert.throws(() => hexToBytes("zz"), RangeError);
});

test("Base45 follows RFC 9285 (its examples) and round-trips", () => {
  const ascii = (s) => new TextEncoder().encode(s);
  assert.equal(base45Encode(ascii("AB")), "BB8");
  assert.equal(base45Encode(ascii("Hello!!")), "%69 VD92EX0");
  assert.equal(base45Encode(ascii("base-45")), "UJCLQE7W581");
  assert.deepEqual(base45Decode("QED8WEX0"), ascii("ietf!"));
  for (let n = 0; n < 64; n++) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97 + n * 31) & 0xff);
    assert.deepEqual(base45Decode(base45Encode(bytes)), bytes);
  }
  assert.deepEqual(base45Decode(base45Encode(Uint8Array.of(255, 255))), Uint8Array.of(255, 255));
  for (const bad of ["GGW", "A", "ab", "::::", "ZZZ"]) assert.throws(() => base45Decode(bad), RangeError);
});

test("time steps: floor(unix time / period)", () => {
  assert.equal(stepFor(0, 30), 0);
  assert.equal(stepFor(29.999, 30), 0);
  assert.equal(stepFor(30, 30), 1);
  assert.equal(stepFor(1790000029, 15), 119333335);
});
