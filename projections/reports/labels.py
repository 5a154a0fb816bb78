"""Labels (Vietnamese first, English beside) and number formats of the report forms. Pure.

Numbers are written as officials write them: 1.320.046 and 112,4 in Vietnamese (the English
reading is given in the JSON and CSV values, which are plain numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from projections.definitions import AGE_GROUPS, FERTILE, METHODS


@dataclass(frozen=True)
class Form:
    code: str | None  # the form's number in Circular 01/2022/TT-BYT, where known
    level: str
    usual: str  # month | quarter | year
    title_vi: str
    title_en: str


# DOMAIN-MIS.md 4.2: commune forms in Annex II (01-DSX; its monthly numbering is inferred), the
# district quarterly form 01-DSH in Annex IV; the province form was not retrieved (no number).
FORMS: dict[str, Form] = {
    "commune": Form(
        "01-DSX",
        "commune",
        "month",
        "Báo cáo thống kê chuyên ngành dân số cấp xã (tháng)",
        "Commune population statistics report (monthly)",
    ),
    "district": Form(
        "01-DSH",
        "district",
        "quarter",
        "Báo cáo thống kê chuyên ngành dân số cấp huyện (quý)",
        "District population statistics report (quarterly)",
    ),
    "province": Form(
        None,
        "province",
        "year",
        "Báo cáo thống kê chuyên ngành dân số cấp tỉnh (năm)",
        "Province population statistics report (yearly)",
    ),
    "country": Form(
        None,
        "country",
        "year",
        "Báo cáo thống kê chuyên ngành dân số toàn quốc (năm)",
        "National population statistics report (yearly)",
    ),
}
KINDS = {"month": ("tháng", "month"), "quarter": ("quý", "quarter"), "year": ("năm", "year")}
LEVELS = {
    "commune": ("Xã/phường", "Commune"),
    "district": ("Huyện/quận", "District"),
    "province": ("Tỉnh/thành phố", "Province"),
    "country": ("Toàn quốc", "Country"),
}

SECTIONS = {
    "stocks": ("I. Hộ và nhân khẩu (cuối kỳ)", "I. Households and population (end of period)"),
    "ages": ("II. Dân số theo nhóm tuổi (cuối kỳ)", "II. Population by age group (end of period)"),
    "flows": ("III. Biến động dân số trong kỳ", "III. Population changes in the period"),
    "fp": ("IV. Kế hoạch hoá gia đình", "IV. Family planning"),
    "quality": ("V. Chất lượng số liệu", "V. Data quality"),
}

LABELS: dict[str, tuple[str, str]] = {
    "households": ("Tổng số hộ", "Households"),
    "population": ("Dân số (nhân khẩu thực tế thường trú)", "Population (usual residents)"),
    "population_male": ("trong đó: nam", "of which: male"),
    "population_female": ("trong đó: nữ", "of which: female"),
    "women_15_49": ("Phụ nữ 15–49 tuổi", "Women aged 15–49"),
    "married_women_15_49": ("trong đó: có chồng", "of which: married"),
    "children_0_5": ("Trẻ em 0–5 tuổi", "Children aged 0–5"),
    "youth_10_24": ("Vị thành niên, thanh niên 10–24 tuổi", "Adolescents and youth aged 10–24"),
    "working_age_15_64": ("Dân số 15–64 tuổi", "Population aged 15–64"),
    "elderly_60_plus": ("Người cao tuổi (60+)", "Elderly (60+)"),
    "sex_ratio_population": ("Tỷ số giới tính (nam/100 nữ)", "Sex ratio (males per 100 females)"),
    "births": ("Số trẻ sinh ra", "Live births"),
    "births_male": ("trong đó: trai", "of which: boys"),
    "births_female": ("trong đó: gái", "of which: girls"),
    "births_order_2": ("trong đó: con thứ 2", "of which: second child"),
    "births_order_3_plus": ("trong đó: con thứ 3 trở lên", "of which: third or higher child"),
    "share_order_3_plus": ("Tỷ lệ sinh con thứ 3 trở lên", "Share of births of order 3+"),
    "srb": ("Tỷ số giới tính khi sinh (trai/100 gái)", "Sex ratio at birth (boys per 100 girls)"),
    "cbr": ("Tỷ suất sinh thô (‰)", "Crude birth rate (per 1,000)"),
    "gfr": ("Tỷ suất sinh chung (‰)", "General fertility rate (per 1,000)"),
    "tfr": ("Tổng tỷ suất sinh (con/phụ nữ)", "Total fertility rate (children per woman)"),
    "deaths": ("Số người chết", "Deaths"),
    "cdr": ("Tỷ suất chết thô (‰)", "Crude death rate (per 1,000)"),
    "marriages": ("Số cặp kết hôn", "Marriages"),
    "child_marriages": ("trong đó: tảo hôn", "of which: child marriage"),
    "divorces": ("Số cặp ly hôn", "Divorces"),
    "in_migrants": ("Số người chuyển đến", "In-migrants"),
    "out_migrants": ("Số người chuyển đi", "Out-migrants"),
    "net_migration": ("Di cư thuần (đến − đi)", "Net migration (in − out)"),
    "contraception_new_users": ("Số người mới sử dụng BPTT", "New contraceptive users"),
    "cpr_modern": (
        "Tỷ lệ sử dụng BPTT hiện đại (phụ nữ 15–49 có chồng)",
        "Modern contraceptive prevalence (married women 15–49)",
    ),
    "received": ("Số phiếu nhận được", "Submissions received"),
    "accepted": ("Số phiếu đã ghi nhận", "Accepted"),
    "held": ("Số phiếu đang chờ xem xét", "Held in review"),
    "late": ("Số phiếu ghi chậm (> 30 ngày sau sự kiện)", "Recorded late (> 30 days after the event)"),
    "late_share": ("Tỷ lệ phiếu ghi chậm", "Share recorded late"),
    "median_delay_days": ("Độ trễ trung vị (ngày)", "Median recording delay (days)"),
}
METHOD_LABELS = {
    "iud": ("Dụng cụ tử cung (vòng)", "IUD"),
    "implant": ("Que cấy", "Implant"),
    "injectable": ("Thuốc tiêm", "Injectable"),
    "pill": ("Thuốc uống", "Pill"),
    "condom": ("Bao cao su", "Condom"),
    "female_sterilization": ("Triệt sản nữ", "Female sterilisation"),
    "male_sterilization": ("Triệt sản nam", "Male sterilisation"),
    "traditional": ("Biện pháp truyền thống", "Traditional method"),
}
for _m in METHODS:
    _vi, _en = METHOD_LABELS[_m]
    LABELS[f"contraceptive_users_by_method.{_m}"] = (f"đang dùng: {_vi.lower()}", f"using: {_en.lower()}")
for _name, _lo, _hi in AGE_GROUPS:
    _span = f"{_lo}–{_hi}" if _hi is not None else f"{_lo}+"
    LABELS[_name] = (f"Nhóm tuổi {_span}", f"Aged {_span}")
for _lo in FERTILE:
    LABELS[f"asfr_{_lo}_{_lo + 4}"] = (
        f"Tỷ suất sinh đặc trưng tuổi {_lo}–{_lo + 4} (‰)",
        f"Age-specific fertility rate {_lo}–{_lo + 4} (per 1,000)",
    )

PERCENT = frozenset({"cpr_modern", "share_order_3_plus", "late_share"})
DECIMAL1 = frozenset({"srb", "sex_ratio_population", "cbr", "cdr", "gfr", *(f"asfr_{lo}_{lo + 4}" for lo in FERTILE)})


def label(name: str) -> tuple[str, str]:
    if name.startswith("held_by_reason."):
        reason = name.split(".", 1)[1]
        return f"chờ xem xét, lý do: {reason}", f"held, reason: {reason}"
    return LABELS.get(name, (name, name))


def vi_number(value: float | Decimal, decimals: int = 0) -> str:
    """1320046 -> '1.320.046'; 112.43 (1 decimal) -> '112,4'; halves round up, as written by hand."""
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    text = f"{exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP):,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_value(name: str, value: int | float | None) -> str:
    """A figure as written on the Vietnamese form ('–' where there is none)."""
    if value is None:
        return "–"
    if name in PERCENT:
        return vi_number(Decimal(str(value)) * 100, 1) + " %"
    if name in DECIMAL1:
        return vi_number(value, 1)
    if isinstance(value, float) and not value.is_integer() or name == "tfr":
        return vi_number(value, 2)
    return vi_number(value)
