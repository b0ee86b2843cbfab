// GateScan token format v1 on the phone: docs/token-format.md, byte for byte.
// The issuer's 125-byte signed credential, then u32 step, then the holder's
// Ed25519 signature over "GATESCAN/v1/step" ‖ credential ‖ step; the text is
// "GS1:" ‖ Base45 of those 193 bytes.
// The compact v2 code (for gates that already hold the credential): 0x02, the event
// id's low byte, u64 ticket id, u16 serial, the step's low 16 bits, then the holder's
// signature over "GATESCAN/v2/step" ‖ credential ‖ u32 step; "GS2:" ‖ Base45 of 78 bytes.
// Pure functions (no DOM): the page, the service worker and node tests share them.

export const CREDENTIAL_LEN = 125;
export const TOKEN_LEN = 193;
export const TEXT_PREFIX = "GS1:";
const ascii = (text) => new TextEncoder().encode(text);
export const STEP_DOMAIN = ascii("GATESCAN/v1/step");
export const COMPACT_PREFIX = "GS2:";
export const COMPACT_LEN = 78;
export const COMPACT_STEP_DOMAIN = ascii("GATESCAN/v2/step");
export const CLAIM_DOMAIN = ascii("GATESCAN/v1/wallet/claim");
export const STATUS_DOMAIN = ascii("GATESCAN/v1/wallet/status");
export const TRANSFER_DOMAIN = ascii("GATESCAN/v1/wallet/transfer");

const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/** RFC 9285 Base45: two bytes become three characters, a last odd byte two. */
export function base45Encode(bytes) {
  let out = "";
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    let n = bytes[i] * 256 + bytes[i + 1];
    const c = n % 45; n = (n - c) / 45;
    const d = n % 45; const e = (n - d) / 45;
    out += B45[c] + B45[d] + B45[e];
  }
  if (bytes.length % 2) {
    const n = bytes[bytes.length - 1];
    out += B45[n % 45] + B45[Math.floor(n / 45)];
  }
  return out;
}

/** RFC 9285 Base45 decoding; throws RangeError on text that is not Base45. */
export function base45Decode(text) {
  if (text.length % 3 === 1) throw new RangeError("not Base45: bad length");
  const values = Array.from(text, (ch) => {
    const v = B45.indexOf(ch);
    if (v < 0) throw new RangeError("not Base45: bad character");
    return v;
  });
  const out = [];
  for (let i = 0; i < values.length; i += 3) {
    if (i + 2 < values.length) {
      const n = values[i] + values[i + 1] * 45 + values[i + 2] * 2025;
      if (n > 0xffff) throw new RangeError("not Base45: value too large");
      out.push(n >> 8, n & 0xff);
    } else {
      const n = values[i] + values[i + 1] * 45;
      if (n > 0xff) throw new RangeError("not Base45: value too large");
      out.push(n);
    }
  }
  return Uint8Array.from(out);
}

export function hexToBytes(hex) {
  if (!/^(?:[0-9a-f]{2})*$/i.test(hex)) throw new RangeError("not hex");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export function u32(value) {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError("not a u32");
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

/** The time step a phone shows at unix time `seconds` for a rotation `period`. */
export function stepFor(seconds, period) {
  return Math.floor(seconds / period);
}

/** The exact bytes the holder key signs for one step (domain ‖ credential ‖ u32 step). */
export function stepMessage(credential, step) {
  if (credential.length !== CREDENTIAL_LEN) throw new RangeError("a credential has 125 bytes");
  return concat(STEP_DOMAIN, credential, u32(step));
}

/** The token text for one step; `sign(bytes)` resolves to the 64-byte holder signature. */
export async function buildToken(credential, step, sign) {
  const head = concat(credential, u32(step));
  const signature = new Uint8Array(await sign(stepMessage(credential, step)));
  if (signature.length !== 64) throw new RangeError("an Ed25519 signature has 64 bytes");
  return TEXT_PREFIX + base45Encode(concat(head, signature));
}

/** The exact bytes the holder key signs for one step of a compact code. */
export function compactStepMessage(credential, step) {
  if (credential.length !== CREDENTIAL_LEN) throw new RangeError("a credential has 125 bytes");
  return concat(COMPACT_STEP_DOMAIN, credential, u32(step));
}

/** The compact (v2) code text for one step; `sign` as for `buildToken`. */
export async function buildCompactToken(credential, step, sign) {
  const message = compactStepMessage(credential, step);
  const signature = new Uint8Array(await sign(message));
  if (signature.length !== 64) throw new RangeError("an Ed25519 signature has 64 bytes");
  const head = new Uint8Array(14);
  head[0] = 2;
  head[1] = credential[8]; // low byte of the u32 event id at offset 5
  head.set(credential.subarray(9, 17), 2); // ticket id
  head.set(credential.subarray(19, 21), 10); // serial
  new DataView(head.buffer).setUint16(12, step % 65536);
  return COMPACT_PREFIX + base45Encode(concat(head, signature));
}

/** The bytes a holder signs to ask the server about its credential (status, transfer). */
export function requestMessage(domain, credential, at) {
  return concat(domain, credential, u32(at));
}

/** The fields of a signed credential (for display and sanity checks). */
export function readCredential(credential) {
  if (credential.length !== CREDENTIAL_LEN || credential[0] !== 1) {
    throw new RangeError("not a v1 credential");
  }
  const view = new DataView(credential.buffer, credential.byteOffset, credential.length);
  return {
    kid: bytesToHex(credential.subarray(1, 5)),
    eventId: view.getUint32(5),
    ticketId: bytesToHex(credential.subarray(9, 17)),
    typeId: view.getUint16(17),
    serial: view.getUint16(19),
    validFrom: view.getUint32(21),
    validUntil: view.getUint32(25),
    holderKey: bytesToHex(credential.subarray(29, 61)),
  };
}

/** A `sign` function for `buildToken` from a WebCrypto Ed25519 private key. */
export function webCryptoSigner(subtle, privateKey) {
  return (message) => subtle.sign({ name: "Ed25519" }, privateKey, message);
}
