// A form on screen: fields from its definition (forms.js), checks while typing, save to the outbox.
import { FORMS } from "./forms.js";
import { enumOf, loadSchema, ruleErrors, shapeErrors } from "./checks.js";
import { enumLabel, t } from "./i18n.js";
import { fold, h, matches, nowRFC3339, todayISO, uuid7 } from "./util.js";

const NEW_PERSON = ["full_name", "sex", "birth_date", "relation_to_head", "marital_status"];

function personLabel(p) {
  const age = p.age === null || p.age === undefined ? "" : `, ${t("age", { n: p.age })}`;
  return `${p.name || "?"} (${t(`sex.${p.sex}`)}${age})`;
}

function field(key, label, control, hint) {
  return h("div", { class: "field", dataset: { field: key } }, h("label", { for: `f-${key}` }, t(label || `f.${key}`)),
    control, hint ? h("small", {}, t(hint)) : null, h("div", { class: "err", role: "alert" }));
}

function select(key, options, optional) {
  return h("select", { id: `f-${key}`, name: key }, h("option", { value: "" }, optional ? "—" : t("form.choose")),
    options.map(([v, label]) => h("option", { value: v }, label)));
}

// A person picked from the household, or from the whole book with a search box.
function personPicker(def, ctx) {
  const scope = def.scope || "household";
  const pool = scope === "household" && ctx.household ? ctx.household.members : [...ctx.model.households.values()].flatMap((x) => x.members);
  const people = pool.filter((p) => !p.gone && (!def.who || def.who(p)));
  const sel = select(def.key, people.map((p) => [p.id, personLabel(p)]), def.optional);
  if (scope === "household") return sel;
  const search = h("input", { type: "search", placeholder: t("form.search_person"), "aria-label": t("form.search_person"),
    oninput: () => {
      for (const o of sel.options) {
        const p = o.value && ctx.model.byId[o.value];
        o.hidden = !!p && !matches(search.value, fold(p.name));
      }
    } });
  return h("div", { class: "picker" }, search, sel);
}

function householdPicker(def, ctx) {
  const list = [...ctx.model.households.values()].filter((x) => !ctx.household || x.id !== ctx.household.id);
  const label = (x) => `${(x.members.find((m) => m.rel === "head") || x.members[0] || {}).name || "?"} — ${x.address}`;
  const sel = select(def.key, list.map((x) => [x.id, label(x)]));
  const search = h("input", { type: "search", placeholder: t("form.search_household"), "aria-label": t("form.search_household"),
    oninput: () => { for (const o of sel.options) { const x = ctx.model.households.get(o.value); o.hidden = !!x && !x.keys.some((k) => matches(search.value, k)); } } });
  return h("div", { class: "picker" }, search, sel);
}

function newPersonRow(i, defaults = {}) {
  return h("fieldset", { class: "person", dataset: { index: i } },
    h("input", { name: "full_name", placeholder: t("f.full_name"), "aria-label": t("f.full_name"), value: defaults.full_name || "" }),
    h("div", { class: "row" },
      h("select", { name: "sex", "aria-label": t("f.sex") }, h("option", { value: "" }, t("f.sex")), ["M", "F"].map((v) => h("option", { value: v }, enumLabel(v)))),
      h("input", { name: "birth_date", type: "date", "aria-label": t("f.birth_date"), max: todayISO() })),
    h("div", { class: "row" },
      h("select", { name: "relation_to_head", "aria-label": t("f.relation_to_head") },
        enumOf("person.registered", "relation_to_head").map((v) => h("option", { value: v }, enumLabel(v)))),
      h("select", { name: "marital_status", "aria-label": t("f.marital_status") },
        enumOf("person.registered", "marital_status").map((v) => h("option", { value: v }, enumLabel(v))))));
}

function control(def, ctx, type) {
  switch (def.kind) {
    case "person": return personPicker(def, ctx);
    case "persons": {
      const people = (ctx.household ? ctx.household.members : []).filter((p) => !p.gone && (!def.who || def.who(p)));
      return h("div", { class: "checks", id: `f-${def.key}` }, people.map((p) => h("label", { class: "check" },
        h("input", { type: "checkbox", name: def.key, value: p.id }), personLabel(p))));
    }
    case "select": return select(def.key, enumOf(def.enumOf || type, def.key).map((v) => [v, enumLabel(v)]), def.optional);
    case "date": return h("input", { id: `f-${def.key}`, name: def.key, type: "date", value: def.key === "occurred_on" ? todayISO() : "",
                                     max: def.future ? null : todayISO() });
    case "number": return h("input", { id: `f-${def.key}`, name: def.key, type: "number", inputmode: "numeric", min: def.min, max: def.max });
    case "household": return householdPicker(def, ctx);
    case "entry": return select(def.key, ctx.entries.filter((e) => ["accepted", "held", "sent"].includes(e.state))
      .map((e) => [e.event_id, `${e.label} (${t(`state.${e.state}`)})`]));
    case "newpeople": {
      const rows = h("div", { class: "people" }, newPersonRow(0));
      const add = def.one ? null : h("button", { type: "button", class: "secondary", onclick: () => rows.append(newPersonRow(rows.children.length)) }, t("form.add_person"));
      return h("div", { id: `f-${def.key}` }, rows, add);
    }
    default: return h("input", { id: `f-${def.key}`, name: def.key, autocomplete: "off" });
  }
}

function read(form, defs) {
  const v = {};
  for (const def of defs) {
    if (def.kind === "persons") v[def.key] = [...form.querySelectorAll(`input[name="${def.key}"]:checked`)].map((x) => x.value);
    else if (def.kind === "newpeople") {
      v.people = [...form.querySelectorAll("fieldset.person")].map((fs) => Object.fromEntries(
        NEW_PERSON.map((k) => [k, fs.querySelector(`[name="${k}"]`).value.trim().normalize("NFC")])));
    } else {
      const el = form.querySelector(`[name="${def.key}"]`);
      const raw = el ? el.value.trim().normalize("NFC") : "";
      v[def.key] = def.kind === "number" ? (raw === "" ? undefined : Number(raw)) : raw;
    }
  }
  const addr = form.querySelector('[name="address"]');
  if (addr) v.address = addr.value.trim().normalize("NFC");
  return v;
}

// Errors per field: the contract's shapes first, then the register's rules the device knows.
function check(type, defs, v, ctx) {
  const built = FORMS[type].build(v, ctx);
  const errors = [];
  const keyOf = (k) => (["person_ids"].includes(k) && defs.some((d) => d.key === "person_a") ? "person_a"
    : ["child_id", "person_id", "full_name", "sex", "birth_date", "relation_to_head", "marital_status"].includes(k) && defs.some((d) => d.kind === "newpeople") ? "people"
      : k === "changes" ? "person_id" : k);
  for (const env of built) {
    for (const [k, msg] of shapeErrors(env.type, env.payload)) errors.push([keyOf(k), msg]);
    for (const [k, msg] of ruleErrors(env.type, env.payload, v.occurred_on, ctx.model)) errors.push([keyOf(k), msg]);
  }
  if (defs.some((d) => d.kind === "newpeople")) {
    v.people.forEach((p) => { if (!p.full_name || !p.sex || !p.birth_date) errors.push(["people", t("err.required")]); });
  }
  if (type === "person.corrected" && !Object.keys(built[0].payload.changes).length) errors.push(["full_name", t("err.required")]);
  if ("address" in v && !v.address) errors.push(["address", t("err.required")]);
  return { built, errors };
}

export async function formView(type, ctx, onSave) {
  const spec = FORMS[type];
  const needed = new Set([type, "person.registered", "household.registered", "move_in",
                          ...spec.fields.map((d) => d.enumOf).filter(Boolean)]);
  await Promise.all([...needed].map(loadSchema));
  const defs = spec.fields;
  const withAddress = spec.scope === "new" || (spec.scope === "household-or-new" && !ctx.household);
  const form = h("form", { class: "entry", novalidate: true, dataset: { type } },
    h("h2", {}, t(`form.${type}`), ctx.household ? h("small", {}, ` · ${ctx.household.address}`) : null),
    withAddress ? field("address", "f.address", h("input", { id: "f-address", name: "address" })) : null,
    defs.map((def) => field(def.key, def.label, control(def, ctx, type), def.hint)),
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("form.save")),
      h("button", { type: "button", class: "secondary", onclick: () => history.back() }, t("form.cancel"))),
    h("p", { class: "form-error", role: "alert" }));
  const nameField = defs.find((d) => d.placeholderName);
  if (nameField) {
    form.querySelector(`[data-field="${nameField.key}"] label`).after(h("button", { type: "button", class: "link", onclick: () => {
      const m = ctx.model.byId[form.querySelector('[name="mother_id"]').value];
      const sex = form.querySelector('[name="sex"]').value;
      form.querySelector(`[name="${nameField.key}"]`).value = m ? `Con bà ${m.name}` : sex === "F" ? "Bé gái" : "Bé trai";
      show(false);
    } }, t("form.placeholder")));
  }
  const touched = new Set();
  const show = (all) => {
    const { errors } = check(type, defs, read(form, defs), ctx);
    for (const box of form.querySelectorAll(".field")) {
      const key = box.dataset.field;
      const mine = errors.filter(([k]) => k === key).map(([, m]) => m);
      const visible = (all || touched.has(key)) && mine.length;
      box.classList.toggle("invalid", !!visible);
      box.querySelector(".err").textContent = visible ? [...new Set(mine)].join("; ") : "";
    }
    return errors;
  };
  form.addEventListener("input", (ev) => { const box = ev.target.closest(".field"); if (box) touched.add(box.dataset.field); show(false); });
  form.addEventListener("change", (ev) => { const box = ev.target.closest(".field"); if (box) touched.add(box.dataset.field); show(false); });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    performance.mark("ctv-save-start");  // bench/bench_frontline.py: saving an entry
    const errors = show(true);
    form.querySelector(".form-error").textContent = errors.length ? t("form.fix") : "";
    if (errors.length) return;
    const v = read(form, defs);
    const built = spec.build(v, ctx);
    const recorded = nowRFC3339();
    const envelopes = built.map((b) => ({ event_id: uuid7(), type: b.type, schema_version: 1, occurred_on: v.occurred_on,
      recorded_at: recorded, commune: ctx.device.area, source: { channel: "mobile", device_id: ctx.device.device_id,
        collector_id: ctx.device.collector_id }, payload: JSON.parse(JSON.stringify(b.payload)), ...(b.main ? { main: true } : {}) }));
    const main = envelopes.find((e) => e.main) || envelopes[envelopes.length - 1];
    const names = {};
    for (const env of envelopes) for (const id of [env.payload.person_id, env.payload.mother_id, ...(env.payload.person_ids || [])]) {
      if (id && ctx.model.byId[id]) names[id] = ctx.model.byId[id].name;
    }
    await onSave({ event_id: main.event_id, type, envelopes, names, household: ctx.household && ctx.household.id,
                   label: label(type, main, ctx, envelopes), state: "waiting", created_at: recorded });
  });
  return form;
}

function label(type, env, ctx, envelopes) {
  const p = env.payload;
  const name = (id) => (ctx.model.byId[id] || {}).name || "";
  let who = "";
  if (type === "birth") who = `${p.full_name || (p.sex === "F" ? "Bé gái" : "Bé trai")} — mẹ ${name(p.mother_id)}`;
  else if (p.person_id) who = name(p.person_id);
  else if (type === "move_in" || type === "household.registered" || type === "person.registered") {
    who = envelopes.filter((e) => e.type === "person.registered").map((e) => e.payload.full_name).join(", ");
  }
  else if (p.person_ids) who = p.person_ids.map(name).join(", ");
  const [y, m, d] = env.occurred_on.split("-");
  return `${t(`form.${type}`)}: ${who} · ${d}/${m}/${y}`;  // dates as written in Việt Nam
}
