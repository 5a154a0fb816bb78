"""Helpers of the projection tests (no tests here): the hand-worked scenario, producing
RegisterEvent records onto the real events topic, running the sink, dumping tables.

Scenario (every commune real, gazetteer in force in 2024):
  A 03646 and B 03649: district 116 (TP Sơn La), province 14 (Sơn La)
  C 03682: district 118 (Quỳnh Nhai), province 14
  D 00001: district 001 (Ba Đình), province 01 (Hà Nội)
Baseline on 2020-01-01 (recorded 2020-01-05):
  A/H1: P1 F 1999-07-01 married (turns 25 on 2024-07-01), P2 M 1995-03-10 married
  A/H2: P3 F 1990-05-20 married, 2 children ever born; P4 M 1940-01-01 widowed
  B/H3: P5 M 1985-02-02, P9 M 1970-01-01, P12 F 2000-02-02 never married (condom since 2023-05-05)
  C/H4: P6 F 2008-04-04, P7 M 2002-09-09, P10 F 1992-11-11 married (traditional since 2023-01-01)
  D/H5: P8 M 1980-12-12 divorced
2024:
  C1 F born to P1 in A on 01-20, recorded late on 03-10 (January already reported)
  P4 dies 02-10 (recorded 02-12); the death is voided on 04-05
  C2 M born to P3 in A on 03-30 (recorded 04-02); birth date corrected to 04-02 on 04-20
  P1 starts the pill 03-01 (A); P3 uses an IUD since 2023-06-01; P6 starts the pill 08-01 (C)
  P5 B -> A inside district 116 (move_out 05-01, move_in 05-03 into new household H6)
  P7 C -> A between districts (move_out 06-10, move_in 06-12 into H2)
  P6 (16, first listed) marries P7 on 07-15: a child marriage, counted in C
  P8 D -> B between provinces (move_out 08-01, move_in 08-05 into H3)
  P9 B -> D: a move_in at D on 09-15 with no move_out
  P11 registered in A on 10-01 (new household H7, move_in from unknown, recorded 10-02); on
      11-20 P11 is merged into P10: the same woman, who therefore moved C -> A on 10-01
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from psycopg import sql
from psycopg_pool import ConnectionPool

from infra import db
from infra.gazetteer_store import builtin_gazetteer, load_builtin
from infra.settings import Settings
from infra.topics import EVENTS
from projections.fold.model import TABLES
from projections.sink.sink import Sink
from projections.versions import Version, ensure_live
from tests.support.synthetic import EventFactory, at

A, B, C, D = "03646", "03649", "03682", "00001"
BASELINE, BASELINE_RECORDED = "2020-01-01", at("2020-01-05")


def _person(pid: str, hh: str, sex: str, born: str, marital: str, relation: str = "other", **extra: Any) -> dict:
    return {
        "person_id": pid,
        "household_id": hh,
        "full_name": f"Người {pid}",
        "sex": sex,
        "birth_date": born,
        "relation_to_head": relation,
        "marital_status": marital,
        **extra,
    }


def scenario(f: EventFactory) -> list[dict[str, Any]]:
    """The hand-worked scenario as RegisterEvent records (event ids s-01 ...)."""
    ids = iter(range(1, 1000))
    out: list[dict[str, Any]] = []

    def add(type_: str, on: str, commune: str, payload: dict[str, Any], recorded: Any = None, **ctx: Any) -> str:
        event_id = f"s-{next(ids):02d}"
        out.append(f.record(type_, on, commune, payload, recorded_at=recorded, event_id=event_id, **ctx))
        return event_id

    base = {"recorded": BASELINE_RECORDED}
    for hh, commune in (("H1", A), ("H2", A), ("H3", B), ("H4", C), ("H5", D)):
        add("household.registered", BASELINE, commune, {"household_id": hh, "address": f"địa chỉ {hh}"}, **base)
    for commune, payload in (
        (A, _person("P1", "H1", "F", "1999-07-01", "married", "head", children_ever_born=0)),
        (A, _person("P2", "H1", "M", "1995-03-10", "married", "spouse")),
        (A, _person("P3", "H2", "F", "1990-05-20", "married", "head", children_ever_born=2)),
        (A, _person("P4", "H2", "M", "1940-01-01", "widowed", "parent")),
        (B, _person("P5", "H3", "M", "1985-02-02", "never_married", "head")),
        (B, _person("P9", "H3", "M", "1970-01-01", "married")),
        (B, _person("P12", "H3", "F", "2000-02-02", "never_married")),
        (C, _person("P6", "H4", "F", "2008-04-04", "never_married", "child")),
        (C, _person("P7", "H4", "M", "2002-09-09", "never_married")),
        (C, _person("P10", "H4", "F", "1992-11-11", "married", "head")),
        (D, _person("P8", "H5", "M", "1980-12-12", "divorced", "head")),
    ):
        add("person.registered", BASELINE, commune, payload, **base)
    add("contraception.started", "2023-01-01", C, {"person_id": "P10", "method": "traditional"})
    add("contraception.started", "2023-05-05", B, {"person_id": "P12", "method": "condom"})
    add("contraception.started", "2023-06-01", A, {"person_id": "P3", "method": "iud"})
    add(
        "birth",
        "2024-01-20",
        A,
        {"child_id": "C1", "household_id": "H1", "mother_id": "P1", "sex": "F"},
        at("2024-03-10"),
        birth_order=1,
        mother_age=24,
    )
    death = add("death", "2024-02-10", A, {"person_id": "P4"}, at("2024-02-12"))
    add("contraception.started", "2024-03-01", A, {"person_id": "P1", "method": "pill"})
    add(
        "birth",
        "2024-03-30",
        A,
        {"child_id": "C2", "household_id": "H2", "mother_id": "P3", "sex": "M"},
        at("2024-04-02"),
        birth_order=3,
        mother_age=33,
    )
    add("event.voided", "2024-04-05", A, {"voided_event_id": death, "reason": "recorded for the wrong person"})
    add("person.corrected", "2024-04-20", A, {"person_id": "C2", "changes": {"birth_date": "2024-04-02"}})
    add("move_out", "2024-05-01", B, {"person_ids": ["P5"], "to_commune": A})
    add("household.registered", "2024-05-03", A, {"household_id": "H6", "address": "địa chỉ H6"})
    add("move_in", "2024-05-03", A, {"person_ids": ["P5"], "household_id": "H6", "from_commune": B})
    add("move_out", "2024-06-10", C, {"person_ids": ["P7"], "to_commune": A})
    add("move_in", "2024-06-12", A, {"person_ids": ["P7"], "household_id": "H2", "from_commune": C})
    add("marriage", "2024-07-15", C, {"person_ids": ["P6", "P7"]}, at("2024-07-16"), child_marriage=True)
    add("contraception.started", "2024-08-01", C, {"person_id": "P6", "method": "pill"})
    add("move_out", "2024-08-01", D, {"person_ids": ["P8"], "to_commune": B})
    add("move_in", "2024-08-05", B, {"person_ids": ["P8"], "household_id": "H3", "from_commune": D})
    add("move_in", "2024-09-15", D, {"person_ids": ["P9"], "household_id": "H5"})
    newcomer = at("2024-10-02")
    add("household.registered", "2024-10-01", A, {"household_id": "H7", "address": "địa chỉ H7"}, newcomer)
    add("move_in", "2024-10-01", A, {"person_ids": ["P11"], "household_id": "H7"}, newcomer)
    add("person.registered", "2024-10-01", A, _person("P11", "H7", "F", "1992-11-11", "married", "head"), newcomer)
    add("persons.merged", "2024-11-20", A, {"surviving_id": "P10", "merged_id": "P11"})
    return out


async def produce(
    settings: Settings,
    f: EventFactory,
    records: list[dict[str, Any]],
    *,
    topic: str = EVENTS,
    per_transaction: int = 50,
) -> None:
    """Write records onto the (prefixed) topic the way the register does: keyed, transactional."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap,
        enable_idempotence=True,
        acks="all",
        transactional_id=settings.topic(f"test-producer-{id(records)}"),
    )
    await producer.start()
    try:
        for i in range(0, len(records), per_transaction):
            async with producer.transaction():
                for rec in records[i : i + per_transaction]:
                    if topic == EVENTS:
                        key, value = f.key(rec), f.encode(rec)
                    else:  # a ReviewItem
                        key, value = rec["event_id"].encode(), orjson.dumps(rec)
                    await producer.send(settings.topic(topic), key=key, value=value)
    finally:
        await producer.stop()


async def sink_until_caught_up(settings: Settings, version: Version, pool: ConnectionPool, **kw: Any) -> Any:
    return await asyncio.wait_for(Sink(settings, version, pool, **kw).run(until_caught_up=True), 120)


async def feed(settings: Settings, pool: ConnectionPool, f: EventFactory, records: list[dict[str, Any]]) -> None:
    """The records onto the events topic, then the live version's sink caught up with them."""
    await produce(settings, f, records)
    with pool.connection() as conn:
        live = ensure_live(conn)
    await sink_until_caught_up(settings, live, pool)


COMPARED = (*TABLES, "event_archive", "event_subjects", "review_items", "sink_rejects")


def dump(pool: ConnectionPool, schema: str, tables: tuple[str, ...] = COMPARED) -> dict[str, list[tuple]]:
    """Every row of every table of a version, sorted (for row-for-row comparisons)."""
    out = {}
    with pool.connection() as conn:
        for table in tables:
            # the model's columns (a read model may add derived ones, e.g. birth_ymd)
            known = ("known_from", "known_to") if table != "persons" else ()
            what = sql.SQL(", ").join(map(sql.Identifier, TABLES[table] + known)) if table in TABLES else sql.SQL("*")
            query = sql.SQL("SELECT {} FROM {}.{}").format(what, sql.Identifier(schema), sql.Identifier(table))
            out[table] = sorted(conn.execute(query).fetchall(), key=repr)
    return out


@contextmanager
def opened(settings: Settings, max_size: int = 4) -> Iterator[tuple[Settings, ConnectionPool, EventFactory]]:
    """A pool on a fresh test database with the built-in gazetteer loaded, and an event factory."""
    pool = db.open_pool(settings, max_size=max_size)
    try:
        load_builtin(pool)
        yield settings, pool, EventFactory(builtin_gazetteer())
    finally:
        pool.close()


def cli_env(settings: Settings) -> dict[str, str]:
    """The environment that points a `popreg` subprocess at these test settings."""
    return {
        **os.environ,
        "POPREG_TOPIC_PREFIX": settings.topic_prefix,
        "POPREG_PG_DATABASE": settings.pg_database,
        "POPREG_PG_PORT": str(settings.pg_port),
        "POPREG_KAFKA_BOOTSTRAP": settings.bootstrap,
        "POPREG_ENV": "test",
        "POPREG_HOME": str(settings.home_dir),
    }


def popreg(settings: Settings, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "popreg", *args], env=cli_env(settings), capture_output=True, text=True, timeout=timeout
    )
