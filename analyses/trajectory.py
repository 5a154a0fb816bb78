"""One person's trajectory: residence, union, childbearing and contraception episodes and moves
as one timeline (JSON-ready), and a picture of it. Built with the same fold as the exports, from
the person's log records (no names are read or returned)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from analyses.facts import EPOCH, Collected, FactWriter
from analyses.fold import FOLD_COLUMNS, ROLE_PRIORITY, History, fold_person
from analyses.places import PlaceResolver
from analyses.prepare import merge_links


def _iso(day: int | None) -> str | None:
    return None if day is None else date.fromordinal(day + EPOCH).isoformat()


def _raw(record: Any) -> dict[str, Any]:
    if isinstance(record, dict):
        return record
    if isinstance(record, bytes | str):
        import orjson

        return orjson.loads(record)
    return record.model_dump(mode="json", exclude_none=True)


def _facts(records: Iterable[Any]) -> tuple[list[dict], list[dict], int | None]:
    writer = FactWriter(None, lambda x: x)
    seen: set[str] = set()
    for rec in records:
        raw = _raw(rec)
        if raw["event"]["event_id"] in seen:
            continue
        seen.add(raw["event"]["event_id"])
        writer.add(raw, None, len(seen))
    assert isinstance(writer.facts, Collected) and isinstance(writer.control, Collected)
    return writer.facts.rows, writer.control.rows, writer.max_day


def trajectory_for(
    person_id: str, records: Iterable[Any], known_on: date | None = None, gazetteer: Any | None = None
) -> dict[str, Any]:
    """The trajectory of `person_id` from log records (RegisterEvent models, dicts or JSON lines)
    that mention them; records of their spouses' deaths make widowhood visible."""
    facts, control, last = _facts(records)
    k = None if known_on is None else known_on.toordinal() - EPOCH
    voided = {c["target"] for c in control if c["kind"] == "void" and (k is None or c["recorded"] <= k)}
    links = merge_links(
        [(c["target"], c["survivor"]) for c in control if c["kind"] == "merge" and (k is None or c["recorded"] <= k)]
    )
    who = links.get(person_id, person_id)
    live = [
        f | {"person": links.get(f["person"], f["person"]), "other": links.get(f.get("other"), f.get("other"))}
        for f in facts
        if f["event_id"] not in voided and (k is None or (f["recorded"] or 0) <= k)
    ]
    spouses = {f["other"] for f in live if f["person"] == who and f["role"] == "marriage"}
    me = next((f for f in live if f["person"] == who and f["role"] == "registered"), None)
    if me is not None and me.get("marital") == "married" and me.get("relation") in ("head", "spouse"):
        partner = "spouse" if me["relation"] == "head" else "head"  # a couple at baseline
        spouses |= {
            f["person"]
            for f in live
            if f["role"] == "registered"
            and f["person"] != who
            and f.get("household") == me.get("household")
            and f.get("relation") == partner
            and f.get("marital") == "married"
        }
    mine = [f for f in live if f["person"] == who]
    mine += [
        f | {"role": "partner_death", "person": who, "other": f["person"]}
        for f in live
        if f["role"] == "death" and f["person"] in spouses
    ]
    mine.sort(key=lambda f: (f["occurred"], ROLE_PRIORITY.get(f["role"], 9), f.get("sub_offset") or 0))
    rows = [tuple(f.get(c) for c in FOLD_COLUMNS) for f in mine]
    observed = {f["commune"]: (f["commune"], f["district"], f["province"]) for f in live if f.get("commune")}
    end = last if known_on is None else min(last or k, k)
    h = fold_person(who, rows, PlaceResolver(gazetteer, observed), end or 0) if rows else None
    if h is None:
        return {"person_id": person_id, "found": False, "timeline": []}
    return as_dict(person_id, who, h, end)


def person_trajectory(events: Iterable[Any], person_id: str | None = None) -> dict[str, Any]:
    """The trajectory of the person the events are about (the subject most of them name)."""
    events = [_raw(e) for e in events]
    if person_id is None:
        counts = Counter(s for e in events for s in (e.get("context", {}).get("subjects") or []))
        if not counts:
            return {"person_id": None, "found": False, "timeline": []}
        person_id = counts.most_common(1)[0][0]
    return trajectory_for(person_id, events)


def as_dict(person_id: str, who: str, h: History, end: int | None) -> dict[str, Any]:
    res = [
        {
            "from": _iso(s),
            "to": _iso(e),
            "commune": p[0],
            "district": p[1],
            "province": p[2],
            "began_by": sk,
            "ended_by": ek,
        }
        for s, e, p, sk, ek in h.residence
    ]
    unions = [
        {"status": st, "from": _iso(s), "known_from": _iso(en), "to": _iso(e), "ended_by": ek}
        for st, s, en, e, ek in h.unions
    ]
    parity = [
        {"parity": kk, "from": _iso(s), "known_from": _iso(en), "to": _iso(e), "ended_by": ek}
        for kk, s, en, e, ek in h.parities
    ]
    contra = [{"method": m, "from": _iso(s), "to": _iso(e), "ended_by": ek} for m, s, e, ek in h.contra]
    births = [
        {"date": _iso(d), "child_sex": x.get("child_sex"), "birth_order": x.get("order")}
        for d, kind, _s, x in h.events
        if kind == "birth"
    ]
    moves = [
        {
            "departed": _iso(m["out_day"]),
            "arrived": _iso(m["in_day"]),
            "from": m["origin"][0],
            "to": m["dest"][0],
            "confirmed": m["confirmed"],
        }
        for m in h.moves
    ]
    timeline = [{"date": r["from"], "what": f"lives in {r['commune']}", "episode": "residence"} for r in res]
    timeline += [{"date": u["from"] or u["known_from"], "what": u["status"], "episode": "union"} for u in unions]
    timeline += [
        {"date": b["date"], "what": f"birth {b['birth_order']} ({b['child_sex']})", "episode": "childbearing"}
        for b in births
    ]
    timeline += [{"date": c["from"], "what": f"starts {c['method']}", "episode": "contraception"} for c in contra]
    timeline += [
        {"date": c["to"], "what": f"stops {c['method']} ({c['ended_by']})", "episode": "contraception"}
        for c in contra
        if c["to"]
    ]
    timeline += [
        {"date": m["departed"] or m["arrived"], "what": f"moves from {m['from']} to {m['to']}", "episode": "migration"}
        for m in moves
    ]
    if h.death_day is not None:
        timeline.append({"date": _iso(h.death_day), "what": "death", "episode": "life"})
    timeline.sort(key=lambda t: t["date"] or "")
    return {
        "person_id": person_id,
        "resolved_id": who,
        "found": True,
        "sex": h.sex,
        "birth_date": _iso(h.birth_day),
        "death_date": _iso(h.death_day),
        "entry": {"date": _iso(h.entry_day), "type": h.entry_type},
        "observed_until": _iso(end),
        "residence": res,
        "union": unions,
        "parity": parity,
        "childbearing": births,
        "contraception": contra,
        "moves": moves,
        "timeline": timeline,
    }


def render_png(trajectory: dict[str, Any], path: Path) -> Path:
    """Four lanes on one time axis: residence, union, parity (births marked), contraception."""
    from analyses.plots import trajectory_figure

    return trajectory_figure(trajectory, path)
