"""`popreg generate`: determinism, the wire contract, ordering, noise, the truth file, the CLI."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import date

import orjson
import pytest
from typer.testing import CliRunner

from events import validate_submission
from events.errors import InvalidSubmission
from infra.gazetteer_store import builtin_gazetteer
from popreg.cli import app
from popreg.commands.generate import default_start, parse_noise, truth_path
from producers.generator import GeneratorConfig, NoiseConfig, generate

pytestmark = pytest.mark.unit
START = date(2021, 6, 1)  # crosses the 1 July 2025 reform


def _run(**kw) -> tuple[bytes, dict]:
    buf = io.BytesIO()
    config = GeneratorConfig(**{"start": START, "seed": 5, "households": 300, "years": 2, **kw})
    doc = generate(config, buf, builtin_gazetteer())
    return buf.getvalue(), doc


@pytest.fixture(scope="module")
def sample() -> tuple[list[bytes], dict]:
    raw, doc = _run(households=2500, years=5)
    return raw.splitlines(), doc


def _split(lines: list[bytes]) -> tuple[list[dict], list[bytes]]:
    good, bad = [], []
    for raw in lines:
        try:
            validate_submission(orjson.loads(raw))
            good.append(orjson.loads(raw))
        except (InvalidSubmission, orjson.JSONDecodeError):
            bad.append(raw)
    return good, bad


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    a, truth_a = _run()
    b, truth_b = _run()
    c, _ = _run(seed=6)
    assert a == b and truth_a == truth_b
    assert a != c
    assert len(a.splitlines()) > 1000


def test_runs_never_share_ids() -> None:
    """Two runs of different sizes or seeds can be submitted to one register without collisions."""
    a, _ = _run()
    b, _ = _run(households=301)
    good_a, _ = _split(a.splitlines())
    good_b, _ = _split(b.splitlines())
    assert not {x["event_id"] for x in good_a} & {x["event_id"] for x in good_b}
    persons = lambda good: {x["payload"].get("person_id") for x in good} - {None}  # noqa: E731
    assert persons(good_a) and not persons(good_a) & persons(good_b)


def test_every_clean_line_validates_and_only_counted_lines_are_invalid(sample) -> None:
    lines, doc = sample
    good, bad = _split(lines)
    assert len(good) + len(bad) == doc["lines"] == len(lines)
    assert len(bad) == doc["invalid_lines"]["total"] > 0
    assert len(bad) / len(lines) < 0.005  # a small share
    assert set(doc["invalid_lines"]["by_kind"]) >= {"malformed_json", "bad_commune_code"}


def test_truth_counts_match_the_file(sample) -> None:
    lines, doc = sample
    good, _ = _split(lines)
    unique = {x["event_id"]: x for x in good}
    assert Counter(x["type"] for x in unique.values()) == Counter(doc["events"])
    repeats = len(good) - len(unique)
    assert repeats == doc["noise"]["resubmitted_duplicates"] > 0
    first = {}
    for x in good:  # a resubmission is byte-for-byte the same fact
        assert first.setdefault(x["event_id"], x) == x


def test_lines_are_in_recorded_order(sample) -> None:
    """Sorted by recorded_at, except resubmissions, which are uploaded again later unchanged."""
    lines, _ = sample
    good, _ = _split(lines)
    seen: set[str] = set()
    latest = ""
    for x in good:
        if x["event_id"] in seen:
            continue
        seen.add(x["event_id"])
        assert x["recorded_at"] >= latest, f"{x['event_id']} recorded before an earlier line"
        assert x["recorded_at"][:10] >= x["occurred_on"]
        latest = x["recorded_at"]


def test_noise_is_present_in_the_file(sample) -> None:
    lines, doc = sample
    good, _ = _split(lines)
    noise = doc["noise"]
    for kind in (
        "late_recorded",
        "resubmitted_duplicates",
        "newborns_named_later",
        "unmatched_move_outs",
        "arrivals_registered",
        "move_in_without_move_out",
        "wrong_deaths",
        "voided_wrong_deaths",
        "double_entries",
        "duplicate_persons",
        "persons_merged",
    ):
        assert noise.get(kind, 0) > 0, kind
    births = [x for x in good if x["type"] == "birth"]
    unnamed = {x["payload"]["child_id"] for x in births if not x["payload"].get("full_name")}
    renamed = {x["payload"]["person_id"] for x in good if x["type"] == "person.corrected"}
    assert unnamed and unnamed & renamed
    delays = [(date.fromisoformat(x["recorded_at"][:10]) - date.fromisoformat(x["occurred_on"])).days for x in good]
    assert sum(d > 31 for d in delays) >= noise["late_recorded"] > 0.03 * len(good)
    assert max(delays) > 120  # months late
    assert any(x["type"] == "move_out" and x["payload"].get("to_commune") == "ABROAD" for x in good)
    outside = [
        x for x in good if x["type"] == "move_in" and not (x["payload"].get("from_commune") or "14").startswith("14")
    ]
    assert outside  # arrivals: the persons are registered in the same batch, just before
    merged = [x for x in good if x["type"] == "persons.merged"]
    assert merged and all(x["payload"]["surviving_id"] != x["payload"]["merged_id"] for x in merged)


def test_reform_codes_are_used_from_july_2025(sample) -> None:
    lines, _ = sample
    good, _ = _split(lines)
    gaz = builtin_gazetteer()
    before = {x["commune"] for x in good if x["occurred_on"] < "2025-07-01"}
    after = {x["commune"] for x in good if x["occurred_on"] >= "2025-07-01"}
    assert after and before - after  # old codes disappear
    assert all(gaz.resolve(c, date(2025, 8, 1)).district is None for c in after)


def test_memory_is_bounded_by_lateness_not_length() -> None:
    """Lines held back before writing do not grow with the number of years simulated."""
    _, short = _run(households=600, years=2, start=date(2016, 1, 1))
    _, long = _run(households=600, years=8, start=date(2016, 1, 1))
    assert long["lines"] > 1.7 * short["lines"]
    assert long["buffer_peak_lines"] < 1.5 * short["buffer_peak_lines"]


def test_no_noise_gives_a_clean_history() -> None:
    raw, doc = _run(noise=NoiseConfig.none())
    good, bad = _split(raw.splitlines())
    assert not bad and doc["invalid_lines"]["total"] == 0
    assert not {"event.voided", "persons.merged", "person.corrected"} & set(doc["events"])


def test_history_must_end_in_the_past() -> None:
    with pytest.raises(ValueError, match="future"):
        _run(start=date.today().replace(day=1), years=1)
    with pytest.raises(ValueError, match="first day"):
        _run(start=date(2022, 1, 2))


def test_default_start_and_options() -> None:
    assert default_start(5, date(2026, 11, 25)) == date(2021, 11, 1)
    assert default_start(1, date(2026, 1, 3)) == date(2025, 1, 1)
    assert parse_noise(["late=0.5"], False).late == 0.5
    assert parse_noise([], True) == NoiseConfig.none()
    assert truth_path(__import__("pathlib").Path("/x/a.jsonl")).name == "a.truth.json"


def test_cli_writes_file_and_truth(tmp_path) -> None:
    out = tmp_path / "prov.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "generate",
            "--out",
            str(out),
            "--households",
            "200",
            "--years",
            "1",
            "--start",
            "2023-01",
            "--seed",
            "3",
            "--noise",
            "invalid=0",
        ],
    )
    assert result.exit_code == 0, result.output
    truth = json.loads((tmp_path / "prov.truth.json").read_text(encoding="utf-8"))
    lines = out.read_bytes().splitlines()
    assert len(lines) == truth["lines"] > 500
    assert truth["generator"]["province"] == "14" and truth["invalid_lines"]["total"] == 0
    assert not list(tmp_path.glob("*.partial"))
    again = CliRunner().invoke(
        app,
        [
            "generate",
            "--out",
            "-",
            "--households",
            "200",
            "--years",
            "1",
            "--start",
            "2023-01",
            "--seed",
            "3",
            "--noise",
            "invalid=0",
        ],
    )
    assert again.exit_code == 0
    assert again.stdout_bytes.splitlines()[:100] == lines[:100]


def test_cli_refuses_bad_options(tmp_path) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["generate", "--out", str(tmp_path / "x.jsonl"), "--noise", "typo=0.1"])
    assert bad.exit_code != 0 and "unknown noise kind" in bad.output
    future = runner.invoke(app, ["generate", "--out", str(tmp_path / "x.jsonl"), "--start", "2999-01"])
    assert future.exit_code == 2 and "future" in future.output
    assert not (tmp_path / "x.jsonl").exists()
