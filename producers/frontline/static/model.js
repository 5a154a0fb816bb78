// Her book as the app shows it: the register's copy (synced) with her pending entries laid over
// it, in the order she saved them. The same overlay re-checks pending entries after a sync.
import { ageOn, fold, todayISO } from "./util.js";
import { ruleErrors } from "./checks.js";
import { t } from "./i18n.js";

export const OPEN = new Set(["waiting", "conflict"]);  // not yet answered by the gateway
const FINAL = new Set(["refused", "dropped"]);

function person(m, hid, extra = {}) {
  return { id: m.id, name: m.name, sex: m.sex, born: m.born, rel: m.rel, marital: m.marital, mother: m.mother,
           spouse: m.spouse, nid: m.nid, births: m.births || [], household: hid, ...extra };
}

// onEntry(entry, model): called for each pending entry with the book as it was just before it.
export function buildModel(book, entries, onEntry = null) {
  const today = todayISO();
  const model = { rules: book && book.rules, households: new Map(), byId: {}, area: book && book.area };
  for (const hh of (book && book.households) || []) {
    const members = hh.members.map((m) => person(m, hh.id));
    model.households.set(hh.id, { id: hh.id, address: hh.address, head: hh.head, members });
    for (const m of members) model.byId[m.id] = m;
  }
  for (const e of entries || []) {
    // Accepted entries are in the synced book once a sync came after them (synced), held ones not at all.
    if (FINAL.has(e.state) || e.state === "held" || (e.state === "accepted" && e.synced)) continue;
    if (onEntry) onEntry(e, model);
    overlay(model, e);
  }
  for (const hh of model.households.values()) {
    for (const m of hh.members) m.age = ageOn(m.born, today);
    // One search key per person and one for the address: "lo thi mai" must find her, not a
    // household where a Lò, a Thị and a Mai live.
    hh.keys = [fold(hh.address), ...hh.members.map((m) => fold(m.name))];
  }
  return model;
}

function addMember(model, p, hid, pending) {
  const hh = model.households.get(hid);
  if (!hh || model.byId[p.person_id || p.child_id]) return;  // already in the synced book
  const m = person({ id: p.person_id || p.child_id, name: p.full_name || "", sex: p.sex, born: p.birth_date,
                     rel: p.relation_to_head || "child", marital: p.marital_status || "never_married",
                     mother: p.mother_id }, hid, { pending });
  hh.members.push(m);
  model.byId[m.id] = m;
}

// One entry's effect on the book, so later entries are checked against it.
function overlay(model, entry) {
  const pending = entry.event_id;
  for (const env of entry.envelopes) {
    const p = env.payload;
    const get = (id) => model.byId[id];
    switch (env.type) {
      case "household.registered":
        if (!model.households.has(p.household_id)) model.households.set(p.household_id, { id: p.household_id, address: p.address, members: [], pending });
        break;
      case "person.registered": addMember(model, p, p.household_id, pending); break;
      case "birth": {
        addMember(model, { ...p, birth_date: env.occurred_on, relation_to_head: "child" }, p.household_id, pending);
        const m = get(p.mother_id);
        if (m && !m.births.some(([day]) => day === env.occurred_on)) m.births = [...m.births, [env.occurred_on, p.plurality || 1]];
        break;
      }
      case "death": if (get(p.person_id)) Object.assign(get(p.person_id), { dead: env.occurred_on, pending }); break;
      case "move_out": for (const id of p.person_ids) if (get(id)) Object.assign(get(id), { moved: true, dead: null, gone: true, pending }); break;
      case "household.member_moved": {
        const m = get(p.person_id);
        if (m && model.households.has(p.household_id)) {
          const from = model.households.get(m.household);
          if (from) from.members = from.members.filter((x) => x !== m);
          m.household = p.household_id;
          m.pending = pending;
          model.households.get(p.household_id).members.push(m);
        }
        break;
      }
      case "marriage": for (const id of p.person_ids) if (get(id)) get(id).marital = "married"; break;
      case "divorce": for (const id of p.person_ids) if (get(id)) get(id).marital = "divorced"; break;
      case "person.corrected": if (get(p.person_id)) {
        const c = p.changes;
        Object.assign(get(p.person_id), { ...(c.full_name ? { name: c.full_name } : {}), ...(c.birth_date ? { born: c.birth_date } : {}),
                                          ...(c.sex ? { sex: c.sex } : {}), pending });
      } break;
      default: break;
    }
  }
}

// The subjects an entry needs in her book (ids created by the entry itself or earlier ones are in the model).
function subjects(env) {
  const p = env.payload;
  const ids = [];
  for (const k of ["person_id", "mother_id", "father_id"]) if (p[k]) ids.push([k, p[k]]);
  if (env.type !== "move_in") for (const id of p.person_ids || []) ids.push(["person_ids", id]);
  return ids;
}

// Why a pending entry no longer fits the refreshed book: [[field, message]] (empty: it fits).
export function conflicts(entry, model) {
  const out = [];
  for (const env of entry.envelopes) {
    if (env.type === "person.registered" || env.type === "household.registered" || env.type === "event.voided") continue;
    for (const [field, id] of subjects(env)) {
      const p = model.byId[id];
      if (!p) out.push([field, t("conflict.gone", { name: entry.names && entry.names[id] || id })]);
      else if (p.gone) out.push([field, t("conflict.moved", { name: p.name })]);
    }
    const hid = env.payload.household_id;
    if (hid && env.type !== "household.registered" && env.type !== "person.registered" && !model.households.has(hid)) {
      out.push(["household_id", t("conflict.household")]);
    }
    if (!out.length) out.push(...ruleErrors(env.type, env.payload, env.occurred_on, model));
  }
  return out;
}
