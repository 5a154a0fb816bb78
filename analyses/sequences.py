"""A typology of yearly residence trajectories: Hamming distances on a sample, average-linkage
clustering, each cluster described by its medoid (the heavy OM/sequenzo route is optional:
the wide CSV of the export feeds TraMineR or sequenzo directly)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist, squareform

from analyses.derived import ALPHABET

CODES = {s: i for i, s in enumerate(ALPHABET)}
CLUSTERS = 4


def typology(sequences: Path, moves: pl.DataFrame, sample: int = 2000, seed: int = 1) -> dict[str, pl.DataFrame]:
    empty = {
        "trajectory_types": pl.DataFrame(
            schema={
                "cluster": pl.Int64,
                "persons": pl.Int64,
                "share": pl.Float64,
                "medoid": pl.String,
                "years": pl.String,
                "mean_moves": pl.Float64,
                "ever_other_province": pl.Float64,
                "ever_abroad_or_away": pl.Float64,
                "mean_distance_to_medoid": pl.Float64,
            }
        ),
        "trajectory_sample": pl.DataFrame(schema={"person_key": pl.String, "cluster": pl.Int64, "sequence": pl.String}),
    }
    scan = pl.scan_parquet(sequences).select("person_key", "year", "state")
    # Sample persons first (observed at least two years), then read only their rows: bounded memory.
    eligible = (
        scan.filter(pl.col("state") != ".")
        .group_by("person_key")
        .len()
        .filter(pl.col("len") >= 2)
        .select("person_key")
        .collect()
        .sort("person_key")
    )
    if eligible.height < 2:
        return empty
    keys = eligible.sample(n=min(sample, eligible.height), seed=seed)["person_key"]
    seq = scan.filter(pl.col("person_key").is_in(keys.implode())).collect()
    picked = (
        seq.pivot(on="year", index="person_key", values="state", sort_columns=True).fill_null(".").sort("person_key")
    )
    years = [c for c in picked.columns if c != "person_key"]
    matrix = np.array([[CODES[s] for s in row] for row in picked.select(years).iter_rows()], dtype=np.int8)
    dist = pdist(matrix, metric="hamming")
    k = min(CLUSTERS, picked.height)
    labels = fcluster(linkage(dist, method="average"), t=k, criterion="maxclust") if dist.size else np.ones(1, int)
    square = squareform(dist) if dist.size else np.zeros((1, 1))
    n_moves = dict(moves.group_by("person_key").len().iter_rows())
    strings = ["".join(r) for r in picked.select(years).iter_rows()]
    keys = picked["person_key"].to_list()
    rows = []
    for c in sorted(set(labels.tolist())):
        idx = np.nonzero(labels == c)[0]
        medoid = idx[int(np.argmin(square[np.ix_(idx, idx)].sum(axis=1)))]
        members = [strings[i] for i in idx]
        rows.append(
            {
                "cluster": int(c),
                "persons": int(idx.size),
                "share": idx.size / len(keys),
                "medoid": strings[medoid],
                "years": f"{years[0]}-{years[-1]}",
                "mean_moves": float(np.mean([n_moves.get(keys[i], 0) for i in idx])),
                "ever_other_province": float(np.mean(["P" in s for s in members])),
                "ever_abroad_or_away": float(np.mean([("A" in s) or ("U" in s) for s in members])),
                "mean_distance_to_medoid": float(square[medoid, idx].mean()),
            }
        )
    sample_rows = pl.DataFrame({"person_key": keys, "cluster": labels.astype(int).tolist(), "sequence": strings})
    return {"trajectory_types": pl.DataFrame(rows).sort("persons", descending=True), "trajectory_sample": sample_rows}
