// Checks while typing: the contract's shape (the published JSON Schemas, schemas/v1/types) and
// the register's rules a device can know (limits sent with the book: one definition, the register's).
import { ageOn, daysBetween, todayISO } from "./util.js";
import { t } from "./i18n.js";

const schemas = {};

export async function loadSchema(type) {
  if (!schemas[type]) {
    const r = await fetch(`/ctv/schemas/${type}.json`);
    if (!r.ok) throw new Error(`schema ${type}: ${r.status}`);
    schemas[type] = await r.json();
  }
  return schemas[type];
}

function resolve(root, node) {
  return node && node.$ref ? root.$defs[node.$ref.split("/").pop()] : node;
}

// A small JSON Schema (draft 2020-12) subset: what pydantic writes for our models.
function validate(root, node, value, path, out) {
  node = resolve(root, node);
  if (!node) return;
  if (node.anyOf) {
    const tries = node.anyOf.map((alt) => { const o = []; validate(root, alt, value, path, o); return o; });
    if (!tries.some((o) => o.length === 0)) out.push(...tries.find((o) => o.length) || []);
    return;
  }
  if (node.const !== undefined && value !== node.const) { out.push([path, "const", node.const]); return; }
  if (node.enum && !node.enum.includes(value)) { out.push([path, "enum", node.enum]); return; }
  const type = node.type;
  if (type === "null") { if (value !== null && value !== undefined) out.push([path, "type", type]); return; }
  if (value === null || value === undefined) { out.push([path, "required"]); return; }
  if (type === "string") {
    if (typeof value !== "string") { out.push([path, "type", type]); return; }
    if (node.minLength !== undefined && value.length < node.minLength) out.push([path, node.minLength === 1 ? "required" : "minLength", node.minLength]);
    else if (node.maxLength !== undefined && value.length > node.maxLength) out.push([path, "maxLength", node.maxLength]);
    else if (node.pattern && !new RegExp(node.pattern).test(value)) out.push([path, "pattern", node.pattern]);
    else if (node.format === "date" && !/^\d{4}-\d{2}-\d{2}$/.test(value)) out.push([path, "date"]);
  } else if (type === "integer") {
    if (!Number.isInteger(value)) out.push([path, "integer"]);
    else if (node.minimum !== undefined && value < node.minimum) out.push([path, "minimum", node.minimum]);
    else if (node.maximum !== undefined && value > node.maximum) out.push([path, "maximum", node.maximum]);
  } else if (type === "array") {
    if (!Array.isArray(value)) { out.push([path, "type", type]); return; }
    if (node.minItems !== undefined && value.length < node.minItems) out.push([path, "minItems", node.minItems]);
    if (node.maxItems !== undefined && value.length > node.maxItems) out.push([path, "maxItems", node.maxItems]);
    value.forEach((v, i) => validate(root, node.items, v, path, out));
  } else if (type === "object") {
    for (const k of node.required || []) if (value[k] === undefined || value[k] === null) out.push([k, "required"]);
    for (const [k, v] of Object.entries(value)) {
      const prop = node.properties && node.properties[k];
      if (!prop) { if (node.additionalProperties === false) out.push([k, "unknown"]); continue; }
      if (v === undefined) continue;
      validate(root, prop, v, path ? `${path}.${k}` : k, out);
    }
  }
}

// Field-level messages in the user's language: [field, message].
export function shapeErrors(type, payload) {
  const root = schemas[type];
  if (!root) return [];
  const out = [];
  validate(root, root.properties.payload, payload, "", out);
  return out.map(([path, code, arg]) => [path.split(".")[0], t(`err.${code}`, { arg: Array.isArray(arg) ? arg.join(", ") : arg })]);
}

export function enumOf(type, field) {
  const root = schemas[type];
  let node = resolve(root, root.properties.payload);
  node = resolve(root, node.properties[field]);
  if (node.anyOf) node = node.anyOf.find((a) => a.enum) || node;
  return node.enum || [];
}

// The register's rules the device can know, on its copy of the book. book.byId: id -> person.
export function ruleErrors(type, payload, occurredOn, book) {
  const out = [];
  const today = todayISO();
  if (!occurredOn) out.push(["occurred_on", t("err.required")]);
  else if (occurredOn > today) out.push(["occurred_on", t("rule.future")]);
  const rules = book.rules || { mother_age: [10, 60], birth_spacing_days: 150, legal_age: { M: 20, F: 18 } };
  const person = (id) => book.byId[id];
  const ids = [payload.person_id, ...(payload.person_ids || []), payload.mother_id].filter(Boolean);
  for (const id of ids) {
    const p = person(id);
    if (p && p.dead) out.push([fieldOf(payload, id), t("rule.dead", { name: p.name })]);
    if (p && occurredOn && p.born && occurredOn < p.born) out.push([fieldOf(payload, id), t("rule.before_birth", { name: p.name })]);
  }
  if (type === "birth" && payload.mother_id && occurredOn) {
    const m = person(payload.mother_id);
    if (m) {
      const age = ageOn(m.born, occurredOn);
      const [lo, hi] = rules.mother_age;
      if (m.sex !== "F") out.push(["mother_id", t("rule.mother_female")]);
      else if (age === null || age < lo || age > hi) out.push(["mother_id", t("rule.mother_age", { lo, hi, age })]);
      else if (payload.household_id && m.household !== payload.household_id) out.push(["mother_id", t("rule.mother_household")]);
      const plural = (payload.plurality || 1) > 1;
      for (const [day, pl] of m.births || []) {
        const gap = Math.abs(daysBetween(day, occurredOn));
        if (gap < rules.birth_spacing_days && !(gap === 0 && plural && pl > 1)) {
          out.push(["plurality", t("rule.spacing", { days: rules.birth_spacing_days, day })]);
          break;
        }
      }
    }
  }
  if (type === "marriage" && payload.person_ids && payload.person_ids.length === 2) {
    const [a, b] = payload.person_ids.map(person);
    if (payload.person_ids[0] === payload.person_ids[1]) out.push(["person_ids", t("rule.same_person")]);
    for (const p of [a, b]) if (p && p.marital === "married") out.push(["person_ids", t("rule.married", { name: p.name })]);
  }
  if (type === "divorce" && payload.person_ids && payload.person_ids.length === 2) {
    const [a, b] = payload.person_ids.map(person);
    if (a && b && (a.marital !== "married" || b.marital !== "married")) out.push(["person_ids", t("rule.not_married")]);
  }
  if (type === "household.member_moved" && payload.person_id && payload.household_id) {
    const p = person(payload.person_id);
    if (p && p.household === payload.household_id) out.push(["household_id", t("rule.same_household")]);
  }
  return out;
}

function fieldOf(payload, id) {
  if (payload.mother_id === id) return "mother_id";
  if (payload.person_id === id) return "person_id";
  return "person_ids";
}
