"""The ingest path follows the gazetteer in PostgreSQL: a load while it runs takes effect."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from events.gazetteer import GazetteerRow
from infra import db
from infra.gazetteer_store import load_builtin, load_rows
from infra.tokens import LOCAL_OPERATOR
from producers.runtime import open_ingest
from tests.support.gateway import death

pytestmark = pytest.mark.integration

NEW_UNIT = GazetteerRow("99990", "Xã Thử Nghiệm", None, None, "14", "Tỉnh Sơn La", date(2020, 1, 1))


async def test_a_gazetteer_load_reaches_a_running_ingest(make_settings) -> None:
    settings = make_settings()  # its own database: the loads below must not reach other tests
    with db.connect(settings) as conn:
        load_builtin(conn)
    async with open_ingest(settings, gazetteer_refresh=0.2) as service:
        before = await service.ingest([death(commune="99990")], LOCAL_OPERATOR)
        assert before[0].status == "invalid" and before[0].errors[0].loc == "commune"
        with db.connect(settings) as conn:
            assert load_rows(conn, [NEW_UNIT], "test: one new commune").rows_added == 1
        for _ in range(50):
            await asyncio.sleep(0.2)
            if service.gazetteer.exists("99990", date(2024, 3, 5)):
                break
        after = await service.ingest([death(commune="99990"), death()], LOCAL_OPERATOR)
    assert [r.status for r in after] == ["accepted", "accepted"]  # the builtin units are still there
