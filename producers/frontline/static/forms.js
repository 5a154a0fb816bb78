// The A0 book's changes as forms built from the contract (EVENTS.md, schemas/v1/types): each
// form picks people from her book (never typing ids) and builds one entry of 1..n envelopes.
import { uuid7 } from "./util.js";

const alive = (p) => !p.dead;
const woman = (p) => alive(p) && p.sex === "F";
const adult = (p) => alive(p) && p.age !== null && p.age >= 15;
const newPerson = (v, householdId) => ({
  person_id: uuid7(), household_id: householdId, full_name: v.full_name, sex: v.sex, birth_date: v.birth_date,
  relation_to_head: v.relation_to_head || "other", marital_status: v.marital_status || "never_married",
});
const opt = (v) => (v === "" || v === undefined ? undefined : v);

// kind: person (one of her household / book), persons (several), select (enum from the schema),
// date, text, number, household (another household of the book), newpeople (people typed in).
export const FORMS = {
  birth: {
    scope: "household",
    fields: [
      { key: "mother_id", kind: "person", who: woman },
      { key: "father_id", kind: "person", who: (p) => alive(p) && p.sex === "M", optional: true },
      { key: "sex", kind: "select", enumOf: "birth" },
      { key: "full_name", kind: "text", optional: true, placeholderName: true },
      { key: "occurred_on", kind: "date", label: "f.birth_date" },
      { key: "plurality", kind: "number", optional: true, min: 1, max: 8 },
      { key: "birth_weight_g", kind: "number", optional: true },
    ],
    build: (v, ctx) => [{ type: "birth", payload: {
      child_id: uuid7(), household_id: ctx.household.id, mother_id: v.mother_id, father_id: opt(v.father_id),
      sex: v.sex, full_name: opt(v.full_name), plurality: v.plurality, birth_weight_g: v.birth_weight_g } }],
  },
  death: {
    scope: "household",
    fields: [{ key: "person_id", kind: "person", who: alive }, { key: "occurred_on", kind: "date" },
             { key: "cause", kind: "text", optional: true }],
    build: (v) => [{ type: "death", payload: { person_id: v.person_id, cause: opt(v.cause) } }],
  },
  move_out: {
    scope: "household",
    fields: [{ key: "person_ids", kind: "persons", who: alive }, { key: "occurred_on", kind: "date" },
             { key: "to_commune", kind: "text", optional: true, hint: "f.commune_hint" }],
    build: (v) => [{ type: "move_out", payload: { person_ids: v.person_ids, to_commune: opt(v.to_commune) } }],
  },
  move_in: {
    scope: "household-or-new",
    fields: [{ key: "people", kind: "newpeople" }, { key: "occurred_on", kind: "date" },
             { key: "from_commune", kind: "text", optional: true, hint: "f.commune_hint" }],
    build: (v, ctx) => {
      const out = [];
      let hid = ctx.household && ctx.household.id;
      if (!hid) {
        hid = uuid7();
        out.push({ type: "household.registered", payload: { household_id: hid, address: v.address } });
      }
      const people = v.people.map((p) => newPerson(p, hid));
      for (const p of people) out.push({ type: "person.registered", payload: p });
      out.push({ type: "move_in", payload: { person_ids: people.map((p) => p.person_id), household_id: hid,
                                               from_commune: opt(v.from_commune) }, main: true });
      return out;
    },
  },
  marriage: {
    scope: "book",
    fields: [{ key: "person_a", kind: "person", who: adult, scope: "household" },
             { key: "person_b", kind: "person", who: adult, scope: "book" }, { key: "occurred_on", kind: "date" }],
    build: (v) => [{ type: "marriage", payload: { person_ids: [v.person_a, v.person_b].filter(Boolean) } }],
  },
  divorce: {
    scope: "household",
    fields: [{ key: "person_a", kind: "person", who: (p) => alive(p) && p.marital === "married" },
             { key: "person_b", kind: "person", who: (p) => alive(p) && p.marital === "married", scope: "book" },
             { key: "occurred_on", kind: "date" }],
    build: (v) => [{ type: "divorce", payload: { person_ids: [v.person_a, v.person_b].filter(Boolean) } }],
  },
  "household.member_moved": {
    scope: "household",
    fields: [{ key: "person_id", kind: "person", who: alive }, { key: "household_id", kind: "household" },
             { key: "occurred_on", kind: "date" }],
    build: (v) => [{ type: "household.member_moved", payload: { person_id: v.person_id, household_id: v.household_id } }],
  },
  "contraception.started": {
    scope: "household",
    fields: [{ key: "person_id", kind: "person", who: adult }, { key: "method", kind: "select", enumOf: "contraception.started" },
             { key: "occurred_on", kind: "date" }],
    build: (v) => [{ type: "contraception.started", payload: { person_id: v.person_id, method: v.method } }],
  },
  "contraception.stopped": {
    scope: "household",
    fields: [{ key: "person_id", kind: "person", who: adult }, { key: "method", kind: "select", enumOf: "contraception.stopped" },
             { key: "reason", kind: "select", enumOf: "contraception.stopped", optional: true },
             { key: "occurred_on", kind: "date" }],
    build: (v) => [{ type: "contraception.stopped", payload: { person_id: v.person_id, method: v.method, reason: opt(v.reason) } }],
  },
  "pregnancy.recorded": {
    scope: "household",
    fields: [{ key: "person_id", kind: "person", who: woman }, { key: "expected_on", kind: "date", optional: true, future: true },
             { key: "occurred_on", kind: "date" }],
    build: (v) => [{ type: "pregnancy.recorded", payload: { person_id: v.person_id, expected_on: opt(v.expected_on) } }],
  },
  "pregnancy.ended": {
    scope: "household",
    fields: [{ key: "person_id", kind: "person", who: woman }, { key: "outcome", kind: "select", enumOf: "pregnancy.ended" },
             { key: "occurred_on", kind: "date" }],
    build: (v) => [{ type: "pregnancy.ended", payload: { person_id: v.person_id, outcome: v.outcome } }],
  },
  "person.corrected": {
    scope: "household",
    fields: [{ key: "person_id", kind: "person", who: alive }, { key: "full_name", kind: "text", optional: true },
             { key: "birth_date", kind: "date", optional: true }, { key: "sex", kind: "select", enumOf: "birth", optional: true },
             { key: "national_id", kind: "text", optional: true }, { key: "occurred_on", kind: "date" }],
    build: (v) => {
      const changes = {};
      for (const k of ["full_name", "birth_date", "sex", "national_id"]) if (opt(v[k]) !== undefined) changes[k] = v[k];
      return [{ type: "person.corrected", payload: { person_id: v.person_id, changes } }];
    },
  },
  "person.registered": {
    scope: "household",
    fields: [{ key: "people", kind: "newpeople", one: true }, { key: "occurred_on", kind: "date" }],
    build: (v, ctx) => v.people.map((p) => ({ type: "person.registered", payload: newPerson(p, ctx.household.id) })),
  },
  "household.registered": {
    scope: "new",
    fields: [{ key: "people", kind: "newpeople" }, { key: "occurred_on", kind: "date" }],
    build: (v) => {
      const hid = uuid7();
      const people = v.people.map((p) => newPerson(p, hid));
      const head = people.find((p) => p.relation_to_head === "head");
      return [{ type: "household.registered", payload: { household_id: hid, address: v.address,
                                                         head_person_id: head && head.person_id }, main: true },
              ...people.map((p) => ({ type: "person.registered", payload: p }))];
    },
  },
  "event.voided": {
    scope: "none",
    fields: [{ key: "voided_event_id", kind: "entry" }, { key: "reason", kind: "text" }, { key: "occurred_on", kind: "date" }],
    build: (v) => [{ type: "event.voided", payload: { voided_event_id: v.voided_event_id, reason: v.reason } }],
  },
};

// The forms a household page offers, most used first (the A0 book's order of changes).
export const HOUSEHOLD_FORMS = ["birth", "death", "move_out", "move_in", "marriage", "divorce", "household.member_moved",
  "contraception.started", "contraception.stopped", "pregnancy.recorded", "pregnancy.ended", "person.corrected",
  "person.registered"];
export const BOOK_FORMS = ["household.registered", "move_in", "event.voided"];
