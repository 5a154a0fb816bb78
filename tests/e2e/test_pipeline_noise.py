"""A noisy second submission on top of the clean province, a rebuild, and `popreg run` stopping.

The noise is written here, fact by fact, about persons chosen from the clean history so each
effect is known: resubmitted duplicates, a late birth, a rename, a wrong death voided later, a
person registered twice and merged, a move_in without its move_out (and the move_out arriving
late), a fact about an unknown person (held in review) and invalid lines. Every figure is
compared again with tests/e2e/expected.py over clean + noise, now and as known on past dates.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import orjson
import pytest

from tests.e2e.expected import History
from tests.support.pipeline import CleanStage, Env, Running, alive, child_pids, stop_run

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BASELINE = date(2022, 1, 1)
LATE_BIRTH_ON, LATE_BIRTH_RECORDED = date(2023, 6, 15), "2025-03-10T10:00:00+07:00"
WRONG_DEATH_ON = date(2024, 6, 10)
MOVE_ON = date(2024, 4, 10)
RENAMED_TO = {"M": "Lò Văn Minh", "F": "Lò Thị Mai"}
INVALID = {  # kind -> the field its error must name
    "malformed_json": None,
    "unknown_field": "ghi_chu",
    "bad_commune": "commune",
    "bad_date": "occurred_on",
    "bad_type": "type",
}


def _age(born: str, on: date) -> int:
    b = date.fromisoformat(born)
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


def _mentions(lines: list[dict[str, Any]]) -> dict[str, date]:
    """The last day each id appears in a fact's payload (a person's own baseline line included)."""
    last: dict[str, date] = {}
    for ev in lines:
        day = date.fromisoformat(ev["occurred_on"])
        for value in ev["payload"].values():
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, str) and day > last.get(v, date.min):
                    last[v] = day
    return last


@dataclass
class Noise:
    lines: list[bytes] = field(default_factory=list)  # the file, valid and invalid lines in order
    valid: list[dict[str, Any]] = field(default_factory=list)  # what expected.py folds
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> envelope
    invalid_at: dict[str, int] = field(default_factory=dict)  # kind -> line number (1-based)
    duplicates: int = 0
    renamed_from: str = ""

    def add(self, name: str, ev: dict[str, Any]) -> None:
        self.facts[name] = ev
        self.valid.append(ev)
        self.lines.append(orjson.dumps(ev))

    def invalid(self, kind: str, raw: bytes) -> None:
        self.lines.append(raw)
        self.invalid_at[kind] = len(self.lines)


def envelope(name: str, kind: str, on: date, recorded_at: str, commune: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": f"e2e-noise-{name}",
        "type": kind,
        "schema_version": 1,
        "occurred_on": on.isoformat(),
        "recorded_at": recorded_at,
        "commune": commune,
        "source": {"channel": "web", "collector_id": "e2e-clerk"},
        "payload": payload,
    }


def craft_noise(clean: list[dict[str, Any]], history: History) -> Noise:
    """Noise about persons who live in one commune the whole history and appear in no later fact
    (so nothing the register already accepted conflicts with it)."""
    registered = {ev["payload"]["person_id"]: ev for ev in clean if ev["type"] == "person.registered"}
    last = _mentions(clean)
    stable = []  # (person id, commune, household, registration payload)
    for pid in sorted(registered):
        person = history.persons.get(pid)
        if person and len(person.timeline) == 1 and person.registered_on == BASELINE and last[pid] == BASELINE:
            stable.append((pid, person.timeline[0][1], person.timeline[0][2], registered[pid]["payload"]))
    used: set[str] = set()

    def pick(ok: Callable[[str, str, dict[str, Any]], bool]) -> tuple[str, str, str, dict[str, Any]]:
        for pid, commune, household, p in stable:
            if pid not in used and commune not in used and ok(pid, commune, p):
                used.update((pid, commune))
                return pid, commune, household, p
        raise AssertionError("the clean history has no person for this piece of noise")

    n = Noise()
    for i in range(0, len(clean), len(clean) // 10)[:10]:  # resubmitted lines: duplicates
        n.lines.append(orjson.dumps(clean[i]))
        n.duplicates += 1
    # A person written twice on the A0 page (another id), merged a year later.
    y, c3, h3, py = pick(lambda pid, c, p: True)
    twin = {
        **{k: v for k, v in py.items() if k != "national_id"},
        "person_id": f"{y}-twin",
        "relation_to_head": "other",
    }
    n.add("twin", envelope("twin", "person.registered", BASELINE, "2023-02-01T08:00:00+07:00", c3, twin))
    n.invalid("malformed_json", orjson.dumps(n.facts["twin"])[:-25])
    # A birth written down 21 months late, to a mother of two or more: a third-or-later child.
    m, c1, h1, _ = pick(
        lambda pid, c, p: (
            p["sex"] == "F"
            and p["marital_status"] == "married"
            and 20 <= _age(p["birth_date"], LATE_BIRTH_ON) <= 38
            and (p.get("children_ever_born") or 0) >= 2
        )
    )
    n.add(
        "late_birth",
        envelope(
            "late-birth",
            "birth",
            LATE_BIRTH_ON,
            LATE_BIRTH_RECORDED,
            c1,
            {"child_id": f"{m}-late-child", "household_id": h1, "mother_id": m, "sex": "F"},
        ),
    )
    bad = dict(n.facts["late_birth"], event_id="e2e-noise-unknown-field")
    n.invalid("unknown_field", orjson.dumps({**bad, "payload": {**bad["payload"], "ghi_chu": "nhập thêm"}}))
    # A living child recorded dead by mistake, the death voided three months later.
    x, c2, _, _ = pick(lambda pid, c, p: 5 <= _age(p["birth_date"], WRONG_DEATH_ON) <= 14)
    n.add(
        "wrong_death",
        envelope("wrong-death", "death", WRONG_DEATH_ON, "2024-06-20T09:00:00+07:00", c2, {"person_id": x}),
    )
    n.invalid(
        "bad_commune", orjson.dumps({**n.facts["wrong_death"], "event_id": "e2e-noise-bad-commune", "commune": c2[:4]})
    )
    n.add(
        "void",
        envelope(
            "void",
            "event.voided",
            date(2024, 9, 15),
            "2024-09-15T10:00:00+07:00",
            c2,
            {"voided_event_id": n.facts["wrong_death"]["event_id"], "reason": "ghi nhầm người"},
        ),
    )
    n.add(
        "merge",
        envelope(
            "merge",
            "persons.merged",
            date(2024, 3, 1),
            "2024-03-01T08:00:00+07:00",
            c3,
            {"surviving_id": y, "merged_id": f"{y}-twin"},
        ),
    )
    # A move to a commune of another district: its move_in first, the move_out a month later.
    z, a, _, _ = pick(lambda pid, c, p: 18 <= _age(p["birth_date"], MOVE_ON) <= 60)
    district = history.places.area(a, "district", MOVE_ON)
    _, b, hb, _ = pick(lambda pid, c, p: history.places.area(c, "district", MOVE_ON) != district)
    n.add(
        "move_in",
        envelope(
            "move-in", "move_in", MOVE_ON, "2024-04-20T09:00:00+07:00", b, {"person_ids": [z], "household_id": hb}
        ),
    )
    n.add(
        "late_move_out",
        envelope(
            "late-move-out", "move_out", MOVE_ON, "2024-05-30T09:00:00+07:00", a, {"person_ids": [z], "to_commune": b}
        ),
    )
    n.invalid(
        "bad_date",
        orjson.dumps(
            {**n.facts["move_in"], "event_id": "e2e-noise-bad-date", "occurred_on": MOVE_ON.strftime("%d/%m/%Y")}
        ),
    )
    # A newborn renamed (DOMAIN.md: renamed when ill): the history keeps the first name.
    birth = next(
        ev
        for ev in clean
        if ev["type"] == "birth" and ev["payload"].get("full_name") and ev["occurred_on"] >= "2024-01-01"
    )
    n.renamed_from = birth["payload"]["full_name"]
    child, new_name = birth["payload"]["child_id"], RENAMED_TO[birth["payload"]["sex"]]
    n.add(
        "rename",
        envelope(
            "rename",
            "person.corrected",
            date(2024, 12, 2),
            "2024-12-02T15:00:00+07:00",
            birth["commune"],
            {"person_id": child, "changes": {"full_name": new_name}},
        ),
    )
    # A death of a person the register never heard of: held in review, counted nowhere.
    n.add(
        "held",
        envelope(
            "held", "death", date(2024, 2, 2), "2024-02-05T08:00:00+07:00", c1, {"person_id": "e2e-khong-ton-tai"}
        ),
    )
    n.invalid("bad_type", orjson.dumps({**n.facts["held"], "event_id": "e2e-noise-bad-type", "type": "death_x"}))
    return n


@dataclass
class NoisyStage:
    noise: Noise
    cli_output: str
    http_duplicates: list[dict[str, Any]]
    expected: History
    person: dict[str, Any]  # `popreg person` of the renamed child
    review: dict[str, Any]  # `popreg review`


@pytest.fixture(scope="module")
def noisy_stage(pipeline_env: Env, pipeline_run: Running, clean_stage: CleanStage) -> NoisyStage:
    noise = craft_noise(pipeline_env.clean, clean_stage.expected)
    path = pipeline_env.workdir / "noise.jsonl"
    path.write_bytes(b"\n".join(noise.lines) + b"\n")
    submitting = pipeline_env.start("submit", str(path))
    copies = pipeline_env.clean[5::90]
    results = pipeline_run.api.submit(orjson.dumps(copies), "application/json")
    submitted = pipeline_env.finish(submitting)
    pipeline_env.cli("wait", "--timeout", "240")
    renamed = noise.facts["rename"]["payload"]["person_id"]
    person, review = (orjson.loads(p.stdout) for p in pipeline_env.cli_many(["person", renamed], ["review"]))
    return NoisyStage(
        noise, submitted.stdout, results, History(pipeline_env.clean + noise.valid, pipeline_env.places), person, review
    )


def test_submit_reports_invalid_lines_with_field_errors_and_keeps_the_rest(noisy_stage: NoisyStage) -> None:
    out, noise = noisy_stage.cli_output, noisy_stage.noise
    report = {
        line.split(":line ", 1)[1].split(" ", 1)[0].rstrip(":"): line
        for line in out.splitlines()
        if line.startswith("invalid ")
    }
    assert sorted(int(k) for k in report) == sorted(noise.invalid_at.values()), out
    for kind, field_name in INVALID.items():
        line = report[str(noise.invalid_at[kind])]
        if field_name is not None:
            assert field_name in line.split(": ", 1)[1], (kind, line)
    assert f"total: {len(noise.valid)} accepted, {noise.duplicates} duplicate, {len(INVALID)} invalid" in out, out


def test_resubmitted_duplicates_are_acknowledged_and_change_nothing(pipeline_env: Env, noisy_stage: NoisyStage) -> None:
    results = noisy_stage.http_duplicates
    assert [r["status"] for r in results] == ["duplicate"] * len(results) and len(results) >= 30
    assert [r["event_id"] for r in results] == [e["event_id"] for e in pipeline_env.clean[5::90]]


def test_figures_after_the_noise_match_the_independent_calculation(
    pipeline_run: Running, noisy_stage: NoisyStage, figure_mismatches: Callable[..., list[str]]
) -> None:
    wrong = figure_mismatches(pipeline_run.api, noisy_stage.expected)
    assert not wrong, "\n".join(wrong)


def test_figures_as_known_on_a_past_day_match_too(
    pipeline_env: Env, pipeline_run: Running, noisy_stage: NoisyStage, figure_mismatches: Callable[..., list[str]]
) -> None:
    # On 1 July 2024 the wrong death was known and its void not yet; the twin was merged already.
    known = History(pipeline_env.clean + noisy_stage.noise.valid, pipeline_env.places, date(2024, 7, 1))
    wrong = figure_mismatches(pipeline_run.api, known, periods=("2023", "2024-06"), known_on="2024-07-01")
    assert not wrong, "\n".join(wrong)


def test_a_late_birth_revises_its_month_from_the_day_it_was_recorded(
    pipeline_run: Running, noisy_stage: NoisyStage
) -> None:
    birth = noisy_stage.noise.facts["late_birth"]
    commune, month = birth["commune"], birth["occurred_on"][:7]
    names = ["births", "births_female", "births_order_3_plus"]

    def births(known_on: str | None) -> dict[str, int]:
        return pipeline_run.api.indicators(commune, month, names, known_on)["values"]

    before, after, now = births("2025-03-01"), births("2025-03-20"), births(None)
    assert after == now and {k: now[k] - before[k] for k in names} == dict.fromkeys(names, 1), (before, now)
    want = noisy_stage.expected.flows(commune, LATE_BIRTH_ON.replace(day=1), date(2023, 6, 30))
    assert now == {k: want[k] for k in names}


def test_a_voided_death_puts_the_person_back_in_the_population(pipeline_run: Running, noisy_stage: NoisyStage) -> None:
    death = noisy_stage.noise.facts["wrong_death"]
    commune, person = death["commune"], death["payload"]["person_id"]

    def figures(known_on: str | None) -> dict[str, int]:
        return pipeline_run.api.indicators(commune, "2024-06", ["population", "deaths"], known_on)["values"]

    while_dead, now = figures("2024-07-01"), figures(None)
    assert while_dead == {"population": now["population"] - 1, "deaths": now["deaths"] + 1}, (while_dead, now)
    assert pipeline_run.api.get(f"/v1/persons/{person}")["status"] == "alive"
    assert now["population"] == noisy_stage.expected.stocks(commune, date(2024, 6, 30))["population"]


def test_a_merge_leaves_one_person(pipeline_run: Running, noisy_stage: NoisyStage) -> None:
    merge = noisy_stage.noise.facts["merge"]["payload"]
    survivor, twin = merge["surviving_id"], merge["merged_id"]
    assert pipeline_run.api.get(f"/v1/persons/{twin}")["merged_into"] == survivor
    assert pipeline_run.api.get(f"/v1/persons/{survivor}")["merged_into"] is None
    commune = noisy_stage.noise.facts["twin"]["commune"]

    def population(known_on: str | None) -> int:
        return pipeline_run.api.indicators(commune, "2022", ["population"], known_on)["values"]["population"]

    assert population("2023-06-01") == population(None) + 1  # the twin counted until the merge was known
    assert population(None) == noisy_stage.expected.stocks(commune, date(2022, 12, 31))["population"]


def test_a_move_in_without_move_out_is_one_move_from_where_the_person_lived(
    pipeline_env: Env, pipeline_run: Running, clean_stage: CleanStage, noisy_stage: NoisyStage
) -> None:
    move_in, move_out = noisy_stage.noise.facts["move_in"], noisy_stage.noise.facts["late_move_out"]
    places = pipeline_env.places
    origin, dest = move_out["commune"], move_in["commune"]
    names = ["in_migrants", "out_migrants"]
    for level in ("commune", "district", "province"):
        a, b = (places.area(c, level, MOVE_ON) for c in (origin, dest))
        got = {area: pipeline_run.api.indicators(area, "2024", names)["values"] for area in {a, b}}
        before = {area: {k: clean_stage.expected.figures(area, "2024")[k] for k in names} for area in {a, b}}
        if a == b:  # the same province: nothing changes at that level
            assert got == before, level
        else:
            assert got[b]["in_migrants"] == before[b]["in_migrants"] + 1, level
            assert got[a]["out_migrants"] == before[a]["out_migrants"] + 1, level
    person = pipeline_run.api.get(f"/v1/persons/{move_in['payload']['person_ids'][0]}")
    assert person["commune"] == dest and person["household_id"] == move_in["payload"]["household_id"]


def test_a_rename_keeps_the_first_name_in_the_history(noisy_stage: NoisyStage) -> None:
    rename = noisy_stage.noise.facts["rename"]
    new_name, on = rename["payload"]["changes"]["full_name"], rename["occurred_on"]
    printed = noisy_stage.person
    assert printed["person"]["full_name"] == new_name
    names = [
        (a["value"], a["valid_from"], a["valid_to"])
        for a in printed["history"]["attributes"]
        if a["attribute"] == "full_name" and a["known_to"] is None
    ]
    assert (noisy_stage.noise.renamed_from, printed["person"]["birth_date"], on) in names, names
    assert (new_name, on, None) in names, names


def test_a_fact_breaking_a_rule_is_held_in_review(pipeline_run: Running, noisy_stage: NoisyStage) -> None:
    held = noisy_stage.noise.facts["held"]
    items = noisy_stage.review["items"]
    assert noisy_stage.review["count"] == len(items) == 1, items
    text = orjson.dumps(items[0]).decode()
    assert held["event_id"] in text and "unknown_person" in text, items
    by_api = pipeline_run.api.get("/v1/review", commune=held["commune"])
    assert held["event_id"] in orjson.dumps(by_api).decode()


@pytest.fixture(scope="module")
def rebuilt(pipeline_env: Env, pipeline_run: Running, noisy_stage: NoisyStage) -> Iterator[dict[str, Any]]:
    before = httpx.get(pipeline_env.url + "/v1/health", timeout=10).json()["projection"]["version"]
    done = pipeline_env.cli("rebuild", "--swap", timeout=300)
    yield {"before": before, "output": done.stdout + done.stderr}


def test_a_rebuild_with_swap_ends_with_the_same_figures(
    pipeline_env: Env,
    pipeline_run: Running,
    noisy_stage: NoisyStage,
    rebuilt: dict[str, Any],
    figure_mismatches: Callable[..., list[str]],
) -> None:
    now = httpx.get(pipeline_env.url + "/v1/health", timeout=10).json()["projection"]["version"]
    assert now > rebuilt["before"], rebuilt["output"]
    wrong = figure_mismatches(pipeline_run.api, noisy_stage.expected)
    known = History(pipeline_env.clean + noisy_stage.noise.valid, pipeline_env.places, date(2024, 7, 1))
    wrong += figure_mismatches(pipeline_run.api, known, periods=("2024-06",), known_on="2024-07-01")
    assert not wrong, "\n".join(wrong)


def test_after_the_swap_new_submissions_reach_the_new_version(
    pipeline_env: Env, pipeline_run: Running, noisy_stage: NoisyStage, rebuilt: dict[str, Any]
) -> None:
    mother = noisy_stage.noise.facts["late_birth"]
    on = date(2024, 11, 20)
    birth = envelope(
        "after-swap",
        "birth",
        on,
        "2024-11-28T09:00:00+07:00",
        mother["commune"],
        {**mother["payload"], "child_id": mother["payload"]["child_id"] + "-2", "sex": "M"},
    )
    before = pipeline_run.api.indicators(mother["commune"], "2024-11", ["births"])["values"]["births"]
    assert [r["status"] for r in pipeline_run.api.submit(orjson.dumps(birth))] == ["accepted"]
    deadline = time.monotonic() + 120  # GET /v1/progress this time, in place of `popreg wait`
    while not (p := pipeline_run.api.get("/v1/progress"))["register_caught_up"] or not p["projections_caught_up"]:
        assert time.monotonic() < deadline, p
        time.sleep(0.5)
    after = pipeline_run.api.indicators(mother["commune"], "2024-11", ["births"])["values"]["births"]
    expected = History(pipeline_env.clean + noisy_stage.noise.valid + [birth], pipeline_env.places)
    assert (
        after == before + 1 == expected.flows(mother["commune"], on.replace(day=1), on + timedelta(days=10))["births"]
    )


def test_popreg_run_stops_cleanly_on_sigterm(pipeline_env: Env, pipeline_run: Running) -> None:
    children = child_pids(pipeline_run.proc.pid)
    assert len(children) >= 3, children
    assert stop_run(pipeline_run) == 0, pipeline_run.log_text()[-3000:]
    assert not [pid for pid in children if alive(pid)]
    log = pipeline_run.log_text()
    for name in ("api", "sink", "register"):
        assert f"{name:<10} | stopped (exit" in log, log[-3000:]
    assert "did not stop in time" not in log
    with pytest.raises(httpx.TransportError):
        httpx.get(pipeline_env.url + "/v1/health", timeout=5)
