// The phone's own storage (IndexedDB): tickets with their non-extractable CryptoKey,
// claims in progress (so a lost answer is retried with the same key), settings.

const DB_NAME = "gatescan-wallet";
const DB_VERSION = 1;
export const TICKETS = "tickets";
export const PENDING = "pending";
export const META = "meta";

let opened = null;

function open() {
  if (!opened) {
    opened = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains(TICKETS)) db.createObjectStore(TICKETS, { keyPath: "id" });
        if (!db.objectStoreNames.contains(PENDING)) db.createObjectStore(PENDING, { keyPath: "token" });
        if (!db.objectStoreNames.contains(META)) db.createObjectStore(META, { keyPath: "key" });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return opened;
}

async function run(store, mode, action) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const req = action(tx.objectStore(store));
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export const get = (store, key) => run(store, "readonly", (s) => s.get(key));
export const all = (store) => run(store, "readonly", (s) => s.getAll());
export const put = (store, value) => run(store, "readwrite", (s) => s.put(value));
export const remove = (store, key) => run(store, "readwrite", (s) => s.delete(key));

export async function getMeta(key, fallback) {
  const row = await get(META, key);
  return row === undefined ? fallback : row.value;
}

export const setMeta = (key, value) => put(META, { key, value });
