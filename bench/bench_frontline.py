"""The collaborator's app (/ctv) on a phone's network and CPU: Chromium's "Slow 3G" profile and a 4x
CPU slowdown through the DevTools protocol, each figure beside the same measurement without
throttling (the baseline), in the same run.

Builds a province with `popreg generate` (--households, default 1500, so the busiest commune
keeps ~300 households), feeds it through `popreg submit` to `popreg run` on a database and topic
prefix of its own (dropped at the end), enrols a device of the busiest commune with
`popreg device code`, and measures in Debian's headless Chromium:

- shell: a reload with the network cut, until the book is shown from the cache (target < 1 s);
- sync: the first sync of her households (target < 10 s for 300 households);
- save: saving an entry, from the Save press to the outbox write being durable (target < 100 ms);
- size: the shipped assets, gzip-compressed (target < 300 KB);
- send: 1,000 pending entries, from the network's return to the last one answered (target < 30 s).

    python bench/bench_frontline.py [--households 1500] [--entries 1000]
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import CDPSession, Page, sync_playwright  # noqa: E402

from infra import db, kafka_admin, migrate  # noqa: E402
from infra.settings import Settings  # noqa: E402
from producers.frontline.router import STATIC  # noqa: E402
from tests.e2e.frontline_support import READ_KV, READ_OUTBOX, busiest_commune, start_province  # noqa: E402
from tests.support.dashboard import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.stack import _base_settings  # noqa: E402

# Chrome DevTools' "Slow 3G" preset: 400 ms latency (+ Lighthouse's 1.4x slowdown factor as the
# preset applies it: 2000 ms RTT is "3G" in Lighthouse; DevTools' Slow 3G is 400 ms / 400 kbit/s).
SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400 * 1024 / 8 * 0.9,
    "uploadThroughput": 400 * 1024 / 8 * 0.9,
}
NO_LIMIT = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
# Pending entries made inside the page with the app's own modules (what saving a form writes).
MAKE_PENDING = """async ([n, device, women]) => {
  const { outbox } = await import('/ctv/static/store.js');
  const { uuid7, nowRFC3339, todayISO } = await import('/ctv/static/util.js');
  const entries = [];
  for (let i = 0; i < n; i++) {
    const id = uuid7();
    entries.push({ event_id: id, type: 'pregnancy.recorded', state: 'waiting', seq: 1e6 + i, label: 'bench ' + i,
      envelopes: [{ event_id: id, type: 'pregnancy.recorded', schema_version: 1, occurred_on: todayISO(),
        recorded_at: nowRFC3339(), commune: device.area, source: { channel: 'mobile', device_id: device.device_id,
        collector_id: device.collector_id }, payload: { person_id: women[i % women.length] } }] });
  }
  await outbox.putMany(entries);
}"""
WAITING = "async () => (await (" + READ_OUTBOX + ")()).filter((e) => e.state === 'waiting').length"


class Phone:
    """A page at 360 px with a CDP session to throttle network and CPU."""

    def __init__(self, page: Page, cdp: CDPSession):
        self.page, self.cdp = page, cdp

    def throttle(self, on: bool) -> None:
        self.cdp.send("Network.emulateNetworkConditions", SLOW_3G if on else NO_LIMIT)
        self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4 if on else 1})

    def measure(self, name: str) -> float:
        return self.page.evaluate(f"performance.getEntriesByName('{name}').at(-1).duration")


def shell_ms(phone: Phone) -> float:
    """A reload with no network: navigation start to the book shown (from the service worker)."""
    phone.page.evaluate("location.hash = '#/book'")
    phone.page.context.set_offline(True)
    phone.page.reload()
    phone.page.wait_for_selector("#households li a", timeout=60_000)
    shown = phone.page.evaluate("performance.getEntriesByName('ctv-book-shown')[0].startTime")
    phone.page.context.set_offline(False)
    return shown


def sync_ms(phone: Phone) -> float:
    phone.page.evaluate("location.hash = '#/book'")
    before = phone.page.evaluate("performance.getEntriesByName('ctv-sync').length")
    phone.page.click("#sync")
    phone.page.wait_for_function(f"performance.getEntriesByName('ctv-sync').length > {before}", timeout=120_000)
    return phone.measure("ctv-sync")


def save_ms(phone: Phone, household: str, person: str) -> float:
    phone.page.context.set_offline(True)  # the entry waits in the outbox: nothing else runs meanwhile
    phone.page.evaluate(f"location.hash = '#/form/pregnancy.recorded/{household}'")
    phone.page.wait_for_selector('form.entry[data-type="pregnancy.recorded"]')
    phone.page.select_option('[name="person_id"]', person)
    phone.page.click('form.entry button[type="submit"]')
    phone.page.wait_for_function(
        "document.querySelector('form.entry') === null || document.querySelector('.form-error').textContent !== ''",
        timeout=60_000,
    )
    refused = phone.page.eval_on_selector_all(".field.invalid", "fs => fs.map(f => f.innerText)")
    assert not refused, refused
    took = phone.measure("ctv-save")
    phone.page.context.set_offline(False)
    return took


def send_s(phone: Phone, device: dict[str, Any], women: list[str], n: int) -> float:
    """n entries pending while offline; seconds from the network's return to all answered."""
    phone.page.context.set_offline(True)
    phone.page.evaluate(MAKE_PENDING, [n, device, women])
    start = time.perf_counter()
    phone.page.context.set_offline(False)
    phone.page.evaluate("dispatchEvent(new Event('online'))")
    while phone.page.evaluate(WAITING) > 0:
        time.sleep(0.1)
    return time.perf_counter() - start


def shipped_kb() -> float:
    return sum(len(gzip.compress(p.read_bytes(), 9)) for p in STATIC.iterdir()) / 1024


def settings_maker(made: list[Settings]) -> Callable[..., Settings]:
    base = _base_settings()

    def make() -> Settings:
        tag = f"b{uuid.uuid4().hex[:10]}"
        settings = base.model_copy(update={"topic_prefix": f"{tag}.", "pg_database": f"popreg_{tag}"})
        db.create_database(base.dsn, f"popreg_{tag}")
        made.append(settings)
        migrate.apply_migrations(settings.dsn)
        kafka_admin.ensure_topics(settings)
        return settings

    return make


def row(name: str, unit: str, slow: float, base: float, target: str) -> None:
    print(f"{name:<44} {slow:>9.1f} {unit:<3} {base:>9.1f} {unit:<3} {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1500)
    parser.add_argument("--entries", type=int, default=1000)
    args = parser.parse_args()
    made: list[Settings] = []
    run = None
    try:
        with tempfile.TemporaryDirectory(prefix="bench-frontline-") as tmp:
            started = time.perf_counter()
            run = start_province(settings_maker(made), Path(tmp), households=args.households)
            commune = busiest_commune(run)
            print(
                f"province of {args.households} households fed and projected in {time.perf_counter() - started:.0f} s; "
                f"commune {commune}"
            )
            results: dict[str, list[float]] = {}
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for slow in (False, True):  # the baseline first, then the phone
                    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
                    page = context.new_page()
                    phone = Phone(page, context.new_cdp_session(page))
                    page.goto(run.url + "/ctv/")
                    page.fill("#code", run.code(f"ctv-bench-{int(slow)}", commune))
                    page.click("#enrol")
                    page.wait_for_selector("#households li a", timeout=120_000)
                    page.wait_for_function(
                        "navigator.serviceWorker.controller !== null || (location.reload(), false)",
                        timeout=60_000,
                        polling=2000,
                    )
                    device, book = page.evaluate(READ_KV, "device"), page.evaluate(READ_KV, "book")
                    women = [m["id"] for hh in book["households"] for m in hh["members"] if m["sex"] == "F"]
                    mother = next(
                        (hh["id"], m["id"])
                        for hh in book["households"]
                        for m in hh["members"]
                        if m["sex"] == "F" and "1980" <= (m["born"] or "") <= "2005"
                    )
                    phone.throttle(slow)
                    print("throttled: Slow 3G, 4x CPU" if slow else "baseline: no throttling", flush=True)
                    got = results.setdefault("slow" if slow else "base", [])
                    got.append(shell_ms(phone))
                    got.append(sync_ms(phone))
                    got.append(save_ms(phone, *mother))
                    got.append(send_s(phone, device, women, args.entries))
                    got.append(len(book["households"]))
                    context.close()
                browser.close()
            slow, base = results["slow"], results["base"]
            print(f"\n{'':<44} {'Slow 3G, 4x CPU':>13} {'baseline':>13}   target")
            row("app shell usable from the cache", "ms", slow[0], base[0], "< 1000 ms")
            row(f"first sync of the book ({int(slow[4])} households)", "ms", slow[1], base[1], "< 10000 ms")
            row("saving an entry (durable in IndexedDB)", "ms", slow[2], base[2], "< 100 ms")
            row(f"{args.entries} pending entries sent", "s", slow[3], base[3], "< 30 s")
            kb = shipped_kb()
            print(
                f"{'shipped assets, gzip':<44} {kb:>9.1f} KB  (uncompressed "
                f"{sum(p.stat().st_size for p in STATIC.iterdir()) / 1024:.1f} KB)       < 300 KB"
            )
    finally:
        if run is not None:
            run.stop()
        base_settings = _base_settings()
        for settings in made:
            db.drop_database(base_settings.dsn, db.database_name(settings.dsn))
            prefix = settings.topic_prefix
            kafka_admin.delete_topics(settings, [t for t in kafka_admin.list_topics(settings) if t.startswith(prefix)])


if __name__ == "__main__":
    main()
