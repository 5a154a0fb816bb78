// SVG drawing for the dashboard: line chart, population pyramid, bar list, and the population map
// drawn from commune centroids (no tile server: the points are the map). Values are drawn as the
// API gives them; only their positions and colours are computed here.
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";

function el(tag, attrs, text) {
  const node = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function svgBox(width, height, label) {
  return el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label, class: "chart" });
}

// A "nice" top for an axis: 1, 2 or 5 times a power of ten.
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const Charts = {
  // series: [{label, value}], name: the indicator (formats the numbers)
  line(series, name, label) {
    const W = 640, H = 240, L = 64, R = 16, T = 16, B = 40;
    const svg = svgBox(W, H, label);
    const vals = series.map((s) => s.value).filter((v) => v !== null && v !== undefined);
    if (!vals.length) {
      svg.appendChild(el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "muted" }, Fmt.t("no_data")));
      return svg;
    }
    const lo = Math.min(0, ...vals), hi = niceMax(Math.max(...vals));
    const x = (i) => L + (series.length === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (series.length - 1));
    const y = (v) => T + ((hi - v) * (H - T - B)) / (hi - lo || 1);
    for (let k = 0; k <= 4; k++) {
      const v = lo + ((hi - lo) * k) / 4;
      svg.appendChild(el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "grid" }));
      svg.appendChild(el("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, Fmt.value(name, Number.isInteger(v) ? v : Math.round(v * 100) / 100)));
    }
    const step = Math.ceil(series.length / 8);
    series.forEach((s, i) => {
      if (i % step === 0 || i === series.length - 1) {
        svg.appendChild(el("text", { x: x(i), y: H - B + 18, "text-anchor": "middle", class: "tick" }, s.label));
      }
    });
    let d = "";
    series.forEach((s, i) => {
      if (s.value === null || s.value === undefined) return;
      d += (d ? " L" : "M") + x(i).toFixed(1) + " " + y(s.value).toFixed(1);
    });
    svg.appendChild(el("path", { d, class: "line" }));
    series.forEach((s, i) => {
      if (s.value === null || s.value === undefined) return;
      const dot = el("circle", { cx: x(i), cy: y(s.value), r: 3.5, class: "dot", "data-period": s.period, "data-value": s.value });
      dot.appendChild(el("title", {}, `${s.title}: ${Fmt.value(name, s.value)}`));
      svg.appendChild(dot);
    });
    return svg;
  },

  // A fan chart: years [{year, population: {median, lower_80, upper_80, lower_95, upper_95, expected}}].
  fan(years, label) {
    const W = 640, H = 260, L = 70, R = 16, T = 16, B = 36;
    const svg = svgBox(W, H, label);
    const pick = (y, k) => (y.population[k] ?? y.population.expected);
    const lo = Math.min(...years.map((y) => pick(y, "lower_95"))), hi = Math.max(...years.map((y) => pick(y, "upper_95")));
    const pad = (hi - lo) * 0.08 || Math.max(1, hi * 0.02);
    const y0 = Math.max(0, lo - pad), y1 = hi + pad;
    const x = (i) => L + (years.length === 1 ? 0 : (i * (W - L - R)) / (years.length - 1));
    const y = (v) => T + ((y1 - v) * (H - T - B)) / (y1 - y0 || 1);
    for (let k = 0; k <= 4; k++) {
      const v = y0 + ((y1 - y0) * k) / 4;
      svg.appendChild(el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "grid" }));
      svg.appendChild(el("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, Fmt.int(Math.round(v))));
    }
    const band = (a, b, cls) => {
      const top = years.map((yr, i) => `${x(i).toFixed(1)} ${y(pick(yr, b)).toFixed(1)}`);
      const bottom = years.map((yr, i) => `${x(i).toFixed(1)} ${y(pick(yr, a)).toFixed(1)}`).reverse();
      svg.appendChild(el("path", { d: "M" + top.join(" L") + " L" + bottom.join(" L") + " Z", class: cls }));
    };
    band("lower_95", "upper_95", "fan95");
    band("lower_80", "upper_80", "fan80");
    svg.appendChild(el("path", { d: "M" + years.map((yr, i) => `${x(i).toFixed(1)} ${y(pick(yr, "median")).toFixed(1)}`).join(" L"), class: "line" }));
    const step = Math.ceil(years.length / 10);
    years.forEach((yr, i) => {
      if (i % step === 0 || i === years.length - 1) {
        svg.appendChild(el("text", { x: x(i), y: H - B + 18, "text-anchor": "middle", class: "tick" }, String(yr.year)));
      }
      const dot = el("circle", { cx: x(i), cy: y(pick(yr, "median")), r: 3, class: "dot", "data-year": yr.year, "data-value": pick(yr, "median") });
      dot.appendChild(el("title", {}, `${yr.year}: ${Fmt.int(Math.round(pick(yr, "median")))} (${Fmt.int(Math.round(pick(yr, "lower_80")))}–${Fmt.int(Math.round(pick(yr, "upper_80")))})`));
      svg.appendChild(dot);
    });
    return svg;
  },

  // groups: [{group, male, female}] youngest first; drawn oldest at the top.
  pyramid(groups, label) {
    const W = 640, H = 340, mid = W / 2, T = 10, B = 28, gap = 34;
    const svg = svgBox(W, H, label);
    const max = niceMax(Math.max(1, ...groups.map((g) => Math.max(g.male, g.female))));
    const rowH = (H - T - B) / groups.length;
    const w = (v) => (v * (mid - gap - 8)) / max;
    groups.slice().reverse().forEach((g, i) => {
      const yy = T + i * rowH;
      const name = g.group.replace("_plus", "+").replace("_", "–");
      const m = el("rect", { x: mid - gap - w(g.male), y: yy + 1, width: w(g.male), height: rowH - 2, class: "male", "data-group": g.group, "data-male": g.male });
      m.appendChild(el("title", {}, `${Fmt.t("male")} ${name}: ${Fmt.int(g.male)}`));
      const f = el("rect", { x: mid + gap, y: yy + 1, width: w(g.female), height: rowH - 2, class: "female", "data-group": g.group, "data-female": g.female });
      f.appendChild(el("title", {}, `${Fmt.t("female")} ${name}: ${Fmt.int(g.female)}`));
      svg.append(m, f, el("text", { x: mid, y: yy + rowH / 2 + 4, "text-anchor": "middle", class: "tick" }, name));
    });
    svg.appendChild(el("text", { x: mid - gap, y: H - 8, "text-anchor": "end", class: "legend-male" }, `◀ ${Fmt.t("male")}`));
    svg.appendChild(el("text", { x: mid + gap, y: H - 8, class: "legend-female" }, `${Fmt.t("female")} ▶`));
    svg.appendChild(el("text", { x: 4, y: H - 8, class: "tick" }, Fmt.int(max)));
    svg.appendChild(el("text", { x: W - 4, y: H - 8, "text-anchor": "end", class: "tick" }, Fmt.int(max)));
    return svg;
  },

  // rows: [{label, value, name}] as horizontal bars with the formatted figure beside each.
  bars(rows, label) {
    const W = 640, rowH = 26, L = 210, R = 90;
    const H = Math.max(rowH, rows.length * rowH) + 8;
    const svg = svgBox(W, H, label);
    const max = Math.max(1, ...rows.map((r) => r.value || 0));
    rows.forEach((r, i) => {
      const yy = 4 + i * rowH;
      svg.appendChild(el("text", { x: L - 8, y: yy + rowH / 2 + 4, "text-anchor": "end", class: "tick" }, r.label));
      const bar = el("rect", { x: L, y: yy + 4, width: ((r.value || 0) * (W - L - R)) / max, height: rowH - 8, class: r.cls || "bar", "data-name": r.name, "data-value": r.value });
      bar.appendChild(el("title", {}, `${r.label}: ${Fmt.value(r.name, r.value)}`));
      svg.appendChild(bar);
      svg.appendChild(el("text", { x: L + ((r.value || 0) * (W - L - R)) / max + 6, y: yy + rowH / 2 + 4, class: "tick" }, Fmt.value(r.name, r.value)));
    });
    return svg;
  },

  // Colour classes by quantile; counts also sized by area. points: [{code, name, lat, lon, value}]
  map(points, name, onPick, label) {
    const W = 640, H = 520, pad = 18;
    const svg = svgBox(W, H, label);
    const placed = points.filter((p) => p.lat !== null && p.lon !== null);
    if (!placed.length) {
      svg.appendChild(el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "muted" }, Fmt.t("map_no_coords")));
      return { svg, classes: [] };
    }
    const lats = placed.map((p) => p.lat), lons = placed.map((p) => p.lon);
    const latMid = ((Math.min(...lats) + Math.max(...lats)) / 2) * (Math.PI / 180);
    // Equirectangular with cos(latitude): right shapes at a province's or the country's scale.
    const px = (p) => p.lon * Math.cos(latMid), py = (p) => -p.lat;
    const x0 = Math.min(...placed.map(px)), x1 = Math.max(...placed.map(px));
    const y0 = Math.min(...placed.map(py)), y1 = Math.max(...placed.map(py));
    const s = Math.min((W - 2 * pad) / (x1 - x0 || 1), (H - 2 * pad) / (y1 - y0 || 1));
    const ox = (W - s * (x1 - x0)) / 2, oy = (H - s * (y1 - y0)) / 2;
    const vals = placed.map((p) => p.value).filter((v) => typeof v === "number").sort((a, b) => a - b);
    // Quantile breaks (at most five, repeated values merged), spread over the five colours.
    const quantiles = [];
    for (let k = 1; k <= 5 && vals.length; k++) quantiles.push(vals[Math.min(vals.length - 1, Math.ceil((k * vals.length) / 5) - 1)]);
    const breaks = [...new Set(quantiles)];
    const colour = (i) => "c" + (breaks.length === 1 ? 4 : Math.round((i * 4) / (breaks.length - 1)));
    const classes = breaks.map((top, i) => ({ top, cls: colour(i) }));
    const cls = (v) => {
      if (typeof v !== "number") return "c-none";
      const i = breaks.findIndex((b) => v <= b);
      return colour(i < 0 ? breaks.length - 1 : i);
    };
    const maxAbs = Math.max(1, ...vals.map(Math.abs));
    const counts = !PERCENT.has(name) && !DECIMAL1.has(name) && !DECIMAL2.has(name);
    const rad = (v) => (counts && typeof v === "number" ? 3 + 11 * Math.sqrt(Math.abs(v) / maxAbs) : 6);
    svg.appendChild(el("rect", { x: 0, y: 0, width: W, height: H, class: "map-bg" }));
    placed.slice().sort((a, b) => (b.value || 0) - (a.value || 0)).forEach((p) => {
      const c = el("circle", {
        cx: (ox + s * (px(p) - x0)).toFixed(1), cy: (oy + s * (py(p) - y0)).toFixed(1), r: rad(p.value).toFixed(1),
        class: "unit " + cls(p.value), tabindex: 0, "data-code": p.code, "data-value": p.value === null ? "" : p.value,
      });
      c.appendChild(el("title", {}, `${p.name}: ${Fmt.value(name, p.value)}`));
      c.addEventListener("click", () => onPick(p.code));
      c.addEventListener("keydown", (e) => { if (e.key === "Enter") onPick(p.code); });
      svg.appendChild(c);
    });
    return { svg, classes };
  },
};
window.Charts = Charts;
