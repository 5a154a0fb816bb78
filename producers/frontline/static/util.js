// Small helpers: UUID v7, diacritics-insensitive search keys, dates, DOM.

// UUID v7 (RFC 9562): 48-bit Unix milliseconds, a 12-bit counter (method 1: ids made in the same
// millisecond still increase), then random bits. The register breaks ties of an entry's envelopes
// (same dates) by event_id, so a household's registration sorts before its members'.
let lastMs = 0;
let counter = 0;
export function uuid7() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  let ms = Date.now();
  if (ms <= lastMs) {
    counter += 1;
    if (counter > 0xfff) { lastMs += 1; counter = 0; }
    ms = lastMs;
  } else {
    lastMs = ms;
    counter = b[7] & 0x7f;  // a random start leaves room to count up
  }
  for (let i = 5; i >= 0; i--) { b[i] = ms % 256; ms = Math.floor(ms / 256); }
  b[6] = 0x70 | (counter >> 8);
  b[7] = counter & 0xff;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// "Lò Thị Mai" -> "lo thi mai": NFD strips the marks; đ has no decomposition.
export function fold(text) {
  return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
}

// Every word of the query is the start of some word of the text, in any order.
export function matches(query, key) {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (!words.length) return true;
  const have = key.split(/\s+/);
  return words.every((w) => have.some((h) => h.startsWith(w)));
}

export function todayISO() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

// RFC 3339 with the device's own offset (the contract wants an offset, e.g. +07:00).
export function nowRFC3339() {
  const d = new Date();
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  const p = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${sign}${p(off / 60)}:${p(off % 60)}`;
}

export function ageOn(born, day) {
  if (!born) return null;
  const [by, bm, bd] = born.split("-").map(Number);
  const [y, m, d] = day.split("-").map(Number);
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

export function daysBetween(a, b) {
  return Math.round((Date.parse(b) - Date.parse(a)) / 86400000);
}

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
