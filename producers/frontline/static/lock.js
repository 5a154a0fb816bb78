// PIN lock: a phone shared in the family locks after inactivity; the PIN's hash stays on the device.
import { kv } from "./store.js";
import { t } from "./i18n.js";
import { h } from "./util.js";

const IDLE_MS = 5 * 60 * 1000;
let current = null;

async function digest(pin) {
  const bytes = new TextEncoder().encode(`popreg-ctv:${pin}`);
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export class Locker {
  constructor(onChange) { this.onChange = onChange; this.locked = false; this.pin = null; this.last = Date.now(); current = this; }

  async start() {
    this.pin = await kv.get("pin");
    this.locked = !!this.pin;  // a restarted app opens locked
    for (const ev of ["pointerdown", "keydown", "touchstart"]) addEventListener(ev, () => { this.last = Date.now(); }, { passive: true });
    setInterval(() => this.tick(), 1000);
  }

  idleMs() { return Number(localStorage.getItem("ctv.idleMs")) || IDLE_MS; }

  tick() {
    if (this.pin && !this.locked && Date.now() - this.last > this.idleMs()) { this.locked = true; this.onChange(); }
  }

  async unlock(pin) {
    if ((await digest(pin)) !== this.pin) return false;
    this.locked = false;
    this.last = Date.now();
    this.onChange();
    return true;
  }

  async set(pin) { this.pin = await digest(pin); await kv.set("pin", this.pin); }
}

export function lockView(locker) {
  const input = h("input", { id: "pin", type: "password", inputmode: "numeric", autocomplete: "off", "aria-label": t("lock.pin") });
  const err = h("p", { class: "err", role: "alert" });
  return h("form", { class: "enrol", id: "lock", onsubmit: async (ev) => {
    ev.preventDefault();
    if (!(await locker.unlock(input.value))) err.textContent = t("lock.wrong");
  } }, h("h2", {}, t("lock.title")), h("label", { for: "pin" }, t("lock.pin")), input, h("button", { type: "submit" }, t("lock.open")), err);
}

export function pinSettings() {
  const input = h("input", { id: "new-pin", type: "password", inputmode: "numeric", pattern: "[0-9]{4,6}", "aria-label": t("more.pin") });
  const out = h("p", { class: "note", role: "status" });
  return h("form", { class: "pin", onsubmit: async (ev) => {
    ev.preventDefault();
    if (!/^\d{4,6}$/.test(input.value)) { out.textContent = t("more.pin"); return; }
    await current.set(input.value);
    input.value = "";
    out.textContent = t("more.pin_set");
  } }, h("label", { for: "new-pin" }, t("more.pin")), input, h("button", { type: "submit", id: "set-pin" }, t("more.set_pin")), out);
}
