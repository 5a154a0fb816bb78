// The dashboard page: area and period choice, then every panel filled from the API's figures.
// The page never computes a figure: it asks GET /v1/indicators and the /v1/areas/... endpoints,
// and only formats what they answer. State lives in the URL hash (#area=14&period=2025-Q2).
"use strict";

// The headline cards (index.html, the same list as GET /v1/dashboard/me's "headline").
const HEADLINE = window.POPREG_HEADLINE;
const METHODS = ["iud", "implant", "injectable", "pill", "condom", "female_sterilization", "male_sterilization", "traditional"];
const DETAIL = ["population_male", "population_female", "women_15_49", "married_women_15_49", "children_0_5",
  "youth_10_24", "working_age_15_64", "elderly_60_plus", "births_male", "births_female", "births_order_3_plus",
  "divorces", "contraception_new_users", "tfr", "sex_ratio_population",
  ...METHODS.map((m) => "contraceptive_users_by_method." + m)];
const TREND = ["population", "births", "deaths", "net_migration", "in_migrants", "out_migrants", "cbr", "cdr", "srb",
  "cpr_modern", "households"];
const MAP = ["population", "households", "births", "deaths", "net_migration", "cbr", "srb", "cpr_modern",
  "women_15_49", "elderly_60_plus", "children_0_5"];
const TREND_COUNT = { month: 12, quarter: 8, year: 6 };
const TOKEN_KEY = "popreg.token";

const S = { token: null, me: null, area: null, period: null, known: null, gen: 0, info: null, headline: null,
  detail: null, trendName: "population", mapName: "population", mapCurrent: false, timer: null };
const $ = (id) => document.getElementById(id);

function h(tag, attrs, ...kids) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") n.className = v;
    else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) n.setAttribute(k, v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined) n.append(k instanceof Node ? k : String(k));
  return n;
}

class ApiError extends Error {
  constructor(status, msg) { super(msg); this.status = status; }
}

async function api(path) {
  return answer(await fetch(path, { headers: { Authorization: "Bearer " + S.token, Accept: "application/json" } }));
}
async function answer(r) {
  if (r.status === 401) { signOut(Fmt.t("login_bad")); throw new ApiError(401, "unauthorized"); }
  if (!r.ok) {
    const body = await r.json().catch(() => ({}));
    throw new ApiError(r.status, typeof body.detail === "string" ? body.detail : r.statusText);
  }
  return r.json();
}

// ---- period helpers (dates of the calendar, not figures) ----
function periodKind(p) { return /-Q/.test(p) ? "quarter" : /-\d\d$/.test(p) ? "month" : "year"; }
function periodEnd(p) {
  const y = +p.slice(0, 4);
  let m = 12;
  if (periodKind(p) === "month") m = +p.slice(5, 7);
  if (periodKind(p) === "quarter") m = 3 * +p.slice(6, 7);
  const d = new Date(Date.UTC(y, m, 0));
  return d.toISOString().slice(0, 10);
}
function query(extra) {
  const q = new URLSearchParams({ period: S.period, ...extra });
  if (S.known) q.set("known_on", S.known);
  return q.toString();
}

// ---- state in the URL ----
function readHash() {
  const q = new URLSearchParams(location.hash.slice(1));
  S.area = q.get("area") || (S.me && S.me.area) || "VN";
  S.period = q.get("period") || (S.me && S.me.default_period);
  S.known = q.get("known") || null;
  const lang = q.get("lang");
  if (lang === "vi" || lang === "en") Fmt.lang = lang;
}
function go(changes) {
  const q = new URLSearchParams({ area: S.area, period: S.period, ...(S.known ? { known: S.known } : {}), lang: Fmt.lang });
  for (const [k, v] of Object.entries(changes)) { if (v === null) q.delete(k); else q.set(k, v); }
  const next = "#" + q.toString();
  if (location.hash === next) render(); else location.hash = next;
}

// ---- static labels ----
function translate() {
  document.documentElement.lang = Fmt.lang;
  document.title = Fmt.t("title") + " — popreg";
  for (const n of document.querySelectorAll("[data-t]")) n.textContent = Fmt.t(n.dataset.t);
  for (const n of document.querySelectorAll("[data-t-placeholder]")) n.placeholder = Fmt.t(n.dataset.tPlaceholder);
  for (const n of document.querySelectorAll("[data-t-title]")) n.title = Fmt.t(n.dataset.tTitle);
  $("lang").textContent = Fmt.t("lang_switch");
  fillSelect($("trend-name"), TREND.map((n) => [n, Fmt.label(n)]), S.trendName);
  fillSelect($("map-name"), MAP.map((n) => [n, Fmt.label(n)]), S.mapName);
  if (S.me) $("who").textContent = `${Fmt.t("role")}: ${Fmt.t("roles." + S.me.role)} · ${Fmt.t("scope")}: ${S.me.area_name}`;
}
function fillSelect(sel, options, value) {
  sel.replaceChildren(...options.map(([v, label]) => h("option", { value: v }, label)));
  if (value !== undefined && value !== null) sel.value = value;
}

function periodControls() {
  const kind = periodKind(S.period);
  fillSelect($("kind"), ["month", "quarter", "year"].map((k) => [k, Fmt.t("kinds." + k)]), kind);
  const first = S.me.data.first ? +S.me.data.first.slice(0, 4) : new Date().getFullYear() - 5;
  const last = Math.max(new Date().getFullYear(), +S.period.slice(0, 4));
  const years = [];
  for (let y = last; y >= Math.min(first, +S.period.slice(0, 4)); y--) years.push([String(y), String(y)]);
  fillSelect($("year"), years, S.period.slice(0, 4));
  $("sub-label").hidden = kind === "year";
  if (kind === "month") {
    $("sub-caption").textContent = Fmt.t("month");
    fillSelect($("sub"), Array.from({ length: 12 }, (_, i) => [String(i + 1).padStart(2, "0"), String(i + 1)]), S.period.slice(5, 7));
  } else if (kind === "quarter") {
    $("sub-caption").textContent = Fmt.t("quarter");
    fillSelect($("sub"), ["1", "2", "3", "4"].map((q) => [q, ["I", "II", "III", "IV"][q - 1]]), S.period.slice(6, 7));
  }
  $("known").value = S.known ? Fmt.date(S.known) : "";
}
function periodFromControls() {
  const kind = $("kind").value, y = $("year").value;
  if (kind === "year") return y;
  if (kind === "quarter") return `${y}-Q${/^[1-4]$/.test($("sub").value) ? $("sub").value : "4"}`;
  return `${y}-${/^\d\d$/.test($("sub").value) ? $("sub").value : "12"}`;
}

// ---- drawing helpers ----
function setState(id, state) { $(id).dataset.state = state; }
function fail(id, err) {
  $(id).replaceChildren(h("p", { class: "error" }, Fmt.t("error", { msg: err.message })));
  setState(id, "error");
}
function notice(text) { $("notice").textContent = text || ""; $("notice").hidden = !text; }
function stale(gen) { return gen !== S.gen; }

function drawHeadline(res, gen) {
  const key = `${res.area}|${res.period}|${res.known_on || ""}`;
  const cards = HEADLINE.map((name) => {
    const v = res.values[name];
    return h("div", { class: "card", "data-name": name, "data-value": v === null ? "" : v },
      h("div", { class: "label" }, Fmt.label(name)),
      h("div", { class: "value" }, Fmt.value(name, v)),
      h("div", { class: "delta", "data-delta": name }, "\u00a0"));
  });
  const box = $("headline");
  box.replaceChildren(...cards);
  box.dataset.key = key;
  box.dataset.state = "ready";
  box.dataset.gen = String(gen);
  performance.mark("headline-" + gen);
}
function drawChange(res) {
  $("headline").dataset.change = `${res.area}|${res.period}|${res.known_on || ""}`;
  for (const [name, ch] of Object.entries(res.change)) {
    const cell = document.querySelector(`[data-delta="${CSS.escape(name)}"]`);
    if (!cell || ch.diff === null) continue;
    cell.className = "delta " + (ch.diff > 0 ? "up" : ch.diff < 0 ? "down" : "flat");
    cell.textContent = `${Fmt.signed(name, ch.diff)}${ch.pct === null ? "" : " (" + Fmt.pct(ch.pct) + ")"} ${Fmt.t("vs_prev", { prev: Fmt.period(res.previous) })}`;
  }
}

function drawArea(info) {
  S.info = info;
  const crumbs = info.path.map((p, i) => {
    const last = i === info.path.length - 1;
    const node = p.in_scope && !last ? h("a", { href: "#", "data-code": p.code, onclick: (e) => { e.preventDefault(); go({ area: p.code }); } }, p.name)
      : h("span", { class: last ? "current" : "muted", "data-code": p.code }, p.name);
    return [node, last ? null : h("span", { class: "sep" }, "›")];
  });
  $("crumbs").replaceChildren(...crumbs.flat().filter(Boolean),
    h("span", { class: "level" }, Fmt.t("levels." + info.level)));
  $("crumbs").dataset.code = info.code;
  const opts = [["", info.children.length ? Fmt.t("drill") : "—"], ...info.children.map((c) => [c.code, c.name])];
  fillSelect($("children"), opts, "");
}

function drawTrend(res) {
  const name = res.names[0];
  const series = res.series.map((s) => ({ label: Fmt.periodShort(s.period), title: Fmt.period(s.period), period: s.period, value: s.values[name] }));
  $("trend").replaceChildren(Charts.line(series, name, Fmt.t("trend") + ": " + Fmt.label(name)));
  setState("trend", "ready");
}

function drawPyramid(res) {
  $("pyramid-at").textContent = Fmt.t("pyramid_at", { date: Fmt.date(res.on) });
  $("pyramid").replaceChildren(Charts.pyramid(res.groups, Fmt.t("pyramid")));
  setState("pyramid", "ready");
}

function drawBirths(res) {
  const rows = Object.entries(res.orders).map(([o, c]) => h("tr", { "data-order": o },
    h("th", {}, Fmt.t("orders." + o)), h("td", {}, Fmt.int(c.male)), h("td", {}, Fmt.int(c.female)),
    h("td", {}, Fmt.int(c.total)), h("td", {}, Fmt.value("srb", c.srb))));
  const v = S.headline ? S.headline.values : {};
  const d = S.detail ? S.detail.values : {};
  $("births").replaceChildren(
    h("table", { class: "table" },
      h("thead", {}, h("tr", {}, h("th", {}, Fmt.t("order")), h("th", {}, Fmt.t("male")), h("th", {}, Fmt.t("female")),
        h("th", {}, Fmt.t("total")), h("th", {}, Fmt.t("srb_short")))),
      h("tbody", {}, rows),
      h("tfoot", {}, h("tr", {}, h("th", {}, Fmt.t("total")), h("td", {}, Fmt.int(d.births_male)), h("td", {}, Fmt.int(d.births_female)),
        h("td", { "data-name": "births" }, Fmt.int(v.births)), h("td", { "data-name": "srb" }, Fmt.value("srb", v.srb))))),
    h("p", { class: "kv" }, `${Fmt.label("share_order_3_plus")}: `, h("b", { "data-name": "share_order_3_plus" }, Fmt.value("share_order_3_plus", v.share_order_3_plus))));
  setState("births", "ready");
}

function drawContraception(res) {
  const v = res.values;
  const rows = METHODS.map((m) => ({ label: Fmt.t("methods." + m), name: "contraceptive_users_by_method." + m,
    value: v["contraceptive_users_by_method." + m], cls: m === "traditional" ? "bar trad" : "bar" }));
  const hv = S.headline ? S.headline.values : {};
  $("contra").replaceChildren(
    h("div", { class: "stats" },
      stat("cpr_modern", hv.cpr_modern), stat("married_women_15_49", v.married_women_15_49),
      stat("contraception_new_users", v.contraception_new_users)),
    h("h3", {}, Fmt.t("users_by_method")),
    Charts.bars(rows, Fmt.t("users_by_method")));
  setState("contra", "ready");
}
function stat(name, value, label) {
  return h("div", { class: "stat", "data-name": name, "data-value": value ?? "" },
    h("span", {}, label || Fmt.label(name)), h("b", {}, Fmt.value(name, value)));
}

function drawMigration(res) {
  const names = ["in_migrants", "out_migrants", "net_migration"];
  const row = (n) => h("tr", { "data-name": n, class: res.true[n] !== res.sum_of_communes[n] ? "differs" : "" },
    h("th", {}, Fmt.label(n)), h("td", { class: "true" }, Fmt.int(res.true[n])), h("td", { class: "sum" }, Fmt.int(res.sum_of_communes[n])));
  $("migration").replaceChildren(
    h("table", { class: "table" },
      h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, Fmt.t("migration_true")), h("th", {}, Fmt.t("migration_sum")))),
      h("tbody", {}, names.map(row))),
    h("p", { class: res.differs ? "note warn" : "note" }, res.differs
      ? Fmt.t("migration_note", { n: Fmt.int(res.communes), a: Fmt.int(res.sum_of_communes.in_migrants), b: Fmt.int(res.sum_of_communes.out_migrants) })
      : Fmt.t("migration_same")));
  setState("migration", "ready");
}

function drawMap(res) {
  const { svg, classes } = Charts.map(res.units, res.indicator, (code) => go({ area: code }), Fmt.t("map"));
  $("map").replaceChildren(svg);
  $("map").dataset.area = res.area;
  const items = classes.map((c) => h("li", {}, h("i", { class: "sw " + c.cls }), `≤ ${Fmt.value(res.indicator, c.top)}`));
  $("map-legend").replaceChildren(h("b", {}, `${Fmt.t("legend")}: ${Fmt.label(res.indicator)}`), h("ul", {}, items),
    h("p", { class: "muted" }, `${Fmt.t("levels." + res.level)} · ${Fmt.date(res.on)} · ${res.units.length}`));
  setState("map", "ready");
}

function drawQuality(res) {
  const reasons = Object.entries(res.held_by_reason).sort((a, b) => b[1] - a[1])
    .map(([r, n]) => ({ label: Fmt.reason(r), value: n, name: "held" }));
  const types = Object.entries(res.late_by_type).sort((a, b) => b[1] - a[1])
    .map(([t, n]) => h("tr", {}, h("th", {}, Fmt.type(t)), h("td", {}, Fmt.int(n))));
  const collectors = res.by_collector.map((c) => h("tr", {}, h("th", {}, c.collector || "—"),
    h("td", {}, Fmt.int(c.accepted)), h("td", {}, Fmt.int(c.late)), h("td", {}, Fmt.int(c.held))));
  $("quality").replaceChildren(
    h("div", { class: "stats" }, stat("received", res.received, Fmt.t("received")), stat("accepted", res.accepted, Fmt.t("accepted")),
      stat("held", res.held, Fmt.t("held")), stat("late", res.late, Fmt.t("late")),
      stat("late_share", res.late_share, Fmt.t("late_share")), stat("median_delay_days", res.median_delay_days, Fmt.t("median_delay"))),
    h("h3", {}, Fmt.t("by_reason")), reasons.length ? Charts.bars(reasons, Fmt.t("by_reason")) : h("p", { class: "muted" }, "0"),
    h("div", { class: "cols" },
      h("div", {}, h("h3", {}, Fmt.t("late_by_type")), h("table", { class: "table" }, h("tbody", {}, types))),
      h("div", {}, h("h3", {}, Fmt.t("by_collector")), h("table", { class: "table" },
        h("thead", {}, h("tr", {}, h("th", {}, Fmt.t("collector")), h("th", {}, Fmt.t("accepted")), h("th", {}, Fmt.t("late")), h("th", {}, Fmt.t("held")))),
        h("tbody", {}, collectors)))));
  setState("quality", "ready");
  return res;
}

async function drawPipeline() {
  try {
    const p = await api("/v1/dashboard/pipeline");
    const ok = p.register_lag === 0 && p.projection_lag === 0;
    $("pipeline").replaceChildren(
      h("p", { class: "badge " + (ok ? "ok" : "busy") }, ok ? Fmt.t("caught_up") : Fmt.t("behind")),
      h("div", { class: "stats" }, ...["submitted", "processed", "projected", "register_lag", "projection_lag", "sink_rejects"]
        .map((k) => stat(k, p[k], Fmt.t(k)))),
      h("p", { class: "kv" }, `${Fmt.t("last_accepted")}: `, h("b", {}, Fmt.datetime(p.last_accepted_at))));
    setState("pipeline", "ready");
  } catch (err) { if (err.status !== 401) fail("pipeline", err); }
}

// ---- the report form of the level (printable on A4) ----
function drawReport(info, hv, dv, births, quality) {
  const v = { ...dv.values, ...hv.values };
  const rows = [];
  let no = 0;
  const section = (key) => rows.push(h("tr", { class: "section" }, h("th", { colspan: 3 }, Fmt.t("report_sections." + key))));
  const line = (name, label, value, sub) => rows.push(h("tr", { class: sub ? "sub" : "", "data-name": name },
    h("td", { class: "no" }, sub ? "" : String(++no)), h("td", {}, label || Fmt.label(name)),
    h("td", { class: "num" }, Fmt.value(name, value === undefined ? v[name] : value))));
  section("households");
  line("households"); line("population"); line("population_male", Fmt.t("of_which_male"), undefined, true);
  line("population_female", Fmt.t("of_which_female"), undefined, true); line("women_15_49"); line("married_women_15_49");
  line("children_0_5"); line("youth_10_24"); line("working_age_15_64"); line("elderly_60_plus");
  section("flows");
  line("births"); line("births_male", Fmt.t("of_which_male"), undefined, true);
  line("births_female", Fmt.t("of_which_female"), undefined, true);
  line("births_order_2", Fmt.t("of_which_order2"), births.orders["2"].total, true);
  line("births_order_3_plus", Fmt.t("of_which_order3"), undefined, true);
  line("srb"); line("deaths"); line("marriages");
  line("child_marriages", Fmt.t("of_which_child_marriage"), undefined, true); line("divorces");
  line("in_migrants"); line("out_migrants"); line("net_migration"); line("cbr"); line("cdr"); line("tfr");
  section("fp");
  line("contraception_new_users"); line("cpr_modern");
  for (const m of METHODS) line("contraceptive_users_by_method." + m, "– " + Fmt.t("methods." + m), undefined, true);
  section("quality");
  line("received", Fmt.t("received"), quality.received); line("accepted", Fmt.t("accepted"), quality.accepted);
  line("held", Fmt.t("held"), quality.held); line("late", Fmt.t("late"), quality.late);
  const today = new Date().toISOString().slice(0, 10);
  const place = info.path.length > 1 ? info.path[info.path.length - 1].name : info.name;
  $("sheet").replaceChildren(
    h("header", {},
      h("div", { class: "form-head" }, h("b", {}, info.name), h("span", {}, Fmt.t("levels." + info.level))),
      h("h3", { id: "report-title" }, Fmt.t("report_forms." + info.level)),
      h("p", {}, Fmt.t("report_period", { period: Fmt.period(hv.period) })),
      h("p", {}, Fmt.t("report_unit", { name: info.path.map((p) => p.name).join(" – ") })),
      hv.known_on ? h("p", {}, Fmt.t("report_known", { date: Fmt.date(hv.known_on) })) : null),
    h("table", { class: "form" },
      h("thead", {}, h("tr", {}, h("th", { class: "no" }, Fmt.t("report_cols.no")), h("th", {}, Fmt.t("report_cols.item")), h("th", { class: "num" }, Fmt.t("report_cols.value")))),
      h("tbody", {}, rows)),
    h("p", { class: "made" }, Fmt.t("report_made", { place, d: today.slice(8, 10), m: today.slice(5, 7), y: today.slice(0, 4) })),
    h("div", { class: "signs" },
      h("div", {}, h("b", {}, Fmt.t("report_maker")), h("i", {}, Fmt.t("report_sign"))),
      h("div", {}, h("b", {}, Fmt.t("report_head")), h("i", {}, Fmt.t("report_sign")))),
    h("p", { class: "source" }, Fmt.t("report_source")));
  setState("sheet", "ready");
}

// ---- one render: headline first, then every panel as its answer arrives ----
function headlineRequest(area, q) {
  const url = `/v1/indicators?area=${area}&${q}&names=${HEADLINE.join(",")}`;
  const early = window.POPREG_EARLY;
  window.POPREG_EARLY = null;
  // The request index.html made before this script loaded, when it asked for the same figures.
  return early && early.url === url ? early.response.then(answer) : api(url);
}

// ---- one render: the headline alone first (on 2 cores, anything beside it slows it down),
// then every panel as its answer arrives ----
async function render() {
  readHash();
  translate();
  periodControls();
  forecastControls();
  if (!($("forecast").dataset.key || "").startsWith(`${S.area}|`)) {  // another area: asked for again on demand
    $("forecast").replaceChildren();
    $("forecast").dataset.key = "";
    $("forecast-base").textContent = "";
    setState("forecast", "idle");
  }
  const gen = ++S.gen;
  const area = S.area, q = query({});
  for (const id of ["headline", "trend", "pyramid", "births", "contra", "migration", "quality", "map", "sheet"]) setState(id, "loading");
  delete $("headline").dataset.change;
  const early = S.prefetch && S.prefetch.key === `${area}&${q}` ? S.prefetch.promise : null;
  S.prefetch = null;
  try {
    S.headline = await (early || headlineRequest(area, q));
    if (stale(gen)) return;
    drawHeadline(S.headline, gen);
  } catch (err) {
    if (stale(gen)) return;
    if (err.status === 403 && area !== S.me.area) {
      S.forbiddenNotice = Fmt.t("forbidden", { code: area, scope: S.me.area_name });
      go({ area: S.me.area });
      return;
    }
    fail("headline", err);
    return;
  }
  notice(S.forbiddenNotice || "");
  S.forbiddenNotice = null;
  api(`/v1/areas/${area}/change?${q}&names=${HEADLINE.join(",")}`).then((res) => !stale(gen) && drawChange(res)).catch(() => {});
  const infoDone = api(`/v1/areas/${area}?on=${periodEnd(S.period)}`).then((res) => { if (!stale(gen)) drawArea(res); return res; });
  const detail = api(`/v1/indicators?area=${area}&${q}&names=${DETAIL.join(",")}`)
    .then((res) => { if (!stale(gen)) { S.detail = res; drawContraception(res); } return res; });
  const births = api(`/v1/areas/${area}/births?${q}`).then((res) => { detail.then(() => !stale(gen) && drawBirths(res)); return res; });
  const quality = api(`/v1/areas/${area}/quality?${q}`).then((res) => (stale(gen) ? res : drawQuality(res)));
  const guard = (id, p, draw) => p.then((res) => !stale(gen) && draw(res)).catch((err) => !stale(gen) && fail(id, err));
  guard("pyramid", api(`/v1/areas/${area}/pyramid?${q}`), drawPyramid);
  guard("migration", api(`/v1/areas/${area}/migration?${q}`), drawMigration);
  loadTrend(gen);
  loadMap(gen);
  drawPipeline();
  try {
    const all = await Promise.all([infoDone, detail, births, quality]);
    if (!stale(gen)) drawReport(all[0], S.headline, all[1], all[2], all[3]);
  } catch (err) {
    if (!stale(gen)) for (const id of ["sheet", "contra", "births", "quality"]) if ($(id).dataset.state === "loading") fail(id, err);
  }
}
// ---- forecast (GET /v1/forecasts): asked for on demand, the first computation takes seconds ----
const FORECAST_SCENARIOS = ["constant", "strategy", "zero_migration"];
const FORECAST_HORIZONS = [10, 20, 25];
function forecastBase() {
  // the end of the chosen period, or yesterday if that is still to come
  const end = periodEnd(S.period), today = new Date().toISOString().slice(0, 10);
  if (end < today) return end;
  const d = new Date(); d.setDate(d.getDate() - 1);
  return d.toISOString().slice(0, 10);
}
function fmtBand(s, digits) {
  if (!s || s.expected === null || s.expected === undefined) return "—";
  const f = (v) => (digits ? Fmt.value("tfr", Math.round(v * 100) / 100) : Fmt.int(Math.round(v)));
  const mid = s.median ?? s.expected;
  return s.lower_80 === undefined || s.lower_80 === null ? f(mid) : `${f(mid)} (${f(s.lower_80)}–${f(s.upper_80)})`;
}
function drawForecast(res) {
  const bp = res.base_period;
  $("forecast-base").textContent = Fmt.t("forecast_base", { date: Fmt.date(res.base), from: Fmt.date(bp.from), to: Fmt.date(bp.to) });
  const rows = res.years.filter((y, i) => i === 0 || i % 5 === 0 || i === res.years.length - 1).map((y) =>
    h("tr", { "data-year": y.year },
      h("th", {}, String(y.year)),
      h("td", { "data-name": "population", "data-value": y.population.median ?? y.population.expected }, fmtBand(y.population)),
      h("td", {}, y.births ? fmtBand(y.births) : "—"), h("td", {}, y.deaths ? fmtBand(y.deaths) : "—"),
      h("td", {}, y.tfr ? Fmt.value("tfr", Math.round(y.tfr.expected * 100) / 100) : "—")));
  const targets = res.strategy.map((t) => h("tr", { "data-indicator": t.indicator },
    h("th", {}, Fmt.t("forecast_targets_names." + t.indicator)), h("td", {}, Fmt.t("forecast_target_text." + t.indicator)),
    h("td", {}, t.value_2030 === null ? "—" : Fmt.value("tfr", Math.round(t.value_2030 * 100) / 100)),
    h("td", { class: t.first_year_met ? "" : "muted", "data-year": t.first_year_met || "" }, t.first_year_met ? String(t.first_year_met) : Fmt.t("forecast_not_met"))));
  const warn = res.warnings.map((w) => h("li", {}, w));
  $("forecast").replaceChildren(
    Charts.fan(res.years, Fmt.t("forecast_fan")),
    h("div", { class: "forecast-tables" },
      h("table", { class: "table", id: "forecast-years" },
        h("thead", {}, h("tr", {}, h("th", {}, Fmt.t("forecast_year")), h("th", {}, Fmt.t("forecast_population")),
          h("th", {}, Fmt.t("forecast_births")), h("th", {}, Fmt.t("forecast_deaths")), h("th", {}, Fmt.t("forecast_tfr")))),
        h("tbody", {}, rows)),
      h("table", { class: "table", id: "forecast-targets" },
        h("caption", {}, Fmt.t("forecast_targets")),
        h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, Fmt.t("forecast_target")), h("th", {}, Fmt.t("forecast_value_2030")),
          h("th", {}, Fmt.t("forecast_first_met")))),
        h("tbody", {}, targets))),
    warn.length ? h("ul", { class: "muted" }, warn) : "");
  $("forecast").dataset.key = `${res.area}|${res.base}|${res.scenario}|${res.horizon}`;
  setState("forecast", "ready");
}
function loadForecast() {
  const gen = S.gen;
  setState("forecast", "loading");
  const p = new URLSearchParams({ area: S.area, base: forecastBase(), horizon: $("forecast-horizon").value,
    scenario: $("forecast-scenario").value, sims: 300 });
  if (S.known) p.set("known_on", S.known);
  api(`/v1/forecasts?${p.toString()}`).then((res) => !stale(gen) && drawForecast(res)).catch((err) => !stale(gen) && fail("forecast", err));
}
function forecastControls() {
  fillSelect($("forecast-scenario"), FORECAST_SCENARIOS.map((k) => [k, Fmt.t("forecast_scenarios." + k)]), $("forecast-scenario").value || "constant");
  fillSelect($("forecast-horizon"), FORECAST_HORIZONS.map((n) => [String(n), String(n)]), $("forecast-horizon").value || "10");
}

function loadTrend(gen) {
  setState("trend", "loading");
  api(`/v1/areas/${S.area}/trend?${query({ names: S.trendName, count: TREND_COUNT[periodKind(S.period)] })}`)
    .then((res) => !stale(gen) && drawTrend(res)).catch((err) => !stale(gen) && fail("trend", err));
}
function loadMap(gen) {
  setState("map", "loading");
  api(`/v1/areas/${S.area}/map?${query({ indicator: S.mapName, units: S.mapCurrent ? "current" : "period" })}`)
    .then((res) => !stale(gen) && drawMap(res)).catch((err) => !stale(gen) && fail("map", err));
}

// ---- search ----
let searchTimer = null;
function onSearch() {
  clearTimeout(searchTimer);
  const text = $("q").value.trim();
  if (!text) { $("hits").hidden = true; return; }
  searchTimer = setTimeout(async () => {
    try {
      const res = await api(`/v1/areas/search?q=${encodeURIComponent(text)}&on=${periodEnd(S.period)}&limit=12`);
      if ($("q").value.trim() !== text) return;
      const items = res.results.map((a) => h("li", { role: "option", tabindex: 0, "data-code": a.code,
        onclick: () => pick(a.code), onkeydown: (e) => e.key === "Enter" && pick(a.code) },
        h("b", {}, a.name), " ", h("span", { class: "muted" }, [Fmt.t("levels." + a.level), ...a.path].join(" · "))));
      $("hits").replaceChildren(...(items.length ? items : [h("li", { class: "muted" }, Fmt.t("no_hits"))]));
      $("hits").hidden = false;
    } catch (err) { if (err.status !== 401) notice(Fmt.t("error", { msg: err.message })); }
  }, 180);
}
function pick(code) { $("hits").hidden = true; $("q").value = ""; go({ area: code }); }

// ---- person view (only for roles that may read names) ----
async function lookUpPerson(e) {
  e.preventDefault();
  const id = $("person-id").value.trim();
  if (!id) return;
  try {
    const [rec, hist] = await Promise.all([api(`/v1/persons/${encodeURIComponent(id)}`), api(`/v1/persons/${encodeURIComponent(id)}/history`)]);
    const fields = ["person_id", "status", "full_name", "sex", "birth_date", "national_id", "household_id", "commune", "relation", "marital_status", "entered_on", "left_on", "death_on"];
    $("person").replaceChildren(
      h("table", { class: "table" }, h("tbody", {}, fields.filter((f) => rec[f] !== null && rec[f] !== undefined)
        .map((f) => h("tr", {}, h("th", {}, f), h("td", {}, /_on$|_date$/.test(f) ? Fmt.date(rec[f]) : rec[f]))))),
      h("h3", {}, Fmt.t("person_events")),
      h("table", { class: "table" }, h("tbody", {}, (hist.events || []).map((ev) => h("tr", {},
        h("td", {}, Fmt.date(ev.occurred_on)), h("td", {}, Fmt.type(ev.type)), h("td", {}, ev.commune))))));
  } catch (err) {
    if (err.status !== 401) $("person").replaceChildren(h("p", { class: "error" }, Fmt.t("person_none")));
  }
}

// ---- sign in / out ----
async function start() {
  // A bookmarked area and period: ask for the headline while /me answers.
  const q = new URLSearchParams(location.hash.slice(1));
  if (q.get("area") && q.get("period")) {
    S.area = q.get("area"); S.period = q.get("period"); S.known = q.get("known") || null;
    const promise = headlineRequest(S.area, query({}));
    promise.catch(() => {});
    S.prefetch = { key: `${S.area}&${query({})}`, promise };
  }
  const early = window.POPREG_ME;
  window.POPREG_ME = null;
  try {
    // index.html asked already when the page opened with this token
    S.me = await (early && early.token === S.token ? early.response.then(answer) : api("/v1/dashboard/me"));
  } catch (err) {
    if (err.status !== 401) { $("login-error").textContent = Fmt.t("error", { msg: err.message }); $("login-error").hidden = false; showLogin(); }
    return;
  }
  $("login").hidden = true;
  $("main").hidden = false;
  $("logout").hidden = false;
  $("who").hidden = false;
  $("p-person").hidden = !S.me.may_read_persons;
  readHash();
  if (!location.hash) go({}); else render();
  clearInterval(S.timer);
  S.timer = setInterval(drawPipeline, 15000);
}
function showLogin() {
  $("main").hidden = true; $("logout").hidden = true; $("who").hidden = true; $("login").hidden = false;
  $("token").focus();
}
function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  S.token = null; S.me = null;
  clearInterval(S.timer);
  $("login-error").textContent = message || "";
  $("login-error").hidden = !message;
  showLogin();
}

function wire() {
  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    S.token = $("token").value.trim();
    sessionStorage.setItem(TOKEN_KEY, S.token);
    $("token").value = "";
    start();
  });
  $("logout").addEventListener("click", () => signOut());
  $("lang").addEventListener("click", () => { Fmt.lang = Fmt.lang === "vi" ? "en" : "vi"; localStorage.setItem("popreg.lang", Fmt.lang); if (S.me) go({ lang: Fmt.lang }); else translate(); });
  $("children").addEventListener("change", (e) => e.target.value && go({ area: e.target.value }));
  $("q").addEventListener("input", onSearch);
  $("q").addEventListener("keydown", (e) => { if (e.key === "Escape") $("hits").hidden = true; });
  $("kind").addEventListener("change", () => {
    // The new kind's period that holds the end of the current one (June -> Q2 -> the year).
    const y = S.period.slice(0, 4), k = $("kind").value, end = periodEnd(S.period);
    const month = +end.slice(5, 7);
    go({ period: k === "year" ? y : k === "quarter" ? `${y}-Q${Math.ceil(month / 3)}` : `${y}-${end.slice(5, 7)}` });
  });
  for (const id of ["year", "sub"]) $(id).addEventListener("change", () => go({ period: periodFromControls() }));
  const applyKnown = () => {
    const text = $("known").value.trim();
    if (!text) { go({ known: null }); return; }
    const iso = Fmt.parseDate(text);
    if (!iso) { notice(Fmt.t("known_bad")); return; }
    go({ known: iso });
  };
  $("apply").addEventListener("click", applyKnown);
  $("known").addEventListener("keydown", (e) => e.key === "Enter" && applyKnown());
  $("trend-name").addEventListener("change", (e) => { S.trendName = e.target.value; loadTrend(S.gen); });
  $("forecast-run").addEventListener("click", loadForecast);
  $("map-name").addEventListener("change", (e) => { S.mapName = e.target.value; loadMap(S.gen); });
  $("map-current").addEventListener("change", (e) => { S.mapCurrent = e.target.checked; loadMap(S.gen); });
  $("print").addEventListener("click", () => window.print());
  $("person-form").addEventListener("submit", lookUpPerson);
  window.addEventListener("hashchange", () => S.me && render());
}

document.addEventListener("DOMContentLoaded", () => {
  Fmt.lang = localStorage.getItem("popreg.lang") === "en" ? "en" : "vi";
  wire();
  translate();
  S.token = sessionStorage.getItem(TOKEN_KEY);
  if (S.token) start(); else showLogin();
});
