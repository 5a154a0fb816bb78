// The device's copy: IndexedDB "popreg-ctv" with kv (device, book, settings) and outbox (entries).
const DB = "popreg-ctv";
let opened = null;

function open() {
  if (!opened) {
    opened = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => {
        const db = req.result;
        db.createObjectStore("kv");
        db.createObjectStore("outbox", { keyPath: "event_id" });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return opened;
}

async function run(store, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    let result;
    Promise.resolve(fn(tx.objectStore(store))).then((r) => { result = r; });
    // Resolve only when the transaction is durable: a saved entry survives a closed tab.
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("aborted"));
  });
}

function req(r) {
  return new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
}

export const kv = {
  get: (key) => run("kv", "readonly", (s) => req(s.get(key))),
  set: (key, value) => run("kv", "readwrite", (s) => { s.put(value, key); }),
};

export const outbox = {
  all: () => run("outbox", "readonly", (s) => req(s.getAll())),
  put: (entry) => run("outbox", "readwrite", (s) => { s.put(entry); }),
  putMany: (entries) => run("outbox", "readwrite", (s) => { for (const e of entries) s.put(e); }),
  get: (id) => run("outbox", "readonly", (s) => req(s.get(id))),
};

// Sign-out: every personal datum on the device goes (the book, the outbox, the credential).
export async function wipe() {
  const db = await open();
  db.close();
  opened = null;
  await new Promise((resolve) => { const r = indexedDB.deleteDatabase(DB); r.onsuccess = r.onerror = r.onblocked = () => resolve(); });
}
