"""The dashboard in a real browser (Debian's headless Chromium driven by Playwright) against a
generated province that went through the real pipeline, served by a real uvicorn.

Screenshots of the main views are written to test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import orjson
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.support.dashboard import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    PROVINCE,
    Province,
    close_shared,
    shared_province,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TIMEOUT_MS = 30_000
MM = 96 / 25.4  # CSS pixels per millimetre
PRINTABLE = (round((210 - 20) * MM), (297 - 20) * MM)  # A4 less the 10 mm margins of app.css


@pytest.fixture(scope="session")
def province(make_settings, tmp_path_factory) -> Iterator[Province]:
    yield shared_province(make_settings, tmp_path_factory.mktemp("dashboard"))
    close_shared()


@pytest.fixture(scope="module")
def browser(province: Province) -> Iterator[Browser]:
    # After the province: Playwright's sync API runs an event loop in this thread from here on,
    # and the pipeline's asyncio.run calls must come before it. Module scope: the loop must be
    # gone before the next module's asyncio tests run in this thread.
    with sync_playwright() as p:
        found = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield found
        found.close()


class Session:
    """A page signed in with one of the province's tokens, recording console errors."""

    def __init__(self, page: Page, province: Province, who: str):
        self.page, self.province, self.who = page, province, who
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def open(self, fragment: str = "") -> None:
        self.page.goto(f"{self.province.url}/{fragment}")

    def headline(self, key_prefix: str) -> dict[str, dict[str, str]]:
        """Wait until the headline cards of `area|period|known_on` are drawn; their values."""
        selector = f'#headline[data-state="ready"][data-key^="{key_prefix}"]'
        self.page.wait_for_selector(selector, timeout=TIMEOUT_MS)
        cards = self.page.eval_on_selector_all(
            "#headline .card",
            "cs => cs.map(c => [c.dataset.name, c.dataset.value, c.querySelector('.value').textContent])",
        )
        return {name: {"raw": raw, "text": text} for name, raw, text in cards}

    def ready(self, *ids: str) -> None:
        for element in ids:
            self.page.wait_for_selector(f'#{element}[data-state="ready"]', timeout=TIMEOUT_MS)

    def shot(self, name: str, full_page: bool = True) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=full_page)


@pytest.fixture
def signed_in(browser: Browser, province: Province) -> Iterator[Callable[[str], Session]]:
    contexts = []

    def make(who: str = "operator") -> Session:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
        context.add_init_script(
            f"sessionStorage.setItem('popreg.token', {orjson.dumps(province.tokens[who]).decode()})"
        )
        contexts.append(context)
        return Session(context.new_page(), province, who)

    yield make
    for context in contexts:
        context.close()


def shown(cards: dict[str, dict[str, str]]) -> dict[str, float | None]:
    """The figures the cards carry (data-value), as numbers (JavaScript writes 60.0 as "60")."""
    return {n: None if c["raw"] == "" else float(c["raw"]) for n, c in cards.items()}


def vi_number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def api_values(
    province: Province, area: str, period: str, names: list[str], who: str = "operator", known_on: str | None = None
) -> dict:
    params = {"area": area, "period": period, "names": ",".join(names)}
    if known_on:
        params["known_on"] = known_on
    return province.json("/v1/indicators", who, **params)["values"]


def test_page_loads_with_no_console_errors(signed_in):
    s = signed_in("operator")
    s.open()
    cards = s.headline("VN|")
    assert cards["population"]["raw"] not in ("", None)
    s.page.wait_for_selector('#crumbs[data-code="VN"]', timeout=TIMEOUT_MS)
    s.ready("trend", "pyramid", "births", "contra", "migration", "quality", "map", "sheet", "pipeline")
    assert s.page.locator("#crumbs .current").inner_text() == "Việt Nam"
    assert s.page.locator("#p-person").is_visible()  # an operator may open the person view
    s.shot("country")
    assert s.errors == []


def test_sign_in_form_keeps_the_token_for_the_session_only(browser, province):
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(province.url + "/dashboard")
        page.fill("#token", "prt_not-a-real-token")
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#login-error:not([hidden])", timeout=TIMEOUT_MS)
        assert "không hợp lệ" in page.inner_text("#login-error")
        page.fill("#token", province.tokens["analyst14"])
        page.click("#login-form button[type=submit]")
        page.wait_for_selector('#headline[data-state="ready"]', timeout=TIMEOUT_MS)
        assert page.evaluate("sessionStorage.getItem('popreg.token')") == province.tokens["analyst14"]
        assert page.evaluate("localStorage.getItem('popreg.token')") is None
        page.click("#logout")
        assert page.is_visible("#login") and page.evaluate("sessionStorage.getItem('popreg.token')") is None
    finally:
        context.close()


def test_picking_an_area_and_a_period_shows_the_apis_numbers(signed_in, province):
    s = signed_in("operator")
    s.open("#area=VN&period=2026-06")
    s.headline("VN|2026-06|")
    s.page.wait_for_selector('#crumbs[data-code="VN"]', timeout=TIMEOUT_MS)  # the units below are listed
    s.page.select_option("#children", PROVINCE)
    s.headline(f"{PROVINCE}|2026-06|")
    s.page.select_option("#kind", "quarter")
    s.headline(f"{PROVINCE}|2026-Q2|")  # the quarter that holds June 2026
    s.page.select_option("#year", "2025")
    s.page.select_option("#sub", "2")
    cards = s.headline(f"{PROVINCE}|2025-Q2|")
    api = api_values(province, PROVINCE, "2025-Q2", list(cards))
    assert shown(cards) == api
    for name in ("population", "households", "births", "deaths"):
        assert cards[name]["text"] == vi_number(api[name])
    assert api["population"] > 0
    s.page.wait_for_selector(f'#headline[data-change="{PROVINCE}|2025-Q2|"]', timeout=TIMEOUT_MS)
    assert "so với Quý I/2025" in s.page.inner_text("#headline")  # each card compares with the previous quarter
    s.ready("sheet", "contra")
    assert s.page.locator('#sheet tr[data-name="population"] td.num').inner_text() == vi_number(api["population"])
    detail = api_values(province, PROVINCE, "2025-Q2", ["contraceptive_users_by_method.iud", "married_women_15_49"])
    bar = s.page.locator('#contra rect[data-name="contraceptive_users_by_method.iud"]')
    assert bar.get_attribute("data-value") == str(detail["contraceptive_users_by_method.iud"])
    # as the register knew it on a day (dd/mm/yyyy, as officials write dates)
    s.page.fill("#known", "31/08/2025")
    s.page.click("#apply")
    known = s.headline(f"{PROVINCE}|2025-Q2|2025-08-31")
    api_known = api_values(province, PROVINCE, "2025-Q2", list(known), known_on="2025-08-31")
    assert shown(known) == api_known
    s.ready("sheet", "map", "trend", "pyramid", "births", "contra", "migration", "quality")
    assert "31/08/2025" in s.page.inner_text("#sheet")
    quality = s.page.inner_text("#quality")
    assert not re.search(r"\b[a-z_]+\.[a-z_]+\b", quality), "an event type shown by its code, not its name"
    s.shot("province")
    assert s.errors == []


def test_search_without_diacritics_finds_the_unit(signed_in):
    s = signed_in("operator")
    s.open("#area=VN&period=2025-Q2")
    s.headline("VN|2025-Q2|")
    s.page.fill("#q", "son la")
    first = s.page.locator("#hits li").first
    first.wait_for(timeout=TIMEOUT_MS)
    assert first.get_attribute("data-code") == PROVINCE and "Tỉnh Sơn La" in first.inner_text()
    s.page.fill("#q", "chieng le")
    hit = s.page.locator('#hits li[data-code="03646"]')
    hit.wait_for(timeout=TIMEOUT_MS)
    assert "Phường Chiềng Lề" in hit.inner_text()
    s.shot("search", full_page=False)
    hit.click()
    s.headline("03646|2025-Q2|")
    s.page.wait_for_selector('#crumbs[data-code="03646"]', timeout=TIMEOUT_MS)
    crumbs = s.page.inner_text("#crumbs")
    assert "Tỉnh Sơn La" in crumbs and "Phường Chiềng Lề" in crumbs
    assert s.errors == []


def test_a_click_on_the_map_drills_down(signed_in, province):
    s = signed_in("operator")
    s.open(f"#area={PROVINCE}&period=2025-Q2")
    s.headline(f"{PROVINCE}|2025-Q2|")
    s.ready("map")
    circles = s.page.locator("#map circle.unit")
    assert (
        circles.count() == len(province.json(f"/v1/areas/{PROVINCE}", on="2025-06-30")["children"])
        or circles.count() >= 100
    )
    values = s.page.eval_on_selector_all("#map circle.unit", "cs => cs.map(c => [c.dataset.code, c.dataset.value])")
    code, value = max(values, key=lambda cv: int(cv[1] or 0))
    assert int(value) == api_values(province, code, "2025-Q2", ["population"])["population"] > 0
    assert 2 <= s.page.locator("#map-legend li").count() <= 5
    s.shot("map", full_page=False)
    s.page.locator(f'#map circle.unit[data-code="{code}"]').click()
    s.headline(f"{code}|2025-Q2|")
    s.page.wait_for_selector(f'#crumbs[data-code="{code}"]', timeout=TIMEOUT_MS)
    assert s.page.locator("#crumbs .current").get_attribute("data-code") == code
    # the view of the 34 provinces after the 2025 reform
    s.open("#area=VN&period=2025-Q4")
    s.headline("VN|2025-Q4|")
    s.page.check("#map-current")
    s.page.wait_for_function("document.querySelectorAll('#map circle.unit').length === 34", timeout=TIMEOUT_MS)
    s.ready("map")
    s.shot("map-34-provinces", full_page=False)
    assert s.errors == []


def test_the_report_prints_on_one_a4_page(signed_in):
    s = signed_in("operator")
    district = "116"  # Thành phố Sơn La, a district until 30 June 2025: form 01-DSH
    s.open(f"#area={district}&period=2025-Q2")
    s.headline(f"{district}|2025-Q2|")
    s.ready("sheet")
    assert "01-DSH" in s.page.inner_text("#sheet h3")
    s.page.set_viewport_size({"width": PRINTABLE[0], "height": 900})
    s.page.emulate_media(media="print")
    assert not s.page.locator("#headline").is_visible() and s.page.locator("#sheet").is_visible()
    height = s.page.evaluate("document.documentElement.scrollHeight")
    assert height <= PRINTABLE[1], f"the printed report is {height}px tall, A4 holds {PRINTABLE[1]:.0f}px"
    s.shot("report-print")
    pdf = s.page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    (ARTIFACTS / "dashboard-report.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == 1, f"the report takes {pages} A4 pages"
    s.page.emulate_media(media="screen")
    assert s.errors == []


def test_a_province_token_cannot_reach_another_province(signed_in, province):
    s = signed_in("analyst14")
    s.open("#area=01&period=2025")
    s.headline(f"{PROVINCE}|2025|")
    s.page.wait_for_selector(f'#crumbs[data-code="{PROVINCE}"]', timeout=TIMEOUT_MS)
    assert "01" in s.page.inner_text("#notice") and s.page.is_visible("#notice")
    assert s.page.locator("#crumbs a").count() == 0  # Việt Nam is above the token's area: not a link
    assert not s.page.locator("#p-person").is_visible()  # an analyst never sees names
    s.page.fill("#q", "ha noi")
    s.page.wait_for_selector("#hits li", timeout=TIMEOUT_MS)
    assert s.page.locator("#hits li[data-code]").count() == 0
    statuses = s.page.evaluate(
        """async (token) => {
        const paths = ['/v1/areas/01/map?period=2025', '/v1/indicators?area=01&period=2025',
                       '/v1/areas/VN?on=2025-12-31', '/v1/areas/00001/quality?period=2025'];
        const out = [];
        for (const p of paths) out.push((await fetch(p, {headers: {Authorization: 'Bearer ' + token}})).status);
        return out;
    }""",
        province.tokens["analyst14"],
    )
    assert statuses == [403, 403, 403, 403]
    s.ready("map", "sheet")
    assert all(
        c.startswith("14") or len(c) == 5
        for c in s.page.eval_on_selector_all("#map circle.unit", "cs => cs.map(c => c.dataset.code)")
    )
    s.shot("scoped", full_page=False)
    # the only console errors are the refused requests for Hà Nội
    assert all("403" in e for e in s.errors), s.errors


def test_english_switch_and_the_person_view_for_a_clerk(signed_in, province):
    s = signed_in("clerk14")
    s.open(f"#area={PROVINCE}&period=2025-Q2")
    cards = s.headline(f"{PROVINCE}|2025-Q2|")
    s.page.click("#lang")
    s.page.wait_for_function("document.documentElement.lang === 'en'", timeout=TIMEOUT_MS)
    english = s.headline(f"{PROVINCE}|2025-Q2|")
    s.page.wait_for_selector(f'#headline[data-change="{PROVINCE}|2025-Q2|"]', timeout=TIMEOUT_MS)
    assert s.page.inner_text("h1") == "Population dashboard"
    assert "vs Q1 2025" in s.page.inner_text("#headline")
    population = int(cards["population"]["raw"])
    assert english["population"]["text"] == f"{population:,}"
    assert s.page.locator("#p-person").is_visible()
    heads = [
        line["payload"]
        for line in map(orjson.loads, province.source.read_bytes().splitlines()[:50])
        if line["type"] == "person.registered" and line["payload"].get("relation_to_head") == "head"
    ]
    person = heads[0]
    s.page.fill("#person-id", person["person_id"])
    s.page.click("#person-form button")
    s.page.wait_for_selector("#person table", timeout=TIMEOUT_MS)
    assert person["full_name"] in s.page.inner_text("#person")
    s.ready("sheet")
    s.shot("english-person", full_page=False)
    assert s.errors == []


def test_the_forecast_panel_draws_the_apis_fan_and_the_strategy_targets(signed_in, province):
    s = signed_in("operator")
    s.open(f"#area={PROVINCE}&period=2025")
    s.headline(f"{PROVINCE}|2025|")
    assert s.page.get_attribute("#forecast", "data-state") == "idle"  # asked for on demand only
    s.page.select_option("#forecast-horizon", "10")
    s.page.select_option("#forecast-scenario", "strategy")
    s.page.click("#forecast-run")
    s.page.wait_for_selector('#forecast[data-state="ready"]', timeout=180_000)
    api = province.json(
        "/v1/forecasts", "operator", area=PROVINCE, base="2025-12-31", horizon=10, scenario="strategy", sims=300
    )
    assert api["stored"] is True  # the page's request computed and stored it
    dots = s.page.eval_on_selector_all(
        "#forecast svg circle.dot", "cs => cs.map(c => [c.dataset.year, c.dataset.value])"
    )
    assert [(int(y), float(v)) for y, v in dots] == [(y["year"], y["population"]["median"]) for y in api["years"]]
    assert s.page.locator("#forecast svg path.fan80").count() == 1
    assert s.page.locator("#forecast-targets tbody tr").count() == 6
    tfr_row = s.page.inner_text('#forecast-targets tr[data-indicator="tfr"]')
    assert "Tổng tỷ suất sinh" in tfr_row and "mức sinh thay thế" in tfr_row
    met = s.page.get_attribute('#forecast-targets tr[data-indicator="tfr"] td[data-year]', "data-year")
    assert met and int(met) <= 2030  # the Strategy scenario reaches replacement fertility by 2030
    assert "31/12/2025" in s.page.inner_text("#forecast-base")
    s.shot("forecast")
    # on a phone the panel stays inside the screen (its tables scroll sideways, not the page)
    s.page.set_viewport_size({"width": 390, "height": 844})
    s.page.locator("#p-forecast").scroll_into_view_if_needed()
    s.page.locator("#p-forecast").screenshot(path=str(ARTIFACTS / "dashboard-forecast-phone.png"))
    assert s.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    s.page.set_viewport_size({"width": 1400, "height": 1000})
    # another area: the panel empties until asked again
    s.page.select_option("#children", s.page.eval_on_selector("#children option:nth-child(2)", "o => o.value"))
    s.page.wait_for_selector('#forecast[data-state="idle"]', state="attached", timeout=TIMEOUT_MS)
    assert s.errors == []
