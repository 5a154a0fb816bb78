// The outbox: every saved entry stays on the device until the gateway answered for it; sending
// is automatic, retried with backoff, safe to repeat (a resent event_id answers "duplicate").
import { kv, outbox } from "./store.js";
import { buildModel, conflicts, OPEN } from "./model.js";

const BATCH = 200;           // entries per request; a 413 halves it
const POLL_MS = 4000;        // statuses while some entry waits for the register
const HELD_POLL_MS = 30000;  // while some entry waits for the commune officer
const MAX_BACKOFF_MS = 60000;

export class Sender {
  constructor(app) {
    this.app = app;          // token(), onChange(), onRevoked(), syncBook()
    this.failures = 0;
    this.timer = null;
    this.busy = false;
    this.lastError = null;
    addEventListener("online", () => this.kick(true));
  }

  kick(resync = false) {
    if (resync) this.needSync = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pump(), 0);
  }

  later(ms) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pump(), ms);
  }

  async pump() {
    if (this.busy) { this.again = true; return; }
    this.busy = true;
    try {
      if (!navigator.onLine || !this.app.token()) return;  // offline, or signed out
      if (this.needSync) { await this.app.syncBook(); this.needSync = false; }
      await this.sendWaiting();
      const open = await this.pollStatuses();
      this.failures = 0;
      this.lastError = null;
      // Sent entries hear from the register within seconds; held ones wait for a person (the desk).
      if (open === "sent") this.later(POLL_MS);
      else if (open === "held") this.later(HELD_POLL_MS);
    } catch (err) {
      if (err && err.revoked) { this.app.onRevoked(); return; }
      this.failures += 1;
      this.lastError = String(err && err.message || err);
      // 1 s, 2 s, 4 s … up to a minute, with jitter so a commune's phones do not come back in step.
      const ms = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.failures - 1)) * (0.75 + Math.random() / 2);
      this.later(ms);
    } finally {
      this.busy = false;
      this.app.onChange();
      if (this.again) { this.again = false; this.kick(); }
    }
  }

  async post(path, body) {
    return fetch(path, { method: "POST", body: JSON.stringify(body),
                         headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.app.token()}` } });
  }

  async sendWaiting() {
    const entries = (await outbox.all()).filter((e) => e.state === "waiting").sort((a, b) => a.seq - b.seq);
    for (let i = 0; i < entries.length; i += BATCH) await this.sendBatch(entries.slice(i, i + BATCH));
  }

  async sendBatch(entries) {
    if (!entries.length) return;
    const envelopes = entries.flatMap((e) => e.envelopes.map((env) => {
      const { main, ...rest } = env;  // eslint-disable-line no-unused-vars
      return rest;
    }));
    const r = await this.post("/v1/submissions", envelopes);
    if (r.status === 413) {
      if (entries.length === 1) return this.answer(entries, null, "too_large");
      const half = Math.ceil(entries.length / 2);
      await this.sendBatch(entries.slice(0, half));
      return this.sendBatch(entries.slice(half));
    }
    if (r.status === 401) throw Object.assign(new Error("revoked"), { revoked: true });
    if (r.status !== 200 && r.status !== 403) throw new Error(`gateway ${r.status}`);  // 503, 5xx: retry later
    const body = await r.json();
    return this.answer(entries, body.results);
  }

  async answer(entries, results, whole = null) {
    const by = new Map((results || []).map((x) => [x.event_id, x]));
    const now = new Date().toISOString();
    for (const e of entries) {
      const errors = [];
      for (const env of e.envelopes) {
        const x = by.get(env.event_id);
        if (whole) errors.push({ loc: "", msg: whole });
        else if (!x) errors.push({ loc: "", msg: "no_answer" });
        else if (x.status === "invalid") errors.push(...x.errors);
      }
      Object.assign(e, errors.length ? { state: "refused", errors, answered_at: now } : { state: "sent", answered_at: now });
    }
    await outbox.putMany(entries);
  }

  // What the register made of each sent entry; "sent" or "held" while some entry still waits.
  async pollStatuses() {
    const entries = (await outbox.all()).filter((e) => ["sent", "held"].includes(e.state));
    const all = await outbox.all();
    const conflictsNow = all.filter((e) => e.state === "conflict").length;
    const ids = entries.flatMap((e) => e.envelopes.map((env) => env.event_id));
    const r = await this.post("/ctv/api/status", { event_ids: ids.slice(0, 5000), conflicts: conflictsNow });
    if (r.status === 401) throw Object.assign(new Error("revoked"), { revoked: true });
    if (!r.ok) throw new Error(`status ${r.status}`);
    const { statuses } = await r.json();
    const changed = [];
    for (const e of entries) {
      const states = e.envelopes.map((env) => statuses[env.event_id] || { state: "unknown" });
      const held = states.find((s) => s.state === "held");
      let next = e.state;
      if (held) next = "held";
      else if (states.every((s) => s.state === "accepted")) next = "accepted";
      if (next !== e.state || (held && held.reason !== e.reason)) {
        Object.assign(e, { state: next, reason: held && held.reason, words: held && held.words, todo: held && held.todo,
                           sent_back: held && held.sent_back, synced: false });
        changed.push(e);
      }
    }
    if (changed.length) await outbox.putMany(changed);
    if (entries.some((e) => e.state === "sent")) return "sent";
    return entries.some((e) => e.state === "held") ? "held" : null;
  }
}

// After a sync: every pending entry is checked again against the refreshed book (with the
// entries saved before it laid over); one that no longer fits becomes a conflict, never dropped.
export async function recheck(book) {
  const entries = (await outbox.all()).sort((a, b) => a.seq - b.seq);
  const changed = [];
  for (const e of entries) if (e.state === "accepted" && !e.synced) { e.synced = true; changed.push(e); }
  buildModel(book, entries, (e, model) => {
    if (!OPEN.has(e.state) || e.forced) return;
    const found = conflicts(e, model);
    if (found.length && e.state === "waiting") { Object.assign(e, { state: "conflict", conflict: found }); changed.push(e); }
    if (!found.length && e.state === "conflict") { Object.assign(e, { state: "waiting", conflict: null }); changed.push(e); }
  });
  if (changed.length) await outbox.putMany(changed);
  return changed.filter((e) => e.state === "conflict").length;
}

export async function nextSeq() {
  const seq = ((await kv.get("seq")) || 0) + 1;
  await kv.set("seq", seq);
  return seq;
}
