// The collaborator's household book (Sổ A0 điện tử): enrolment, the offline book, forms, the
// outbox, her inbox and month, the commune desk, PIN lock. Routes are #hash views.
import { kv, outbox, wipe } from "./store.js";
import { buildModel, OPEN } from "./model.js";
import { nextSeq, recheck, Sender } from "./outbox.js";
import { formView } from "./formview.js";
import { BOOK_FORMS, HOUSEHOLD_FORMS } from "./forms.js";
import { getLang, setLang, t } from "./i18n.js";
import { fold, h, matches } from "./util.js";
import { deskView, inboxView, monthView } from "./desk.js";
import { lockView, Locker, pinSettings } from "./lock.js";

const main = document.getElementById("main");
const state = { device: null, book: null, model: null, entries: [], revoked: false };
const app = {
  token: () => state.device && state.device.token,
  onChange: () => refresh(),
  onRevoked: () => { state.revoked = true; refresh(); },
  syncBook,
};
const sender = new Sender(app);
const locker = new Locker(() => render());

async function api(path, opts = {}) {
  const r = await fetch(path, { ...opts, headers: { "Content-Type": "application/json", Authorization: `Bearer ${app.token()}`, ...(opts.headers || {}) } });
  if (r.status === 401) { state.revoked = true; throw new Error("revoked"); }
  if (!r.ok) throw new Error(`${r.status}: ${(await r.text()).slice(0, 200)}`);
  return r.json();
}

async function syncBook() {
  performance.mark("ctv-sync-start");
  const book = await api("/ctv/api/book");
  await kv.set("book", book);
  state.book = book;
  await recheck(book);
  await load();
  performance.measure("ctv-sync", "ctv-sync-start");
}

async function load() {
  state.entries = (await outbox.all()).sort((a, b) => a.seq - b.seq);
  state.model = buildModel(state.book, state.entries);
}

// Background changes (a sync, an answer) redraw the view, except a form being filled: typing is
// never wiped; only the header (network, pending count) follows.
async function refresh() {
  await load();
  if (location.hash.startsWith("#/form/") && document.querySelector("form.entry")) {
    document.querySelector("header").replaceWith(header());
    return;
  }
  render();
}

function badge() {
  const open = state.entries.filter((e) => OPEN.has(e.state)).length;
  return open ? h("span", { class: "count", id: "pending-count" }, open) : null;
}

function header() {
  const d = state.device;
  const tabs = [["book", "nav.book"], ["outbox", "nav.outbox"], ["inbox", "nav.inbox"], ["month", "nav.month"]];
  if (d && d.desk) tabs.push(["desk", "nav.desk"]);
  tabs.push(["more", "nav.more"]);
  const here = location.hash.slice(2).split("/")[0] || "book";
  return h("header", {},
    h("div", { class: "top" }, h("strong", {}, d ? d.area_name : t("app.title")),
      h("span", { class: `net ${navigator.onLine ? "on" : "off"}`, id: "net" }, t(navigator.onLine ? "online" : "offline")),
      h("button", { class: "lang", id: "lang", onclick: () => { setLang(getLang() === "vi" ? "en" : "vi"); render(); } }, getLang() === "vi" ? "EN" : "VI")),
    d && !locker.locked ? h("nav", {}, tabs.map(([id, key]) => h("a", { href: `#/${id}`, class: here === id ? "here" : null, id: `nav-${id}` },
      t(key), id === "outbox" ? badge() : null))) : null,
    state.revoked ? h("p", { class: "banner", id: "revoked" }, t("outbox.revoked")) : null);
}

function memberLine(m) {
  const marks = [m.pending ? t("pending") : null, m.dead ? t("dead") : null, m.gone ? t("moved") : null].filter(Boolean);
  return h("li", { class: `member${m.dead || m.gone ? " out" : ""}`, dataset: { person: m.id } },
    h("span", { class: "name" }, m.name || "?"),
    h("span", { class: "meta" }, `${t(`sex.${m.sex}`)} · ${m.age ?? "?"} · ${t(`rel.${m.rel || "other"}`)}`),
    marks.length ? h("span", { class: "mark" }, marks.join(", ")) : null);
}

function bookView() {
  if (!state.model || !state.book) return h("section", {}, h("p", {}, t("book.empty")), syncButton());
  const households = [...state.model.households.values()];
  const input = h("input", { type: "search", id: "search", placeholder: t("book.search"), "aria-label": t("book.search"),
    value: sessionStorage.getItem("ctv.q") || "" });
  const list = h("ul", { class: "households", id: "households" });
  const draw = () => {
    sessionStorage.setItem("ctv.q", input.value);
    const found = households.filter((x) => x.keys.some((k) => matches(input.value, k))).slice(0, 200);
    list.replaceChildren(...found.map((x) => {
      const head = x.members.find((m) => m.rel === "head") || x.members[0] || { name: "?" };
      return h("li", {}, h("a", { href: `#/hh/${encodeURIComponent(x.id)}`, dataset: { household: x.id } },
        h("span", { class: "name" }, head.name), h("span", { class: "meta" }, `${x.address} · ${t("book.members", { n: x.members.filter((m) => !m.gone && !m.dead).length })}`)));
    }));
    if (!found.length) list.append(h("li", { class: "none" }, t("book.none")));
  };
  input.addEventListener("input", draw);
  draw();
  const synced = new Date(state.book.as_of).toLocaleString(getLang() === "vi" ? "vi-VN" : "en-GB");
  return h("section", { id: "book" }, input,
    h("p", { class: "meta" }, `${t("book.count", { n: households.length })} · ${t("book.synced", { at: synced })}`),
    list, h("div", { class: "actions" }, BOOK_FORMS.map((f) => h("a", { class: "button secondary", href: `#/form/${f}` },
      t(f === "move_in" ? "book.move_in_new" : `form.${f}`))), syncButton()));
}

function syncButton() {
  return h("button", { class: "secondary", id: "sync", onclick: async () => {
    try { await syncBook(); render(); } catch (e) { alert(e.message); }
  } }, t("book.sync"));
}

function householdView(id) {
  const x = state.model && state.model.households.get(id);
  if (!x) return h("p", {}, t("book.none"));
  return h("section", { id: "household", dataset: { household: id } },
    h("h2", {}, x.address), h("ul", { class: "members" }, x.members.map(memberLine)),
    h("h3", {}, t("hh.forms")),
    h("div", { class: "forms" }, HOUSEHOLD_FORMS.map((f) => h("a", { class: "button", href: `#/form/${f}/${encodeURIComponent(id)}`, dataset: { form: f } }, t(`form.${f}`)))));
}

function entryView(e) {
  const details = [];
  if (e.state === "held") {
    details.push(h("p", { class: "reason" }, e.words || e.reason), e.todo ? h("p", {}, `${t("outbox.todo")}: ${e.todo}`) : null);
    if (e.sent_back) details.push(h("p", { class: "note" }, `${t("outbox.sent_back")}: ${e.sent_back}`));
  }
  if (e.state === "refused") for (const err of e.errors || []) {
    const field = err.loc.split(".").pop();
    details.push(h("p", { class: "reason" }, `${field ? t(`f.${field}`) + ": " : ""}${t(`err.${err.msg}`) === `err.${err.msg}` ? err.msg : t(`err.${err.msg}`)}`));
  }
  if (e.state === "conflict") {
    for (const [field, msg] of e.conflict || []) details.push(h("p", { class: "reason" }, `${t(`f.${field}`)}: ${msg}`));
    details.push(h("div", { class: "actions" },
      h("button", { onclick: () => resolve(e, "force") }, t("outbox.send_anyway")),
      h("button", { class: "secondary", onclick: () => resolve(e, "drop") }, t("outbox.drop"))));
  }
  return h("li", { class: `entry ${e.state}`, dataset: { id: e.event_id, state: e.state, type: e.type } },
    h("span", { class: "name" }, e.label), h("span", { class: `state s-${e.state}` }, t(`state.${e.state}`)), details);
}

async function resolve(e, how) {
  Object.assign(e, how === "force" ? { state: "waiting", forced: true } : { state: "dropped" });
  await outbox.put(e);
  await refresh();
  sender.kick();
}

function outboxView() {
  const entries = [...state.entries].reverse();
  return h("section", { id: "outbox" },
    sender.lastError ? h("p", { class: "banner" }, t("outbox.error", { e: sender.lastError })) : null,
    entries.length ? h("ul", { class: "entries" }, entries.map(entryView)) : h("p", {}, t("outbox.empty")),
    h("button", { class: "secondary", id: "retry", onclick: () => sender.kick(true) }, t("outbox.retry")));
}

async function save(entry) {
  entry.seq = await nextSeq();
  await outbox.put(entry);  // durable before anything else: nothing typed is lost by a crash or reload
  performance.measure("ctv-save", "ctv-save-start");
  await load();
  history.back();
  sender.kick();
}

async function enrolView() {
  const input = h("input", { id: "code", name: "code", autocomplete: "one-time-code", autocapitalize: "characters" });
  const err = h("p", { class: "err", role: "alert" });
  return h("form", { class: "enrol", onsubmit: async (ev) => {
    ev.preventDefault();
    if (!navigator.onLine) { err.textContent = t("enrol.offline"); return; }
    const r = await fetch("/ctv/api/enrol", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code: input.value }) });
    const body = await r.json();
    if (!r.ok) { err.textContent = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail); return; }
    state.device = body;
    await kv.set("device", body);
    try { await syncBook(); } catch (e) { err.textContent = e.message; }
    location.hash = "#/book";
    render();
  } }, h("h2", {}, t("enrol.title")), h("p", {}, t("enrol.help")), h("label", { for: "code" }, t("enrol.code")), input,
  h("button", { type: "submit", id: "enrol" }, t("enrol.go")), err);
}

function moreView() {
  return h("section", { id: "more" }, pinSettings(),
    h("button", { class: "danger", id: "signout", onclick: signOut }, t("more.signout")));
}

async function signOut() {
  const pending = state.entries.filter((e) => OPEN.has(e.state)).length;
  if (pending && navigator.onLine && confirm(t("more.signout_pending", { n: pending }))) { await sender.pump(); await load(); }
  if (!confirm(t("more.signout_confirm"))) return;
  try { await api("/ctv/api/signout", { method: "POST" }); } catch { /* revoked or offline: wipe anyway */ }
  state.device = null;  // the sender stops touching the outbox before it is deleted
  await wipe();
  for (const name of await caches.keys()) if (name.startsWith("ctv-data")) await caches.delete(name);
  sessionStorage.clear();
  Object.assign(state, { device: null, book: null, model: null, entries: [] });
  location.hash = "";
  render();
}

let renderSeq = 0;
async function render() {
  const mine = ++renderSeq;
  let view;
  if (locker.locked) view = lockView(locker);
  else if (!state.device) view = await enrolView();
  else {
    const [route, a, b] = location.hash.slice(2).split("/").map(decodeURIComponent);
    const ctx = () => ({ device: state.device, model: state.model, household: b && state.model ? state.model.households.get(b) || null : null,
                         entries: state.entries });
    if (route === "hh") view = householdView(a);
    else if (route === "form") view = await formView(a, ctx(), save);
    else if (route === "outbox") view = outboxView();
    else if (route === "inbox") view = await inboxView(api, state);
    else if (route === "month") view = await monthView(api, state);
    else if (route === "desk") view = await deskView(api, state);
    else if (route === "more") view = moreView();
    else view = bookView();
  }
  if (mine !== renderSeq) return;  // a newer render started meanwhile
  const focused = document.activeElement && document.activeElement.id;
  main.replaceChildren(header(), h("main", { dataset: { view: location.hash || "#/book" } }, view));
  const s = focused === "search" && document.getElementById("search");
  if (s) { s.focus(); s.setSelectionRange(s.value.length, s.value.length); }
  if (!performance.getEntriesByName("ctv-book-shown").length && document.getElementById("households")) {
    performance.mark("ctv-book-shown");  // bench/bench_frontline.py: the shell usable
  }
  document.body.dataset.ready = "1";
}

addEventListener("hashchange", () => render());
addEventListener("online", () => refresh());
addEventListener("offline", () => refresh());

async function start() {
  setLang(getLang());
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/ctv/sw.js", { scope: "/ctv/" }).catch(() => {});
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  state.device = await kv.get("device");
  state.book = await kv.get("book");
  await load();
  await locker.start();
  await render();
  if (state.device) sender.kick(true);
}

start();
