"""`popreg analyses migration`: OD matrices and indices per level, age-sex schedules, repeat and
return migration, the main corridors, and a typology of residence trajectories."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from analyses.places import area_level

LEVELS = ("commune", "district", "province")
DEEPER = {"country": LEVELS, "province": LEVELS, "district": ("commune", "district"), "commune": ("commune",)}


def od_matrix(moves: pl.DataFrame, level: str) -> pl.DataFrame:
    """Origin rows x destination columns of person-moves that cross `level` (whole range)."""
    m = moves.filter(pl.col(f"crosses_{level}")).select(
        origin=pl.col(f"origin_{level}").fill_null("UNKNOWN"), destination=pl.col(f"dest_{level}").fill_null("UNKNOWN")
    )
    if m.is_empty():
        return pl.DataFrame({"origin": []}, schema={"origin": pl.String})
    counts = m.group_by(["origin", "destination"]).agg(moves=pl.len())
    return counts.pivot(on="destination", index="origin", values="moves", sort_columns=True).fill_null(0).sort("origin")


def indices(moves: pl.DataFrame, cube: pl.DataFrame, level: str, years: list[int]) -> list[dict]:
    """CMI, MEI and ANMR for the system of units of the area at `level` (moves between them), per
    year and for the whole range. Rates are per 100 person-years of the system's population."""
    rows = []
    units_py = cube.group_by(["year", level]).agg(py=pl.col("person_years").sum()).filter(pl.col(level).is_not_null())
    for year in [*years, None]:
        mv = moves if year is None else moves.filter(pl.col("date").dt.year() == year)
        py = units_py if year is None else units_py.filter(pl.col("year") == year)
        units = sorted(set(py[level].to_list()))
        internal = mv.filter(
            pl.col(f"crosses_{level}") & pl.col(f"origin_{level}").is_in(units) & pl.col(f"dest_{level}").is_in(units)
        )
        total_py = float(py["py"].sum())
        out_ = dict(internal.group_by(f"origin_{level}").len().iter_rows())
        in_ = dict(internal.group_by(f"dest_{level}").len().iter_rows())
        m = internal.height
        net_abs = sum(abs(in_.get(u, 0) - out_.get(u, 0)) for u in units)
        gross = sum(in_.get(u, 0) + out_.get(u, 0) for u in units)
        external_in = mv.filter(
            pl.col(f"crosses_{level}") & pl.col(f"dest_{level}").is_in(units) & ~pl.col(f"origin_{level}").is_in(units)
        ).height
        external_out = mv.filter(
            pl.col(f"crosses_{level}") & pl.col(f"origin_{level}").is_in(units) & ~pl.col(f"dest_{level}").is_in(units)
        ).height
        rows.append(
            {
                "level": level,
                "year": year,
                "units": len(units),
                "person_years": total_py,
                "internal_moves": m,
                "cmi": 100 * m / total_py if total_py else None,
                "mei": 100 * net_abs / gross if gross else None,
                "anmr": 100 * net_abs / total_py if total_py else None,
                "in_from_outside": external_in,
                "out_to_outside": external_out,
                "net_external": external_in - external_out,
                "net_external_rate_per_1000": 1000 * (external_in - external_out) / total_py if total_py else None,
            }
        )
    return rows


def schedules(cube: pl.DataFrame) -> pl.DataFrame:
    """Out-migration rates per 1,000 person-years by single age and sex, at each level."""
    agg = (
        cube.group_by(["sex", "age"])
        .agg(
            person_years=pl.col("person_years").sum(),
            **{f"out_{lv}": pl.col(f"out_moves_{lv}").sum() for lv in LEVELS},
            **{f"in_{lv}": pl.col(f"in_moves_{lv}").sum() for lv in LEVELS},
        )
        .sort(["sex", "age"])
    )
    return agg.with_columns(
        **{
            f"out_rate_{lv}": pl.when(pl.col("person_years") > 0).then(
                1000 * pl.col(f"out_{lv}") / pl.col("person_years")
            )
            for lv in LEVELS
        }
    )


def repeat_return(moves: pl.DataFrame) -> dict[str, pl.DataFrame]:
    per_person = moves.group_by("person_key").agg(moves=pl.len())
    dist = (
        per_person.with_columns(
            n=pl.when(pl.col("moves") >= 3).then(pl.lit("3+")).otherwise(pl.col("moves").cast(pl.String))
        )
        .group_by("n")
        .agg(movers=pl.len())
        .sort("n")
    )
    rows = []
    for lv in LEVELS:
        part = moves.filter(pl.col(f"crosses_{lv}"))
        movers = part["person_key"].n_unique()
        repeat = part.group_by("person_key").len().filter(pl.col("len") >= 2).height
        returns = part.filter(pl.col(f"return_{lv}")).height
        rows.append(
            {
                "level": lv,
                "moves": part.height,
                "movers": movers,
                "repeat_movers": repeat,
                "repeat_share": repeat / movers if movers else None,
                "return_moves": returns,
                "return_share": returns / part.height if part.height else None,
            }
        )
    return {"moves_per_mover": dist, "repeat_return": pl.DataFrame(rows, infer_schema_length=None)}


def corridors(moves: pl.DataFrame, top: int = 10) -> pl.DataFrame:
    out = []
    for lv in LEVELS:
        m = moves.filter(pl.col(f"crosses_{lv}")).select(
            origin=pl.col(f"origin_{lv}").fill_null("UNKNOWN"), destination=pl.col(f"dest_{lv}").fill_null("UNKNOWN")
        )
        if m.is_empty():
            continue
        counts = m.group_by(["origin", "destination"]).agg(moves=pl.len())
        back = counts.rename({"origin": "destination", "destination": "origin", "moves": "reverse_moves"})
        joined = counts.join(back, on=["origin", "destination"], how="left").fill_null(0)
        total = counts["moves"].sum()
        out.append(
            joined.with_columns(
                level=pl.lit(lv),
                share=pl.col("moves") / total,
                net=pl.col("moves") - pl.col("reverse_moves"),
                effectiveness=(pl.col("moves") - pl.col("reverse_moves")) / (pl.col("moves") + pl.col("reverse_moves")),
            )
            .sort("moves", descending=True)
            .head(top)
        )
    schema = {
        "level": pl.String,
        "origin": pl.String,
        "destination": pl.String,
        "moves": pl.UInt32,
        "reverse_moves": pl.UInt32,
        "net": pl.Int64,
        "effectiveness": pl.Float64,
        "share": pl.Float64,
    }
    if not out:
        return pl.DataFrame(schema=schema)
    return pl.concat([o.select(list(schema)) for o in out])


def migration_tables(export: Path, area: str, sample: int = 2000, seed: int = 1) -> dict[str, pl.DataFrame]:
    from analyses.sequences import typology

    cols = ["year", "age", "sex", "person_years", *LEVELS, *(f"{d}_moves_{lv}" for d in ("out", "in") for lv in LEVELS)]
    cube = pl.read_parquet(export / "exposure_cube.parquet", columns=cols)
    moves = pl.read_parquet(export / "moves.parquet")
    years = sorted(cube["year"].unique().to_list())
    levels = DEEPER[area_level(area)]
    tables: dict[str, pl.DataFrame] = {}
    index_rows = []
    for lv in levels:
        tables[f"od_matrix_{lv}"] = od_matrix(moves, lv)
        index_rows += indices(moves, cube, lv, years)
    tables["od_flows"] = pl.read_parquet(export / "od_flows.parquet")
    tables["migration_indices"] = pl.DataFrame(index_rows, infer_schema_length=None)
    tables["migration_schedule"] = schedules(cube)
    tables.update(repeat_return(moves))
    tables["corridors"] = corridors(moves)
    tables.update(typology(export / "residence_sequences.parquet", moves, sample=sample, seed=seed))
    return tables
