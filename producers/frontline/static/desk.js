// Views that need the network: her inbox of held entries, her month, and the commune officer's desk.
import { t } from "./i18n.js";
import { h } from "./util.js";
import { OPEN } from "./model.js";

function offline(key) {
  return h("p", { class: "banner" }, t(key));
}

function heldItem(item, extra) {
  const who = item.persons.map((p) => p.name || p.id).join(", ");
  return h("li", { class: "entry held", dataset: { id: item.event_id, reason: item.reason } },
    h("span", { class: "name" }, `${t(`form.${item.type}`)}: ${who} · ${item.occurred_on || ""}`),
    h("span", { class: "state s-held" }, t("state.held")),
    h("p", { class: "reason" }, item.words), h("p", {}, `${t("outbox.todo")}: ${item.todo}`),
    item.sent_back ? h("p", { class: "note" }, `${t("outbox.sent_back")}: ${item.sent_back}`) : null,
    h("details", {}, h("summary", {}, item.reason), h("small", {}, item.detail)), extra || null);
}

export async function inboxView(api) {
  if (!navigator.onLine) return offline("inbox.offline");
  const { items } = await api("/ctv/api/inbox");
  return h("section", { id: "inbox" }, items.length ? h("ul", { class: "entries" }, items.map((i) => heldItem(i,
    h("a", { class: "button secondary", href: "#/form/event.voided" }, t("inbox.void"))))) : h("p", {}, t("inbox.empty")));
}

export async function monthView(api, state) {
  const pending = state.entries.filter((e) => OPEN.has(e.state) || e.state === "sent").length;
  if (!navigator.onLine) return h("section", {}, offline("inbox.offline"), h("p", {}, t("month.pending", { n: pending })));
  const period = sessionStorage.getItem("ctv.month") || new Date().toISOString().slice(0, 7);
  const data = await api(`/ctv/api/month?period=${period}`);
  const picker = h("input", { type: "month", value: period, id: "period", onchange: (ev) => {
    sessionStorage.setItem("ctv.month", ev.target.value); dispatchEvent(new HashChangeEvent("hashchange"));
  } });
  return h("section", { id: "month" }, h("h2", {}, t("month.title", { p: data.period })), picker,
    h("table", { class: "figures" }, Object.entries(data.values).map(([k, v]) => h("tr", { dataset: { name: k } },
      h("th", {}, t(`month.${k}`)), h("td", {}, v)))),
    pending ? h("p", { class: "note" }, t("month.pending", { n: pending })) : null);
}

export async function deskView(api, state) {
  if (!navigator.onLine) return offline("inbox.offline");
  const [queue, people] = await Promise.all([api("/ctv/api/desk/review"), api("/ctv/api/desk/collaborators")]);
  const rerender = () => dispatchEvent(new HashChangeEvent("hashchange"));
  const act = (item) => {
    const reason = h("input", { name: "reason", placeholder: t("desk.override_reason"), "aria-label": t("desk.override_reason") });
    const out = h("p", { class: "err", role: "alert" });
    // The register applies an override within seconds; until then the item shows it was sent.
    const post = async (path, body, ev) => {
      try {
        await api(path, { method: "POST", body: JSON.stringify(body) });
        const li = ev.target.closest("li");
        li.dataset.done = path.split("/").pop();
        out.textContent = t("desk.done");
        for (const b of li.querySelectorAll("button")) b.disabled = true;
      } catch (e) { out.textContent = e.message; }
    };
    return h("div", { class: "desk-actions" }, reason,
      h("button", { class: "override", onclick: (ev) => post("/ctv/api/desk/override", { event_id: item.event_id, reason: reason.value }, ev) }, t("desk.override")),
      h("button", { class: "secondary sendback", onclick: (ev) => post("/ctv/api/desk/sendback", { event_id: item.event_id, note: reason.value }, ev) }, t("desk.sendback")),
      out);
  };
  const code = h("input", { id: "collector", placeholder: t("desk.collector"), "aria-label": t("desk.collector") });
  const issued = h("output", { id: "issued" });
  const revoke = (d) => h("button", { class: "secondary revoke", onclick: async () => {
    await api("/ctv/api/desk/revoke", { method: "POST", body: JSON.stringify({ device_id: d.device_id }) });
    rerender();
  } }, t("desk.revoke"));
  const row = (c) => h("tr", { dataset: { collector: c.collector_id } }, h("td", {}, c.collector_id),
    h("td", {}, c.last_entry ? c.last_entry.slice(0, 10) : "—"), h("td", {}, c.median_late_days ?? "—"),
    h("td", { class: "held" }, c.held), h("td", { class: "conflicts" }, c.conflicts),
    h("td", {}, c.devices.filter((d) => !d.revoked).map(revoke)));
  const heads = ["desk.collector", "desk.last", "desk.late", "desk.held", "desk.conflicts", ""];
  const issue = async () => {
    const r = await api("/ctv/api/desk/code", { method: "POST", body: JSON.stringify({ collector_id: code.value }) });
    issued.textContent = r.code;
  };
  return h("section", { id: "desk" },
    h("h2", {}, t("desk.queue"), ` (${queue.count})`),
    h("ul", { class: "entries" }, queue.items.map((i) => heldItem(i, h("div", {}, h("small", {}, i.collector_id || ""), act(i))))),
    h("h2", {}, t("desk.collaborators")),
    h("div", { class: "scroll" }, h("table", { class: "collaborators" },
      h("tr", {}, heads.map((k) => h("th", {}, k ? t(k) : ""))), people.collaborators.map(row))),
    h("h2", {}, t("desk.code")),
    h("div", { class: "row" }, code, h("button", { id: "issue", onclick: issue }, t("desk.code"))), issued);
}
