// Both languages say everything, with the same placeholders; the page asks only for known keys.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { KEYS, LANGUAGES, initialLanguage, setLanguage, t } from "../../../gatescan/server/wallet/static/i18n.js";

const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const page = (name) => readFileSync(new URL(`../../../gatescan/server/wallet/static/${name}`, import.meta.url), "utf8");

test("English and Simplified Chinese have the same keys and placeholders", () => {
  assert.deepEqual(LANGUAGES, ["en", "zh"]);
  assert.deepEqual(Object.keys(KEYS.zh).sort(), Object.keys(KEYS.en).sort());
  for (const key of Object.keys(KEYS.en)) {
    assert.deepEqual(placeholders(KEYS.zh[key]), placeholders(KEYS.en[key]), key);
    assert.ok(KEYS.zh[key].trim() && KEYS.en[key].trim(), key);
  }
  assert.match(KEYS.zh.transfer, /[\u4e00-\u9fff]/);
});

test("every key the page and app use exists", () => {
  const used = new Set([
    ...[...page("index.html").matchAll(/data-i18n="(\w+)"/g)].map((m) => m[1]),
    ...[...page("app.js").matchAll(/\bt\("(\w+)"/g)].map((m) => m[1]),
  ]);
  assert.ok(used.size > 20);
  for (const key of used) assert.ok(key in KEYS.en, key);
});

test("language choice: stored first, then any zh-* browser language", () => {
  assert.equal(initialLanguage(null, ["zh-TW", "en"]), "zh");
  assert.equal(initialLanguage(null, ["en-GB", "zh-CN"]), "zh");
  assert.equal(initialLanguage(null, ["fr"]), "en");
  assert.equal(initialLanguage("en", ["zh-CN"]), "en");
  assert.equal(initialLanguage("xx", []), "en");
  setLanguage("zh");
  assert.equal(t("next_code", { s: 7 }), "7 秒后更新二维码");
  setLanguage("en");
  assert.equal(t("next_code", { s: 7 }), "New code in 7 s");
  assert.equal(t("no_such_key"), "no_such_key");
});
