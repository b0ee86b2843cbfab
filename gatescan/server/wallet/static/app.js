// The wallet page: claims a ticket with a key made on this phone, then shows the
// rotating code, signed here every period. The private key is a non-extractable
// WebCrypto key kept in IndexedDB: it never leaves the phone. docs/wallet.md.

import {
  CLAIM_DOMAIN, STATUS_DOMAIN, TRANSFER_DOMAIN, buildCompactToken, buildToken, bytesToHex, concat, hexToBytes,
  requestMessage, stepFor, webCryptoSigner,
} from "./token.js";
import { encodeQR, toSvg } from "./qr.js";
import { initialLanguage, language, setLanguage, storedLanguage, t, translatePage } from "./i18n.js";
import * as db from "./store.js";

const QUIET_ZONE = 6;
const STATUS_EVERY_MS = 30_000;
const $ = (id) => document.getElementById(id);
const subtle = globalThis.crypto?.subtle;
const state = { tickets: [], currentId: null, offset: 0, shown: { id: null, step: null, form: null }, timer: null, firstCode: false, full: false };

// ---- time: the phone's clock corrected by what the server said last time ---------

function now() {
  return Date.now() / 1000 + state.offset;
}

function learnOffset(serverTime, sentMs, receivedMs) {
  if (!Number.isFinite(serverTime)) return;
  state.offset = serverTime - (sentMs + receivedMs) / 2000;
  db.setMeta("offset", state.offset).catch(() => {});
}

async function post(path, body) {
  const sent = Date.now();
  let res;
  try {
    res = await fetch(path, {
      method: "POST", cache: "no-store", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    return { ok: false, network: true };
  }
  const received = Date.now();
  const header = Number(res.headers.get("X-Gatescan-Server-Time"));
  learnOffset(header, sent, received);
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  return { ok: res.ok, status: res.status, data, code: data?.error?.code ?? String(res.status) };
}

// ---- screens --------------------------------------------------------------------

function show(id) {
  for (const el of document.querySelectorAll(".screen")) el.hidden = el.id !== id;
}

function message(title, text, retry = null) {
  $("msg-title").textContent = title;
  $("msg-text").textContent = text;
  $("msg-retry").hidden = !retry;
  $("msg-retry").onclick = retry;
  show("screen-message");
}

/** "YYYY-MM-DD HH:MM" in the event's IANA zone (daylight saving included). */
function whenInZone(ts, tz) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
    minute: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date(ts * 1000)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

function when(ts, f) {
  if (f.tz) return whenInZone(ts, f.tz);
  const tzMinutes = f.tz_offset_minutes || 0;  // an event from before zone names
  return new Date((ts + tzMinutes * 60) * 1000).toISOString().slice(0, 16).replace("T", " ");
}

function zone(f) {
  if (f.tz) return f.tz;
  const tz = f.tz_offset_minutes || 0;
  const sign = tz < 0 ? "−" : "+";
  const h = Math.floor(Math.abs(tz) / 60);
  const m = Math.abs(tz) % 60;
  return `UTC${sign}${h}${m ? `:${String(m).padStart(2, "0")}` : ""}`;
}

/** A time range in the event's local time, with its zone. */
function span(from, until, f) {
  const a = when(from, f);
  const b = when(until, f);
  const range = a.slice(0, 10) === b.slice(0, 10) ? `${a}–${b.slice(11)}` : `${a} – ${b}`;
  return `${range} (${zone(f)})`;
}

/** The ticket number as people read it: 16 hex digits in groups of four. */
function grouped(ticketId) {
  return ticketId.match(/.{1,4}/g).join(" ");
}

function current() {
  return state.tickets.find((x) => x.id === state.currentId) || null;
}

function renderTicket() {
  const ticket = current();
  if (!ticket) {
    message(t("none_title"), t("none_text"));
    return;
  }
  const f = ticket.facts;
  $("event-name").textContent = f.event_name;
  $("type-name").textContent = f.type_name;
  $("slot-row").hidden = f.slot_start == null;
  if (f.slot_start != null) $("slot").textContent = span(f.slot_start, f.slot_end, f);
  $("seat-row").hidden = !f.seat;
  $("seat").textContent = f.seat || "";
  $("valid").textContent = span(f.valid_from, f.valid_until, f);
  $("ticket-number").textContent = grouped(f.ticket_id);
  $("number-copy").textContent = t("copy_number");
  $("number-copy").onclick = async () => {
    try {
      await navigator.clipboard.writeText(f.ticket_id);
      $("number-copy").textContent = t("copied");
    } catch {
      getSelection().selectAllChildren($("ticket-number"));  // no clipboard: select it to copy
    }
  };
  const gone = ticket.state === "superseded" || ticket.state === "revoked";
  $("code-area").hidden = gone;
  // A used ticket: say when and where, and offer no transfer (the friend could not get in).
  const used = ticket.used || null;
  $("used").hidden = gone || !used;
  $("used").textContent = used && !gone
    ? t("used", { gate: used.gate, when: when(used.at, f) }) : "";
  $("transfer").hidden = gone || Boolean(used);
  $("gone").hidden = !gone;
  $("gone-text").textContent = gone ? t(ticket.state) : "";
  $("pending").hidden = gone || !ticket.transferPending;
  $("net").hidden = navigator.onLine;
  const tabs = $("tabs");
  tabs.hidden = state.tickets.length < 2;
  tabs.replaceChildren(...state.tickets.map((x) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = `${x.facts.type_name}${x.facts.seat ? ` · ${x.facts.seat}` : ""}`;
    b.setAttribute("aria-current", String(x.id === ticket.id));
    b.onclick = () => { state.currentId = x.id; db.setMeta("current", x.id); state.shown = { id: null, step: null }; state.full = false; renderTicket(); };
    return b;
  }));
  show("screen-ticket");
  if (gone) {
    $("qr").replaceChildren();
    state.shown = { id: null, step: null };
  } else {
    tick();
  }
}

// ---- the rotating code -------------------------------------------------------------

let drawing = null;

// The short code (v2) only once the server said every gate holds this credential
// (`compact_ready`); the full code (v1) otherwise, or when the person asks for it.
function codeForm(ticket) {
  return ticket.compactReady && !state.full ? "v2" : "v1";
}

async function drawCode(ticket, step, form) {
  const build = form === "v2" ? buildCompactToken : buildToken;
  const token = await build(hexToBytes(ticket.credential), step, webCryptoSigner(subtle, ticket.privateKey));
  const qr = encodeQR(token, { level: "M", maxVersion: 10 });
  const box = $("qr");
  box.innerHTML = toSvg(qr, { quiet: QUIET_ZONE });
  box.dataset.step = String(step);
  box.dataset.ticket = ticket.id;
  box.dataset.form = form;
  box.dataset.version = String(qr.version ?? "");
  box.setAttribute("aria-label", `${ticket.facts.type_name} ${ticket.id}`);
  state.shown = { id: ticket.id, step, form };
  if (!state.firstCode) {
    state.firstCode = true;
    performance.mark("gatescan-first-code");
  }
}

function tick() {
  clearTimeout(state.timer);
  const ticket = current();
  if (!ticket || ticket.state === "superseded" || ticket.state === "revoked") return;
  const period = ticket.facts.rotation_period;
  const t0 = now();
  const step = stepFor(t0, period);
  const form = codeForm(ticket);
  $("form-row").hidden = !ticket.compactReady;
  $("full-code").textContent = t(state.full ? "short_code" : "full_code");
  if (!drawing && (state.shown.id !== ticket.id || state.shown.step !== step || state.shown.form !== form)) {
    drawing = drawCode(ticket, step, form).catch((err) => {
      console.error("cannot sign the code", err);
      message(t("unsupported_title"), t("unsupported_text"));
    }).finally(() => { drawing = null; });
  }
  const left = (step + 1) * period - t0;
  $("countdown").textContent = t("next_code", { s: Math.max(1, Math.ceil(left)) });
  $("bar-fill").style.width = `${Math.max(0, Math.min(100, (left / period) * 100))}%`;
  const toNextSecond = 1000 - ((t0 * 1000) % 1000);
  state.timer = setTimeout(tick, Math.max(50, Math.min(toNextSecond, left * 1000) + 20));
}

// ---- claiming --------------------------------------------------------------------

function claimErrorText(code) {
  const known = { claim_used: "claim_used", claim_expired: "claim_expired", claim_unknown: "claim_unknown",
    claim_stale: "claim_stale", revoked: "claim_revoked" };
  return known[code] ? t(known[code]) : t("server_error", { code });
}

async function claim(token) {
  const mine = state.tickets.find((x) => x.claim === token);
  if (mine) { // this phone opened its own (used) link again: just show the ticket
    state.currentId = mine.id;
    return true;
  }
  show("screen-loading");
  $("loading-text").textContent = t("claiming");
  let pending = await db.get(db.PENDING, token);
  if (!pending) {
    const keys = await subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    const publicKey = bytesToHex(new Uint8Array(await subtle.exportKey("raw", keys.publicKey)));
    pending = { token, privateKey: keys.privateKey, publicKey, created: Date.now() };
    await db.put(db.PENDING, pending);
  }
  const proof = new Uint8Array(await subtle.sign({ name: "Ed25519" }, pending.privateKey,
    concat(CLAIM_DOMAIN, new TextEncoder().encode(token))));
  const res = await post("/api/v1/wallet/claim", { claim: token, holder_public_key: pending.publicKey, proof: bytesToHex(proof) });
  if (res.network || res.status >= 500) {
    const retry = async () => { if (await claim(token)) renderTicket(); };
    message(t("claim_failed"), res.network ? t("network") : t("server_error", { code: res.code }), retry);
    return false;
  }
  if (!res.ok) {
    await db.remove(db.PENDING, token);
    message(t("claim_failed"), claimErrorText(res.code));
    return false;
  }
  const ticket = {
    id: res.data.ticket.ticket_id, credential: res.data.credential, facts: res.data.ticket,
    privateKey: pending.privateKey, publicKey: pending.publicKey, state: "current",
    transferPending: false, claimedAt: Date.now(), claim: token,
  };
  await db.put(db.TICKETS, ticket);
  await db.remove(db.PENDING, token);
  await db.setMeta("current", ticket.id);
  state.tickets = (await db.all(db.TICKETS)).sort((a, b) => a.claimedAt - b.claimedAt);
  state.currentId = ticket.id;
  return true;
}

// ---- status and transfer (requests signed by the holder key) ----------------------

async function signedRequest(path, domain, ticket) {
  const attempt = async () => {
    const at = Math.floor(now());
    const credential = hexToBytes(ticket.credential);
    const signature = new Uint8Array(await subtle.sign({ name: "Ed25519" }, ticket.privateKey,
      requestMessage(domain, credential, at)));
    return post(path, { credential: ticket.credential, at, signature: bytesToHex(signature) });
  };
  const res = await attempt();
  // A wrong phone clock: the answer taught us the server's time, so ask once more.
  return res.code === "bad_time" ? attempt() : res;
}

async function refreshStatus() {
  const ticket = current();
  if (!ticket || !navigator.onLine || ticket.state !== "current") return;
  const res = await signedRequest("/api/v1/wallet/status", STATUS_DOMAIN, ticket);
  if (!res.ok) return;
  const seen = () => JSON.stringify([ticket.state, ticket.transferPending, ticket.facts, ticket.used, ticket.compactReady]);
  const before = seen();
  ticket.state = res.data.state;
  ticket.transferPending = res.data.transfer_pending;
  ticket.used = res.data.used ?? null;
  ticket.compactReady = res.data.compact_ready === true;
  if (res.data.state === "current") ticket.facts = res.data.ticket;
  if (seen() !== before) {
    await db.put(db.TICKETS, ticket);
    state.shown = { id: null, step: null };
    renderTicket();
  }
}

function ask(text, yesLabel) {
  return new Promise((resolve) => {
    const dialog = $("confirm-dialog");
    $("confirm-text").textContent = text;
    $("confirm-yes").textContent = yesLabel;
    $("confirm-yes").onclick = () => { dialog.close(); resolve(true); };
    $("confirm-no").onclick = () => { dialog.close(); resolve(false); };
    dialog.showModal();
  });
}

async function transfer() {
  const ticket = current();
  if (!ticket || !(await ask(t("transfer_confirm"), t("make_link")))) return;
  const res = await signedRequest("/api/v1/wallet/transfer", TRANSFER_DOMAIN, ticket);
  if (!res.ok) {
    const reason = res.network ? t("network") : res.code === "superseded" ? t("superseded")
      : res.code === "revoked" ? t("revoked") : res.code === "ticket_used" ? t("used_no_transfer")
      : t("server_error", { code: res.code });
    await ask(t("transfer_failed", { reason }), t("close"));
    if (res.code === "ticket_used") {
      await refreshStatus();
    } else if (res.code === "superseded" || res.code === "revoked") {
      ticket.state = res.code;
      await db.put(db.TICKETS, ticket);
      renderTicket();
    }
    return;
  }
  ticket.transferPending = true;
  await db.put(db.TICKETS, ticket);
  const url = res.data.url;
  $("link-qr").innerHTML = toSvg(encodeQR(url, { level: "M", maxVersion: 10 }), { quiet: 4 });
  $("link-text").value = url;
  $("link-copy").textContent = t("copy");
  $("link-share").hidden = !navigator.share;
  $("transfer-dialog").showModal();
  renderTicket();
}

// ---- start-up ---------------------------------------------------------------------

function claimFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("claim");
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  return token && /^gsw_[A-Za-z0-9_-]{43}$/.test(token) ? token : null;
}

async function keepAwake() {
  try { await navigator.wakeLock?.request("screen"); } catch { /* not allowed: fine */ }
}

function wire() {
  $("lang").onclick = () => {
    setLanguage(language() === "en" ? "zh" : "en", true);
    translatePage(document);
    $("lang").textContent = t("other_language");
    if (current()) renderTicket();
  };
  $("transfer").onclick = () => transfer();
  $("full-code").onclick = () => { state.full = !state.full; tick(); };
  $("remove").onclick = async () => {
    const ticket = current();
    if (!ticket || !(await ask(t("remove_confirm"), t("remove")))) return;
    await db.remove(db.TICKETS, ticket.id);
    state.tickets = state.tickets.filter((x) => x.id !== ticket.id);
    state.currentId = state.tickets.length ? state.tickets[state.tickets.length - 1].id : null;
    renderTicket();
  };
  $("link-close").onclick = () => $("transfer-dialog").close();
  $("link-copy").onclick = async () => {
    try { await navigator.clipboard.writeText($("link-text").value); $("link-copy").textContent = t("copied"); } catch { $("link-text").select(); }
  };
  $("link-share").onclick = () => navigator.share?.({ url: $("link-text").value }).catch(() => {});
  window.addEventListener("online", () => { $("net").hidden = true; refreshStatus(); });
  window.addEventListener("offline", () => { $("net").hidden = false; });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") { tick(); keepAwake(); refreshStatus(); }
  });
  setInterval(() => { if (document.visibilityState === "visible") refreshStatus(); }, STATUS_EVERY_MS);
}

async function main() {
  setLanguage(initialLanguage(storedLanguage(), navigator.languages));
  translatePage(document);
  $("lang").textContent = t("other_language");
  wire();
  if (!window.isSecureContext || !subtle || !window.indexedDB) {
    message(t("unsupported_title"), window.isSecureContext ? t("unsupported_text") : t("insecure_text"));
    return;
  }
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("sw.js", { scope: "./" }).catch((err) => console.warn("no offline copy", err));
  }
  state.offset = await db.getMeta("offset", 0);
  state.tickets = (await db.all(db.TICKETS)).sort((a, b) => a.claimedAt - b.claimedAt);
  const chosen = await db.getMeta("current", null);
  state.currentId = state.tickets.some((x) => x.id === chosen) ? chosen : state.tickets.at(-1)?.id ?? null;
  // A claim whose answer was lost (closed page, dead network) is finished with the same key.
  const token = claimFromFragment() ?? (await db.all(db.PENDING)).at(0)?.token ?? null;
  if (token) {
    try {
      if (!(await claim(token))) return;
    } catch (err) {
      console.error("claim failed", err);
      message(t("unsupported_title"), t("unsupported_text"));
      return;
    }
  }
  renderTicket();
  keepAwake();
  refreshStatus();
}

main();
