"""The cited schedules, and the realised demography of a few thousand households against them."""

from __future__ import annotations

import io
import math
import unicodedata
from collections import Counter
from datetime import date

import orjson
import pytest

from infra.gazetteer_store import builtin_gazetteer
from producers.generator import GeneratorConfig, generate, rates

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def province() -> tuple[list[dict], dict]:
    buf = io.BytesIO()
    doc = generate(GeneratorConfig(start=date(2020, 1, 1), seed=21, households=8000, years=5), buf, builtin_gazetteer())
    lines = []
    for raw in buf.getvalue().splitlines():
        try:
            lines.append(orjson.loads(raw))
        except orjson.JSONDecodeError:
            continue
    return lines, doc


@pytest.mark.parametrize("preset", [rates.SON_LA, rates.NATIONAL])
def test_schedules_meet_their_sources(preset: rates.Preset) -> None:
    assert sum(preset.asfr()) == pytest.approx(preset.tfr)
    male, female = rates.mortality(preset)
    assert rates.life_expectancy(male) == pytest.approx(preset.e0[0], abs=0.05)
    assert rates.life_expectancy(female) == pytest.approx(preset.e0[1], abs=0.05)
    assert 1 - math.exp(-male[0]) == pytest.approx(preset.imr / 1000, rel=1e-6)
    hazard = rates.first_marriage_hazard(preset.female_marriage_mean)
    alive, total, mean = 1.0, 0.0, 0.0
    for age, h in enumerate(hazard):
        total, mean, alive = total + alive * h, mean + alive * h * (age + 0.5), alive * (1 - h)
    assert mean / total == pytest.approx(preset.female_marriage_mean, abs=0.1)
    assert total == pytest.approx(0.97, abs=0.01)
    assert sum(rates.METHOD_MIX) == pytest.approx(1.0)
    assert preset.sources.keys() >= {"tfr", "srb", "e0", "imr", "female_marriage_mean"}


def test_realised_fertility_near_inputs(province) -> None:
    _, doc = province
    real, inputs = doc["realised"], doc["inputs"]
    assert real["tfr"] == pytest.approx(inputs["tfr"], rel=0.08)
    srb = inputs["srb_by_order"]
    assert srb["3+"] > srb["1"]
    assert 100 <= real["srb"] <= 122  # ~3,600 births: the standard error of SRB is about 3.7
    assert real["third_plus_share"] > 0.05
    asfr = real["asfr_per_1000"]
    assert max(asfr, key=asfr.get) == "20-24"  # the mountain pattern [V33]


def test_realised_marriage_and_family_near_inputs(province) -> None:
    _, doc = province
    real, inputs = doc["realised"], doc["inputs"]
    female = inputs["female_first_marriage_mean_age"]
    assert real["mean_age_first_marriage"]["F"] == pytest.approx(female, abs=0.8)
    assert real["mean_age_first_marriage"]["M"] == pytest.approx(female + inputs["marriage_age_gap_mean"], abs=1.8)
    child = real["child_marriages"]
    assert 0 < child["F"] < 0.12 * real["marriages"] and child["M"] < 0.06 * real["marriages"]
    end = real["end"]
    assert 0.65 <= end["cpr_any"] <= 0.82  # 74.7 % in 2020, northern mountains 77.3 % [V18]
    assert 3.8 <= end["mean_household_size"] <= 5.0
    assert 92 <= end["sex_ratio"] <= 104
    assert 0.2 <= end["share_0_14"] <= 0.35 and 0.06 <= end["share_60_plus"] <= 0.16
    assert 0.005 <= end["share_divorced_15_plus"] <= 0.04
    assert 5 <= real["imr_per_1000"] <= 45
    assert real["deaths"] > 0 and real["persons_moving"]["out_of_province"] > 0


def test_method_mix_has_iud_first(province) -> None:
    lines, _ = province
    started = Counter(x["payload"]["method"] for x in lines if x.get("type") == "contraception.started")
    assert started.most_common(1)[0][0] == "iud"
    stopped = Counter(x["payload"].get("reason") for x in lines if x.get("type") == "contraception.stopped")
    assert {"wants_child", "side_effects", "other"} <= set(stopped)


def test_names_and_ethnic_groups_of_son_la(province) -> None:
    lines, _ = province
    people = [x["payload"] for x in lines if x.get("type") == "person.registered"]
    groups = Counter(p["ethnicity"] for p in people)
    assert groups.most_common(1)[0][0] == "Thái"
    assert {"Kinh", "Mông", "Mường"} <= set(groups)
    for p in people[:2000]:
        assert unicodedata.is_normalized("NFC", p["full_name"]) and len(p["full_name"].split()) >= 3
    mong = [p["full_name"] for p in people if p["ethnicity"] == "Mông" and p["sex"] == "M"]
    assert any(" A " in n for n in mong)  # Mông men's middle name
    married_women = [p for p in people if p["sex"] == "F" and p["marital_status"] != "never_married"]
    assert all("children_ever_born" in p for p in married_women if p["birth_date"] < "2000-01-01")
    assert any("national_id" in p for p in people)


def test_another_province_uses_the_national_preset() -> None:
    buf = io.BytesIO()
    doc = generate(
        GeneratorConfig(start=date(2023, 1, 1), seed=2, households=300, years=1, province="34"),
        buf,
        builtin_gazetteer(),
    )
    assert doc["inputs"]["tfr"] == rates.NATIONAL.tfr
    communes = {orjson.loads(x)["commune"] for x in buf.getvalue().splitlines()[:400] if x.startswith(b'{"event')}
    gaz = builtin_gazetteer()
    assert all(gaz.resolve(c, date(2023, 1, 1)).province == "34" for c in communes if len(c) == 5)
