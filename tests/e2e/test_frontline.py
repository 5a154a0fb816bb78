"""The collaborator's offline book (/ctv) in a real browser (Debian's headless Chromium driven by
Playwright) at a 360 px phone viewport, against `popreg run` on a generated province: enrolment,
entries made offline, the outbox across a reload, acceptance by the register and the figures,
held entries and the desk's override, a lost answer resent, a revoked device, a conflict.

Screenshots of the main screens go to test-artifacts/frontline-*.png.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.e2e.frontline_support import (
    PHONE,
    READ_KV,
    READ_OUTBOX,
    TIMEOUT_MS,
    Running,
    busiest_commune,
    shot,
    start_province,
    this_month,
)
from tests.support.dashboard import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ACCEPT_MS = 180_000  # the register and the sink on a busy two-core machine


@pytest.fixture(scope="module")
def run(make_settings, tmp_path_factory) -> Iterator[Running]:
    running = start_province(make_settings, tmp_path_factory.mktemp("frontline"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def commune(run: Running) -> str:
    return busiest_commune(run)


@pytest.fixture(scope="module")
def browser(run: Running) -> Iterator[Browser]:
    with sync_playwright() as p:
        found = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield found
        found.close()


class Phone:
    """One enrolled device: a browser context at 360 px, recording page errors."""

    def __init__(self, context: BrowserContext, run: Running):
        self.context, self.run = context, run
        self.page: Page = context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.set_default_timeout(TIMEOUT_MS)

    def enrol(self, code: str) -> dict[str, Any]:
        self.page.goto(self.run.url + "/ctv/")
        self.page.fill("#code", code)
        self.page.click("#enrol")
        self.page.wait_for_selector("#households li a")
        # The service worker must hold the shell before the phone goes offline.
        self.page.wait_for_function(
            "navigator.serviceWorker.controller !== null || (location.reload(), false)",
            timeout=TIMEOUT_MS,
            polling=2000,
        )
        self.page.wait_for_selector("#households li a")
        return self.kv("device")

    def kv(self, key: str) -> Any:
        return self.page.evaluate(READ_KV, key)

    def book(self) -> dict[str, Any]:
        return self.kv("book")

    def go(self, fragment: str) -> None:
        self.page.evaluate("f => { location.hash = f; }", fragment)
        self.page.wait_for_selector("main")

    def household(self, hid: str) -> None:
        self.go(f"#/hh/{hid}")
        self.page.wait_for_selector(f'#household[data-household="{hid}"]')

    def form(self, hid: str, kind: str) -> None:
        self.household(hid)
        self.page.click(f'[data-form="{kind}"]')
        try:
            self.page.wait_for_selector(f'form.entry[data-type="{kind}"]')
        except Exception:
            raise AssertionError(f"form {kind} did not open: {self.errors}") from None

    def save(self) -> None:
        before = self.count_entries()
        self.page.click('form.entry button[type="submit"]')
        self.page.wait_for_function(
            "document.querySelector('form.entry') === null || document.querySelector('.form-error').textContent !== ''",
            timeout=TIMEOUT_MS,
        )
        refused = self.page.eval_on_selector_all(".field.invalid", "fs => fs.map(f => f.innerText)")
        assert not refused, refused
        assert self.count_entries() == before + 1

    def count_entries(self) -> int:
        return len(self.page.evaluate(READ_OUTBOX))

    def entry_state(self, event_id: str) -> str | None:
        self.go("#/outbox")
        el = self.page.query_selector(f'li.entry[data-id="{event_id}"]')
        return el.get_attribute("data-state") if el else None

    def wait_state(self, event_id: str, state: str, timeout: int = ACCEPT_MS) -> None:
        self.go("#/outbox")
        self.page.wait_for_selector(f'li.entry[data-id="{event_id}"][data-state="{state}"]', timeout=timeout)

    def outbox(self) -> list[dict[str, Any]]:
        return self.page.evaluate(READ_OUTBOX)

    def last_entry(self, kind: str) -> dict[str, Any]:
        return max((e for e in self.outbox() if e["type"] == kind), key=lambda e: e["seq"])


@pytest.fixture
def phone(browser: Browser, run: Running) -> Iterator[Any]:
    contexts = []

    def make(viewport: dict[str, int] = PHONE) -> Phone:
        context = browser.new_context(viewport=viewport, locale="vi-VN", service_workers="allow")
        contexts.append(context)
        return Phone(context, run)

    yield make
    for context in contexts:
        context.close()


def plain(text: str) -> str:
    """Without diacritics and in lower case, as someone types on a phone without Vietnamese input."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def age(born: str | None, on: date) -> int | None:
    if not born:
        return None
    b = date.fromisoformat(born)
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


class Picker:
    """People of the device's book, each used by one test only (the tests share the province)."""

    def __init__(self, book: dict[str, Any]):
        self.households = book["households"]
        self.used: set[str] = set()

    def take(self, want) -> tuple[dict[str, Any], dict[str, Any]]:
        for hh in self.households:
            if hh["id"] in self.used:
                continue
            for m in hh["members"]:
                if want(m, hh):
                    self.used.add(hh["id"])
                    return hh, m
        raise AssertionError("no such person in the book")


def can_mother(m: dict[str, Any], hh: dict[str, Any]) -> bool:
    today = date.today()
    recent = any((today - date.fromisoformat(d)).days < 200 for d, _ in m.get("births", []))
    return m["sex"] == "F" and 20 <= (age(m["born"], today) or 0) <= 40 and not recent


def indicators(run: Running, commune: str) -> dict[str, Any]:
    return run.get("/v1/indicators", area=commune, period=this_month(), names="population,births,deaths,out_migrants")[
        "values"
    ]


_PICKER: dict[str, Picker] = {}


def picker(p: Phone) -> Picker:
    if "p" not in _PICKER:
        _PICKER["p"] = Picker(p.book())
    return _PICKER["p"]


def test_offline_birth_death_move_reach_the_register(phone, run: Running, commune: str):
    p = phone()
    device = p.enrol(run.code("ctv-test-01", commune))
    assert device["area"] == commune and device["collector_id"] == "ctv-test-01"
    shot(p.page, "book")
    pick = picker(p)
    mother_hh, mother = pick.take(can_mother)
    dead_hh, dead = pick.take(lambda m, hh: m["rel"] != "head" and (age(m["born"], date.today()) or 0) > 60)
    mover_hh, mover = pick.take(lambda m, hh: m["rel"] == "child" and (age(m["born"], date.today()) or 0) > 18)

    # The search ignores diacritics and word order.
    p.go("#/book")
    words = mother["name"].split()
    query = plain(" ".join(reversed(words)))  # "Lò Thị Mai" -> "mai thi lo"
    p.page.fill("#search", query)
    p.page.wait_for_selector(f'#households a[data-household="{mother_hh["id"]}"]')
    shot(p.page, "search")

    before = indicators(run, commune)
    p.context.set_offline(True)
    p.page.wait_for_selector("#net.off")

    p.form(mother_hh["id"], "birth")
    p.page.select_option('[name="mother_id"]', mother["id"])
    p.page.select_option('[name="sex"]', "F")
    # A check while typing: a date in the future is refused at the field, in Vietnamese.
    p.page.fill('[name="occurred_on"]', (date.today() + timedelta(days=3)).isoformat())
    p.page.wait_for_selector('[data-field="occurred_on"].invalid')
    assert "tương lai" in p.page.inner_text('[data-field="occurred_on"] .err')
    shot(p.page, "birth-check")
    p.page.fill('[name="occurred_on"]', date.today().isoformat())
    p.page.click("text=Tên tạm")
    assert p.page.input_value('[name="full_name"]') == f"Con bà {mother['name']}"
    p.page.fill('[name="full_name"]', "Lò Thị Mai")
    p.save()
    birth = p.last_entry("birth")

    p.form(dead_hh["id"], "death")
    p.page.select_option('[name="person_id"]', dead["id"])
    p.save()
    death = p.last_entry("death")

    p.form(mover_hh["id"], "move_out")
    p.page.check(f'input[name="person_ids"][value="{mover["id"]}"]')
    p.save()
    move = p.last_entry("move_out")

    # A reload with no network: the shell comes from the service worker, the entries from IndexedDB.
    p.page.reload()
    p.go("#/outbox")
    for entry in (birth, death, move):
        p.page.wait_for_selector(f'li.entry[data-id="{entry["event_id"]}"][data-state="waiting"]')
    assert p.page.inner_text("#pending-count") == "3"
    shot(p.page, "outbox-offline")

    p.context.set_offline(False)
    for entry in (birth, death, move):
        p.wait_state(entry["event_id"], "accepted")
    shot(p.page, "outbox-accepted")
    after = run.wait_until(
        lambda: (v := indicators(run, commune))["deaths"] == (before["deaths"] or 0) + 1 and v,
        what="the commune's figures",
    )
    assert after["births"] == (before["births"] or 0) + 1
    assert after["deaths"] == (before["deaths"] or 0) + 1
    assert after["out_migrants"] == (before["out_migrants"] or 0) + 1
    child = birth["envelopes"][0]["payload"]["child_id"]
    assert run.get(f"/v1/persons/{child}")["full_name"] == "Lò Thị Mai"
    assert not p.errors, p.errors


def married(m: dict[str, Any], hh: dict[str, Any]) -> bool:
    return m["marital"] == "married"


def test_held_entry_in_her_inbox_and_the_desk_override_makes_it_accepted(phone, run: Running, commune: str):
    p = phone()
    p.enrol(run.code("ctv-test-02", commune))
    pick = picker(p)
    hh_a, a = pick.take(married)
    _, b = pick.take(married)
    # Both are married, but not to each other: the device cannot know it, the register holds it.
    p.form(hh_a["id"], "divorce")
    p.page.select_option('[name="person_a"]', a["id"])
    p.page.fill('[data-field="person_b"] input[type="search"]', plain(b["name"]))
    p.page.select_option('[name="person_b"]', b["id"])
    p.save()
    divorce = p.last_entry("divorce")
    p.wait_state(divorce["event_id"], "held")
    item = p.page.inner_text(f'li.entry[data-id="{divorce["event_id"]}"]')
    assert "không phải là vợ chồng" in item, item

    p.go("#/inbox")
    p.page.wait_for_selector(f'#inbox li[data-id="{divorce["event_id"]}"][data-reason="not_married_to_each_other"]')
    shot(p.page, "inbox")

    desk = phone({"width": 1280, "height": 900})
    officer = desk.enrol(run.code("can-bo-xa", commune, role="clerk"))
    assert officer["desk"] is True
    desk.go("#/desk")
    row = f'#desk li[data-id="{divorce["event_id"]}"]'
    desk.page.wait_for_selector(row)
    desk.page.fill(f'{row} input[name="reason"]', "Đã xác minh tại nhà: hai người là vợ chồng theo tập quán")
    shot(desk.page, "desk")
    desk.page.click(f"{row} button.override")
    desk.page.wait_for_selector(f'{row}[data-done="override"]')

    p.wait_state(divorce["event_id"], "accepted")
    history = run.get(f"/v1/persons/{a['id']}/history")
    assert [e["event_id"] for e in history["events"] if e["type"] == "divorce"] == [divorce["event_id"]]
    desk.go("#/book")
    desk.go("#/desk")
    desk.page.wait_for_selector("#desk")
    assert desk.page.query_selector(row) is None  # resolved: off the commune's queue
    assert not p.errors and not desk.errors, (p.errors, desk.errors)


def test_a_lost_answer_resent_is_one_event_and_a_revoked_device_is_refused(phone, run: Running, commune: str):
    p = phone()
    device = p.enrol(run.code("ctv-test-03", commune))
    hh, person = picker(p).take(lambda m, hh: m["rel"] != "head" and (age(m["born"], date.today()) or 0) > 50)
    lost: list[int] = []

    def lose_first_answer(route) -> None:
        if not lost:
            answer = route.fetch()  # the gateway takes the batch onto Kafka and answers ...
            lost.append(answer.status)
            route.abort("connectionreset")  # ... but the phone never hears it
        else:
            route.continue_()

    p.context.route("**/v1/submissions", lose_first_answer)
    p.form(hh["id"], "death")
    p.page.select_option('[name="person_id"]', person["id"])
    p.save()
    death = p.last_entry("death")
    p.wait_state(death["event_id"], "accepted")
    assert lost == [200]
    history = run.get(f"/v1/persons/{person['id']}/history")
    assert [e["event_id"] for e in history["events"] if e["type"] == "death"] == [death["event_id"]]
    assert len(history["deaths"]) == 1
    p.context.unroute("**/v1/submissions")

    # Revoked from the command line: the very next request of the phone is refused.
    run.cli("device", "revoke", device["device_id"])
    listed = run.cli("device", "list", "--area", commune)
    assert device["device_id"] in listed
    reply = run.submit([death["envelopes"][0]], token=device["token"])
    assert reply.status_code == 401
    hh2, other = picker(p).take(lambda m, hh: m["sex"] == "F" and 15 <= (age(m["born"], date.today()) or 0) <= 49)
    p.form(hh2["id"], "pregnancy.recorded")
    p.page.select_option('[name="person_id"]', other["id"])
    p.save()
    p.page.wait_for_selector("#revoked")
    pregnancy = p.last_entry("pregnancy.recorded")
    assert p.entry_state(pregnancy["event_id"]) == "waiting"  # kept, never lost
    shot(p.page, "revoked")


def test_a_commune_correction_made_while_offline_shows_as_a_conflict(phone, run: Running, commune: str):
    p = phone()
    p.enrol(run.code("ctv-test-04", commune))
    hh, person = picker(p).take(
        lambda m, hh: m["rel"] not in ("head", "spouse") and (age(m["born"], date.today()) or 0) > 16
    )
    p.context.set_offline(True)
    p.form(hh["id"], "death")
    p.page.select_option('[name="person_id"]', person["id"])
    p.save()
    death = p.last_entry("death")

    # Meanwhile the commune records that this person moved away (yesterday).
    correction = {
        "event_id": f"commune-fix-{death['event_id']}",
        "type": "move_out",
        "schema_version": 1,
        "occurred_on": (date.today() - timedelta(days=1)).isoformat(),
        "recorded_at": f"{date.today().isoformat()}T08:00:00+07:00",
        "commune": commune,
        "source": {"channel": "web", "collector_id": "can-bo-xa"},
        "payload": {"person_ids": [person["id"]]},
    }
    reply = run.submit([correction])
    assert reply.json()["results"][0]["status"] == "accepted", reply.text
    run.wait_until(lambda: run.get(f"/v1/persons/{person['id']}")["status"] != "alive", what="the correction projected")

    p.context.set_offline(False)
    p.wait_state(death["event_id"], "conflict")
    text = p.page.inner_text(f'li.entry[data-id="{death["event_id"]}"]')
    assert person["name"] in text and "không còn trong sổ" in text, text
    p.page.reload()
    p.wait_state(death["event_id"], "conflict")  # shown, not lost, not sent
    shot(p.page, "conflict")
    token = p.kv("device")["token"]
    statuses = run.get_status([death["event_id"]], token)
    assert statuses[death["event_id"]]["state"] == "unknown"  # never sent over the commune's fact

    desk = phone({"width": 1280, "height": 900})
    desk.enrol(run.code("can-bo-xa-2", commune, role="clerk"))
    desk.go("#/desk")
    desk.page.wait_for_selector('tr[data-collector="ctv-test-04"] td.conflicts:text-is("1")')
    shot(desk.page, "desk-collaborators")

    p.page.click(f'li.entry[data-id="{death["event_id"]}"] button.secondary')  # drop it, knowingly
    p.wait_state(death["event_id"], "dropped")


def adult_single(sex: str):
    def want(m: dict[str, Any], hh: dict[str, Any]) -> bool:
        years = age(m["born"], date.today()) or 0
        return m["sex"] == sex and m["marital"] == "never_married" and 22 <= years <= 35

    return want


def fill_people(p: Phone, people: list[tuple[str, str, str, str]]) -> None:
    """New people typed in: (full name, sex, birth date, relation to head)."""
    for i, (name, sex, born, relation) in enumerate(people):
        if i:
            p.page.click('[data-field="people"] button.secondary')
        row = f'fieldset.person[data-index="{i}"]'
        p.page.fill(f'{row} [name="full_name"]', name)
        p.page.select_option(f'{row} [name="sex"]', sex)
        p.page.fill(f'{row} [name="birth_date"]', born)
        p.page.select_option(f'{row} [name="relation_to_head"]', relation)


def test_every_a0_change_reaches_the_register_and_her_month_counts_them(phone, run: Running, commune: str):
    p = phone()
    p.enrol(run.code("ctv-test-05", commune))
    pick = picker(p)
    today = date.today()
    first = today.replace(day=1).isoformat()  # her month counts what occurred in it
    saved: dict[str, dict[str, Any]] = {}

    def record(kind: str, hid: str | None, fill, on: str | None = None) -> None:
        if hid:
            p.form(hid, kind)
        else:
            p.go(f"#/form/{kind}")
            p.page.wait_for_selector(f'form.entry[data-type="{kind}"]')
        fill()
        if on:
            p.page.fill('[name="occurred_on"]', on)
        p.save()
        saved[kind] = p.last_entry(kind)

    hh_m, groom = pick.take(adult_single("M"))
    _, bride = pick.take(adult_single("F"))

    def marry() -> None:
        p.page.select_option('[name="person_a"]', groom["id"])
        p.page.fill('[data-field="person_b"] input[type="search"]', plain(bride["name"]))
        p.page.select_option('[name="person_b"]', bride["id"])

    record("marriage", hh_m["id"], marry)
    hh_w, woman = pick.take(lambda m, hh: m["sex"] == "F" and 20 <= (age(m["born"], today) or 0) <= 45)
    record(
        "contraception.started",
        hh_w["id"],
        lambda: (
            p.page.select_option('[name="person_id"]', woman["id"]),
            p.page.select_option('[name="method"]', "pill"),
        ),
        first,
    )
    record(
        "contraception.stopped",
        hh_w["id"],
        lambda: (
            p.page.select_option('[name="person_id"]', woman["id"]),
            p.page.select_option('[name="method"]', "pill"),
            p.page.select_option('[name="reason"]', "wants_child"),
        ),
    )
    hh_g, pregnant = pick.take(lambda m, hh: m["sex"] == "F" and 20 <= (age(m["born"], today) or 0) <= 40)
    record("pregnancy.recorded", hh_g["id"], lambda: p.page.select_option('[name="person_id"]', pregnant["id"]), first)
    record(
        "pregnancy.ended",
        hh_g["id"],
        lambda: (
            p.page.select_option('[name="person_id"]', pregnant["id"]),
            p.page.select_option('[name="outcome"]', "miscarriage"),
        ),
    )
    hh_c, renamed = pick.take(lambda m, hh: m["rel"] == "child")
    record(
        "person.corrected",
        hh_c["id"],
        lambda: (
            p.page.select_option('[name="person_id"]', renamed["id"]),
            p.page.fill('[name="full_name"]', "Quàng Thị Ánh"),
        ),
    )
    hh_s, splitter = pick.take(
        lambda m, hh: m["rel"] in ("child", "sibling", "other") and (age(m["born"], today) or 0) > 18
    )
    target, _ = pick.take(lambda m, hh: m["rel"] == "head")
    record(
        "household.member_moved",
        hh_s["id"],
        lambda: (
            p.page.select_option('[name="person_id"]', splitter["id"]),
            p.page.fill('[data-field="household_id"] input[type="search"]', plain(target["address"].split(",")[0])),
            p.page.select_option('[name="household_id"]', target["id"]),
        ),
    )
    hh_f, _ = pick.take(lambda m, hh: True)
    record("person.registered", hh_f["id"], lambda: fill_people(p, [("Lù Văn Sáng", "M", "1990-04-02", "sibling")]))
    record(
        "household.registered",
        None,
        lambda: (
            p.page.fill('[name="address"]', "Bản Nà Sàng, nhà số 12"),
            fill_people(p, [("Sùng A Chứ", "M", "1985-01-15", "head"), ("Giàng Thị Dợ", "F", "1988-07-30", "spouse")]),
        ),
    )
    record(
        "move_in",
        None,
        lambda: (
            p.page.fill('[name="address"]', "Bản Hua Pục, nhà số 3"),
            fill_people(p, [("Lò Thị Mai", "F", "1999-09-09", "head")]),
            p.page.fill('[name="from_commune"]', "ABROAD"),
        ),
    )
    for kind, entry in saved.items():
        try:
            p.wait_state(entry["event_id"], "accepted")
        except Exception:
            shown = p.page.inner_text(f'li.entry[data-id="{entry["event_id"]}"]')
            raise AssertionError(f"{kind}: {shown}") from None
    shot(p.page, "outbox-forms")
    assert run.get(f"/v1/persons/{renamed['id']}")["full_name"] == "Quàng Thị Ánh"

    # Her own wrong entry voided, picked from her outbox.
    record(
        "event.voided",
        None,
        lambda: (
            p.page.select_option('[name="voided_event_id"]', saved["pregnancy.ended"]["event_id"]),
            p.page.fill('[name="reason"]', "ghi nhầm người"),
        ),
    )
    p.wait_state(saved["event.voided"]["event_id"], "accepted")

    p.go("#/month")
    p.page.wait_for_selector("#month table")
    month = {
        k: p.page.inner_text(f'#month tr[data-name="{k}"] td')
        for k in ("marriages", "contraception_new", "pregnancies", "move_in")
    }
    assert month == {"marriages": "1", "contraception_new": "1", "pregnancies": "1", "move_in": "1"}, month
    visited = int(p.page.inner_text('#month tr[data-name="households_visited"] td'))
    assert visited >= 5
    shot(p.page, "month")
    assert not p.errors, p.errors


def test_pin_lock_after_inactivity_and_sign_out_wipes_the_device(phone, run: Running, commune: str):
    p = phone()
    device = p.enrol(run.code("ctv-test-06", commune))
    p.go("#/more")
    p.page.fill("#new-pin", "2468")
    p.page.click("#set-pin")
    p.page.wait_for_selector("text=Đã đặt PIN")
    p.page.evaluate("localStorage.setItem('ctv.idleMs', '1500')")
    p.page.wait_for_selector("#lock", timeout=15_000)
    assert p.page.query_selector("#households") is None  # nothing of the book behind the lock
    shot(p.page, "lock")
    p.page.fill("#pin", "1111")
    p.page.click("#lock button")
    p.page.wait_for_selector("text=PIN không đúng")
    p.page.evaluate("localStorage.setItem('ctv.idleMs', '600000')")
    p.page.fill("#pin", "2468")
    p.page.click("#lock button")
    p.page.wait_for_selector("#signout")
    p.page.click("#lang")  # the English switch
    p.page.wait_for_selector("#nav-book:text('Book')")
    p.page.click("#lang")
    p.page.wait_for_selector("#nav-book:text('Sổ hộ')")

    p.page.on("dialog", lambda dialog: dialog.accept())
    p.page.click("#signout")
    p.page.wait_for_selector("#code")
    databases = p.page.evaluate("async () => (await indexedDB.databases()).map((d) => d.name)")
    assert "popreg-ctv" not in databases  # the book, the outbox and the credential are gone
    assert run.submit([], token=device["token"]).status_code == 401


def test_a_busy_gateway_and_a_batch_too_large_lose_nothing(phone, run: Running, commune: str):
    p = phone()
    p.enrol(run.code("ctv-test-07", commune))
    pick = picker(p)
    seen: list[tuple[int, int]] = []  # (entries in the batch, status answered)

    def busy_then_small(route) -> None:
        size = len(route.request.post_data_json)
        if not seen:
            seen.append((size, 503))
            route.fulfill(status=503, headers={"Retry-After": "1"}, body='{"detail": "Kafka unavailable"}')
        elif size > 1:
            seen.append((size, 413))
            route.fulfill(status=413, body='{"detail": "body over the limit; split the batch"}')
        else:
            seen.append((size, 200))
            route.continue_()

    p.context.set_offline(True)
    entries = []
    for _ in range(3):
        hh, woman = pick.take(lambda m, hh: m["sex"] == "F" and 18 <= (age(m["born"], date.today()) or 0) <= 45)
        p.form(hh["id"], "pregnancy.recorded")
        p.page.select_option('[name="person_id"]', woman["id"])
        p.save()
        entries.append(p.last_entry("pregnancy.recorded"))
    p.context.route("**/v1/submissions", busy_then_small)
    p.context.set_offline(False)
    for entry in entries:
        p.wait_state(entry["event_id"], "accepted")
    assert seen[0] == (3, 503) and (3, 413) in seen and [s for s in seen if s[1] == 200] == [(1, 200)] * 3, seen
    p.context.unroute("**/v1/submissions")
