"""PNG figures of the analyses (matplotlib, Agg backend: no display needed). Each function writes
one file and returns (file name, caption) for the HTML page; none shows a person."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

from analyses.survival import Curve  # noqa: E402

Figure = tuple[str, str]


def _save(fig, out: Path, name: str) -> str:
    fig.tight_layout()
    fig.savefig(out / name, dpi=110, metadata={"Software": "popreg analyses"})
    plt.close(fig)
    return name


def pyramid(stock: pl.DataFrame, out: Path, when: str) -> Figure:
    groups = stock.with_columns(g=pl.min_horizontal(pl.col("age") // 5, 16)).group_by(["g", "sex"]).len()
    labels = [f"{5 * g}-{5 * g + 4}" if g < 16 else "80+" for g in range(17)]
    count = {(g, s): n for g, s, n in groups.iter_rows()}
    men = np.array([count.get((g, "M"), 0) for g in range(17)])
    women = np.array([count.get((g, "F"), 0) for g in range(17)])
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.barh(labels, -men, color="#4477aa", label="men")
    ax.barh(labels, women, color="#cc6677", label="women")
    ax.set_xlabel("persons")
    ax.legend()
    ax.set_title(f"Population by age and sex, {when}")
    return _save(fig, out, "pyramid.png"), f"Population pyramid of the persons living in the area at the end of {when}."


def asfr_curves(asfr: pl.DataFrame, out: Path) -> Figure:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (year,), part in sorted(asfr.group_by(["year"]), key=lambda x: x[0]):
        part = part.sort("age_group")
        ax.plot(part["age_group"], part["asfr"], marker="o", label=str(year))
    ax.set_xlabel("age of mother")
    ax.set_ylabel("births per 1,000 woman-years")
    ax.legend(fontsize=7, ncol=2)
    ax.set_title("Age-specific fertility rates by year")
    return _save(
        fig, out, "asfr_by_year.png"
    ), "ASFR by five-year age group, one line per calendar year (births / woman-years × 1,000)."


def tfr_trend(tfr: pl.DataFrame, out: Path) -> Figure:
    t = tfr.filter(pl.col("tfr").is_not_null()).sort("year")
    fig, ax = plt.subplots(figsize=(7, 4))
    if t.height:
        y = t["tfr"].to_numpy()
        err = np.vstack([y - t["tfr_ci_low"].to_numpy(), t["tfr_ci_high"].to_numpy() - y])
        ax.errorbar(t["year"].to_numpy(), y, yerr=err, marker="o", capsize=4)
    ax.axhline(2.1, color="grey", linestyle=":", label="replacement 2.1")
    ax.set_ylabel("children per woman")
    ax.legend()
    ax.set_title("Total fertility rate with 95% interval")
    return _save(
        fig, out, "tfr_trend.png"
    ), "TFR by year with a 95% interval (Var = 25 Σ B/E²); years lacking exposure in an age group are left out."


def ppr_bars(ppr: pl.DataFrame, out: Path) -> Figure:
    fig, ax = plt.subplots(figsize=(6.5, 4))
    rows = ppr.to_dicts()
    vals, lows, highs, labels = [], [], [], []
    for r in rows:
        key = "ppr_by_50" if r["parity"] == 0 else "ppr_5y"
        v = r.get(key)
        vals.append(np.nan if v is None else v)
        lows.append(0 if v is None or r.get(key + "_ci_low") is None else v - r[key + "_ci_low"])
        highs.append(0 if v is None or r.get(key + "_ci_high") is None else r[key + "_ci_high"] - v)
        labels.append(f"{r['parity']}→{r['parity'] + 1}")
    ax.bar(labels, vals, yerr=[lows, highs], capsize=4, color="#117733")
    ax.set_ylim(0, 1)
    ax.set_ylabel("progression ratio")
    ax.set_title("Life-table parity progression ratios")
    return _save(fig, out, "ppr.png"), (
        "PPR from Kaplan–Meier: 0→1 by age 50 (from age 15), k→k+1 within 5 years of birth k; "
        "censored at end of observation, death or emigration; left-truncated for in-migrants and earlier births."
    )


def km_curves(
    curves: dict[str, Curve], prefix: str, out: Path, name: str, title: str, xlabel: str, caption: str
) -> Figure:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for key, c in sorted(curves.items()):
        if not key.startswith(prefix) or c.n == 0:
            continue
        ax.step(c.times, c.surv, where="post", label=f"{key[len(prefix) :]} (n={c.n})")
        ax.fill_between(c.times, c.low, c.high, step="post", alpha=0.15)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("proportion not yet ended")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    ax.set_title(title)
    return _save(fig, out, name), caption


def srb_points(srb: pl.DataFrame, key: str, out: Path, name: str, title: str) -> Figure:
    s = srb.filter(pl.col("srb").is_not_null())
    fig, ax = plt.subplots(figsize=(7, 4))
    if s.height:
        y = s["srb"].to_numpy()
        lo = np.nan_to_num(s["ci_low"].to_numpy(), nan=0.0)
        hi = np.nan_to_num(s["ci_high"].to_numpy(), nan=0.0)
        ax.errorbar([str(v) for v in s[key].to_list()], y, yerr=[y - lo, np.maximum(hi - y, 0)], fmt="o", capsize=4)
    ax.axhline(105, color="grey", linestyle=":", label="biological norm ~105")
    ax.set_ylabel("boys per 100 girls")
    ax.tick_params(axis="x", labelrotation=20, labelsize=8)
    ax.legend()
    ax.set_title(title)
    return _save(fig, out, name), f"{title}, with 95% Wilson intervals on the share of boys."


def od_heatmap(matrix: pl.DataFrame, level: str, out: Path) -> Figure:
    fig, ax = plt.subplots(figsize=(7, 6))
    if matrix.height and matrix.width > 1:
        long = matrix.unpivot(index="origin", variable_name="destination", value_name="moves")
        gross: dict[str, int] = {}
        for o, d, n in long.iter_rows():
            gross[o] = gross.get(o, 0) + n
            gross[d] = gross.get(d, 0) + n
        units = sorted(sorted(gross, key=lambda u: -gross[u])[:30])  # one order for rows and columns
        pos = {u: i for i, u in enumerate(units)}
        data = np.zeros((len(units), len(units)))
        for o, d, n in long.iter_rows():
            if o in pos and d in pos:
                data[pos[o], pos[d]] += n
        im = ax.imshow(np.log1p(data), cmap="viridis")
        ax.set_xticks(range(len(units)), units, rotation=90, fontsize=6)
        ax.set_yticks(range(len(units)), units, fontsize=6)
        fig.colorbar(im, ax=ax, label="log(1 + moves)")
    ax.set_xlabel("destination")
    ax.set_ylabel("origin")
    ax.set_title(f"Origin–destination moves, {level} level")
    return _save(fig, out, f"od_{level}.png"), (
        f"Person-moves crossing a {level} boundary, origin (rows) by destination "
        "(columns), whole range; the 30 units with the most moves in or out."
    )


def schedule(sched: pl.DataFrame, level: str, out: Path) -> Figure:
    fig, ax = plt.subplots(figsize=(7, 4))
    for sex, colour in (("M", "#4477aa"), ("F", "#cc6677")):
        part = sched.filter((pl.col("sex") == sex) & (pl.col("age") <= 90)).sort("age")
        ax.plot(part["age"], part[f"out_rate_{level}"], color=colour, label="men" if sex == "M" else "women")
    ax.set_xlabel("age")
    ax.set_ylabel("moves per 1,000 person-years")
    ax.legend()
    ax.set_title(f"Migration age schedule (moves crossing a {level} boundary)")
    return _save(
        fig, out, f"migration_schedule_{level}.png"
    ), f"Out-migration rate by single age and sex, moves crossing a {level} boundary per 1,000 person-years."


def trajectory_figure(t: dict, path: Path) -> Path:
    """A person's episodes as coloured bars on four lanes; births as triangles."""
    from datetime import date as _d

    end = _d.fromisoformat(t.get("observed_until") or t["birth_date"])

    def span(a: str | None, b: str | None) -> tuple[float, float] | None:
        if a is None:
            return None
        x0 = _d.fromisoformat(a).toordinal()
        x1 = _d.fromisoformat(b).toordinal() if b else end.toordinal()
        return x0, max(x1 - x0, 1)

    lanes = [("residence", "commune"), ("union", "status"), ("parity", "parity"), ("contraception", "method")]
    cmap = plt.get_cmap("tab20")
    fig, ax = plt.subplots(figsize=(9, 3.2))
    for y, (lane, field) in enumerate(lanes):
        values = sorted({str(e[field]) for e in t.get(lane, [])})
        for e in t.get(lane, []):
            s = span(e.get("from") or e.get("known_from"), e.get("to"))
            if s:
                ax.broken_barh([s], (y - 0.35, 0.7), color=cmap(values.index(str(e[field])) % 20))
                ax.text(s[0] + s[1] / 2, y, str(e[field]), ha="center", va="center", fontsize=7)
    for b in t.get("childbearing", []):
        ax.plot(_d.fromisoformat(b["date"]).toordinal(), 2.45, marker="v", color="black")
    ax.set_yticks(range(len(lanes)), [lane for lane, _ in lanes])
    starts = [
        s[0]
        for lane, _ in lanes
        for e in t.get(lane, [])
        if (s := span(e.get("from") or e.get("known_from"), e.get("to")))
    ]
    first = _d.fromordinal(min(starts)) if starts else end
    ticks = [_d(y, 1, 1).toordinal() for y in range(first.year, end.year + 2)]
    ax.set_xticks(ticks, [str(_d.fromordinal(x).year) for x in ticks], fontsize=8)
    ax.set_xlim(ticks[0], ticks[-1])
    ax.set_title(f"Trajectory ({t['sex']}, born {t['birth_date'][:4]})")
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": "popreg analyses"})
    plt.close(fig)
    return path
