"""Run the fertility or the migration analyses on an export: tables, plots, page, manifest."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from analyses import __version__, plots
from analyses.fertility import fertility_tables, stock
from analyses.manifest import read_manifest, sha256_file, write_manifest
from analyses.migration import LEVELS, migration_tables
from analyses.places import area_level
from analyses.report import write_page
from infra.spreadsheets import xlsx_bytes


class AreaMismatch(ValueError):
    """The export was cut for another area: its spells end at that area's borders."""


def _check(export_manifest: dict[str, Any], area: str) -> None:
    if export_manifest.get("area") != area:
        raise AreaMismatch(
            f"the export was built for area {export_manifest.get('area')!r}, not {area!r}: "
            f"spells are cut at the borders of the exported area; export area {area} first"
        )


def _write_tables(out: Path, tables: dict[str, pl.DataFrame]) -> list[str]:
    """Each table as Parquet and CSV (for programs), and all of them in one workbook for Excel."""
    (out / "tables").mkdir(parents=True, exist_ok=True)
    files = []
    for name, df in tables.items():
        df.write_parquet(out / "tables" / f"{name}.parquet")
        df.write_csv(out / "tables" / f"{name}.csv")
        files += [f"tables/{name}.parquet", f"tables/{name}.csv"]
    (out / "tables.xlsx").write_bytes(xlsx_bytes({name: (df.columns, df.iter_rows()) for name, df in tables.items()}))
    return [*files, "tables.xlsx"]


def _pin(export: Path, em: dict[str, Any], kind: str) -> dict[str, Any]:
    """The analysis manifest: what the export was built from, plus the export files' hashes."""
    return {
        "kind": kind,
        "popreg_analyses_version": __version__,
        "area": em["area"],
        "level": em["level"],
        "from": em["from"],
        "to": em["to"],
        "known_on": em.get("known_on"),
        "gazetteer": em.get("gazetteer"),
        "source": em.get("source"),
        "pseudonymisation": em.get("pseudonymisation"),
        "export": {"path": str(export), "manifest_sha256": sha256_file(export / "manifest.json")},
    }


def run_fertility(export: Path, area: str, out: Path) -> dict[str, Any]:
    em = read_manifest(export)
    _check(em, area)
    first, last = date.fromisoformat(em["from"]), date.fromisoformat(em["to"])
    (out / "plots").mkdir(parents=True, exist_ok=True)
    tables, curves = fertility_tables(export, first, last)
    p = out / "plots"
    figures = [
        plots.pyramid(stock(export, last, []), p, last.isoformat()),
        plots.asfr_curves(tables["asfr"], p),
        plots.tfr_trend(tables["tfr"], p),
        plots.ppr_bars(tables["ppr_lifetable"], p),
        plots.km_curves(
            {k: v for k, v in curves.items() if k in ("parity_1", "parity_2", "parity_3")},
            "parity_",
            p,
            "km_birth_intervals.png",
            "Birth intervals (Kaplan–Meier)",
            "months since birth k",
            "Proportion of women at parity k still waiting for birth k+1, by months since birth k; bands are 95% pointwise.",
        ),
        plots.km_curves(
            curves,
            "contraception_",
            p,
            "km_contraception.png",
            "Contraceptive continuation (Kaplan–Meier)",
            "months since the start of the method",
            "Proportion of episodes still using the method, by method; stops for any reason are events, death and emigration censor.",
        ),
        plots.srb_points(tables["srb_by_order"], "order", p, "srb_by_order.png", "Sex ratio at birth by birth order"),
        plots.srb_points(
            tables["srb_by_earlier_children"],
            "earlier",
            p,
            "srb_by_earlier_children.png",
            "Sex ratio at birth by the sexes of earlier children",
        ),
    ]
    notes = [
        "ASFR, TFR and GFR follow INDICATORS.md (births to mothers of the group / woman-years lived in the area); "
        "tfr_tails_folded adds births under 15 to 15-19 and 50+ to 45-49.",
        "All rates sit beside their births and person-years; intervals are 95%.",
    ]
    notes += _thin(em, area, int(tables["tfr_whole_range"]["births_15_49"].sum()), "births")
    return _finish(out, export, em, "analyses-fertility", f"Fertility analyses, area {area}", figures, tables, notes)


def run_migration(export: Path, area: str, out: Path, sample: int = 2000) -> dict[str, Any]:
    em = read_manifest(export)
    _check(em, area)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    tables = migration_tables(export, area, sample=sample)
    p = out / "plots"
    levels = [lv for lv in LEVELS if f"od_matrix_{lv}" in tables]
    heat = next((lv for lv in ("district", "commune", "province") if lv in levels), levels[0])
    figures = [plots.od_heatmap(tables[f"od_matrix_{heat}"], heat, p)]
    figures += [plots.schedule(tables["migration_schedule"], lv, p) for lv in levels]
    notes = [
        f"Moves are followed person by person (INDICATORS.md): a move counts at every level where origin and "
        f"destination differ; abroad or unknown ends cross every level. Area level: {area_level(area)}.",
        "CMI = 100 × moves between units of the area / person-years; MEI = 100 Σ|D−O| / Σ(D+O); "
        "ANMR = 100 Σ|D−O| / person-years (R migration.indices; Bell et al. halve it).",
        "trajectory_types: average-linkage clusters of yearly residence sequences (Hamming distance) on a sample.",
    ]
    notes += _thin(em, area, pl.scan_parquet(export / "moves.parquet").select(pl.len()).collect().item(), "moves")
    return _finish(out, export, em, "analyses-migration", f"Migration analyses, area {area}", figures, tables, notes)


def _thin(em: dict[str, Any], area: str, count: int, what: str) -> list[str]:
    """A plain note where the area had nobody, or nothing to count, in the range (not an error)."""
    people = em.get("rows", {}).get("persons", 0)
    span = f"from {em['from']} to {em['to']}"
    if not people:
        return [f"Nobody lived in area {area} {span}: every table is empty (its columns kept) and the plots blank."]
    if not count:
        return [f"No {what} in area {area} {span} among its {people} persons: the {what} tables are empty or zero."]
    return []


def _finish(
    out: Path,
    export: Path,
    em: dict[str, Any],
    kind: str,
    title: str,
    figures: list[tuple[str, str]],
    tables: dict[str, pl.DataFrame],
    notes: list[str],
) -> dict[str, Any]:
    files = _write_tables(out, tables)
    files += [f"plots/{name}" for name, _ in figures]
    body = _pin(export, em, kind)
    write_page(out, title, body, figures, tables, notes)
    files.append("index.html")
    return write_manifest(out, {**body, "tables": sorted(tables), "figures": [n for n, _ in figures]}, files)
