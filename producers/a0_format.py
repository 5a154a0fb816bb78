"""The A0 household-book CSV (docs/a0-import.md): columns, Vietnamese value aliases, row parsing."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

REQUIRED = (
    "commune",
    "household_id",
    "person_id",
    "full_name",
    "sex",
    "birth_date",
    "relation_to_head",
    "marital_status",
)
OPTIONAL = (
    "address",
    "registered_on",
    "mother_id",
    "children_ever_born",
    "national_id",
    "ethnicity",
    "education",
    "contraception_method",
    "contraception_since",
    "collector_id",
    "area_no",
    "household_no",
)
# Read and left aside: the row number of the page, and residence status (no code list is known).
IGNORED = ("row_no", "residence_status")
COLUMNS = REQUIRED + OPTIONAL


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).strip().lower().split())


def _aliases(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    # Contract codes, and the words the A0 book and the MIS software write (Circular 01/2022 forms).
    out = {}
    for code, words in table.items():
        out[_key(code)] = code
        for word in words:
            out[_key(word)] = code
    return out


# The headers the A0/CTV form and the commune software write (DOMAIN-MIS.md 2.3), beside the codes.
HEADERS = _aliases(
    {
        "commune": ("mã xã", "mã xã/phường", "mã đơn vị", "xã"),
        "household_id": ("mã hộ", "mã hộ gia đình", "số hộ khẩu"),
        "area_no": ("địa bàn số", "địa bàn", "mã địa bàn"),
        "household_no": ("hộ số", "số hộ"),
        "address": ("địa chỉ", "thôn/phố", "thôn", "thôn/ấp/bản", "thôn, xóm", "số nhà"),
        "registered_on": ("ngày lập sổ", "ngày lập", "ngày đăng ký"),
        "person_id": ("mã đối tượng", "số thẻ bhyt", "mã thẻ bhyt", "mã cá nhân", "mã người"),
        "full_name": ("họ và tên", "họ tên"),
        "sex": ("giới tính",),
        "birth_date": ("ngày sinh", "ngày tháng năm sinh", "ngày, tháng, năm sinh"),
        "relation_to_head": ("quan hệ với chủ hộ", "quan hệ với chủ hộ (qhch)", "qhch", "quan hệ"),
        "marital_status": ("tình trạng hôn nhân", "tthn", "hôn nhân"),
        "mother_id": ("mã mẹ", "mã đối tượng của mẹ", "số thẻ bhyt của mẹ"),
        "children_ever_born": ("số con đã sinh", "số con"),
        "national_id": ("số cccd", "cccd", "số căn cước", "căn cước công dân"),
        "ethnicity": ("dân tộc",),
        "education": ("trình độ học vấn", "học vấn"),
        "contraception_method": ("biện pháp tránh thai", "bptt", "biện pháp tránh thai đang sử dụng"),
        "contraception_since": ("ngày bắt đầu bptt", "tháng năm bắt đầu bptt", "bắt đầu sử dụng bptt"),
        "collector_id": ("mã ctv", "cộng tác viên", "ctv"),
        "row_no": ("số tt", "stt", "tt"),
        "residence_status": ("tình trạng cư trú",),
    }
)
SEX = _aliases({"M": ("nam", "male", "1"), "F": ("nữ", "nu", "female", "2")})
RELATION = _aliases(
    {
        "head": ("chủ hộ", "chu ho", "1"),
        "spouse": ("vợ", "chồng", "vợ/chồng", "vo", "chong", "2"),
        "child": ("con", "con đẻ", "con nuôi", "con dâu", "con rể", "3"),
        "parent": ("bố", "mẹ", "cha", "bố/mẹ", "4"),
        "grandchild": ("cháu", "chau", "5"),
        "sibling": ("anh", "chị", "em", "anh/chị/em", "6"),
        "other": ("khác", "khac", "7"),
    }
)
MARITAL = _aliases(
    {
        "never_married": ("chưa kết hôn", "chua ket hon", "chưa vợ/chồng", "1"),
        "married": ("đang kết hôn", "có vợ/chồng", "kết hôn", "dang ket hon", "2"),
        "divorced": ("ly hôn", "ly hon", "3"),
        "separated": ("ly thân", "ly than", "4"),
        "widowed": ("góa", "goá", "góa vợ/chồng", "goa", "5"),
    }
)
METHOD = _aliases(
    {
        "iud": ("vòng", "dụng cụ tử cung", "dctc", "vong"),
        "implant": ("que cấy", "cấy tránh thai", "que cay"),
        "injectable": ("thuốc tiêm", "tiêm", "thuoc tiem"),
        "pill": ("viên uống", "thuốc uống", "vien uong"),
        "condom": ("bao cao su", "bcs"),
        "female_sterilization": ("triệt sản nữ", "triet san nu"),
        "male_sterilization": ("triệt sản nam", "triet san nam"),
        "traditional": ("truyền thống", "biện pháp khác", "khác", "truyen thong"),
    }
)
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ID = re.compile(r"^\S.{0,63}$")


@dataclass(frozen=True, slots=True)
class Problem:
    """A bad value: the CSV line (or the sheet's row) it is on, its column, and why."""

    line: int
    column: str
    msg: str
    sheet: str | None = None  # a workbook: the sheet's name, and the column's letter there
    letter: str | None = None

    def __str__(self) -> str:
        if self.sheet is None:
            return f"line {self.line}, column {self.column or '(row)'}: {self.msg}"
        col = f"{self.letter} ({self.column})" if self.letter and self.column else (self.column or "(row)")
        return f"sheet {self.sheet!r}, row {self.line}, column {col}: {self.msg}"


@dataclass(frozen=True, slots=True)
class PersonRow:
    """One parsed A0 row: a person, their household, and any current contraceptive method."""

    line: int
    commune: str
    household_id: str
    address: str | None
    registered_on: date
    person: dict[str, object]  # the person.registered payload
    method: str | None
    method_since: date | None
    collector_id: str | None


def parse_date(text: str) -> date:
    """ISO YYYY-MM-DD, or DD/MM/YYYY as the book writes it."""
    m = _DMY.match(text)
    if m:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    return date.fromisoformat(text)


def column_name(header: str) -> str:
    """A header cell as the column it names: the contract name, or the form's Vietnamese words."""
    key = _key(str(header)).lstrip("\ufeff").strip()
    bare = _key(re.sub(r"\(.*?\)", " ", key)).rstrip(" :*")  # "Mã đối tượng (Số thẻ BHYT)" -> "mã đối tượng"
    return HEADERS.get(key) or HEADERS.get(key.rstrip(" :*")) or HEADERS.get(bare) or key.replace(" ", "_")


def known_columns(header: list[str]) -> int:
    """How many cells of a row name a known column (finds the header under a title block)."""
    return sum(column_name(h) in COLUMNS + IGNORED for h in header if str(h).strip())


def check_header(header: list[str]) -> tuple[list[str], list[str]]:
    """Normalised column names, and what is wrong with them (unknown or missing columns)."""
    names = [column_name(h) for h in header]
    problems = [
        f"unknown column {h!r} (known: {', '.join(COLUMNS)}, or the A0 form's Vietnamese headers)"
        for h in names
        if h not in COLUMNS + IGNORED and h
    ]
    # A household is named by household_id, or by the page's area number and household number.
    by_page = "area_no" in names and "household_no" in names
    problems += [f"missing column {c!r}" for c in REQUIRED if c not in names and not (c == "household_id" and by_page)]
    seen = set()
    for h in names:
        if h and h in seen:
            problems.append(f"column {h!r} appears twice")
        seen.add(h)
    return names, problems


class _Row:
    def __init__(self, line: int, values: dict[str, str]):
        self.line = line
        self.values = values
        self.problems: list[Problem] = []

    def text(self, column: str, required: bool = False) -> str | None:
        value = unicodedata.normalize("NFC", self.values.get(column, "")).strip()
        if not value:
            if required:
                self.problems.append(Problem(self.line, column, "this field is required"))
            return None
        return value

    def ident(self, column: str, required: bool = False) -> str | None:
        value = self.text(column, required)
        if value is not None and not _ID.match(value):
            self.problems.append(Problem(self.line, column, "an identifier is 1-64 characters"))
            return None
        return value

    def code(self, column: str, table: dict[str, str], required: bool = False) -> str | None:
        value = self.text(column, required)
        if value is None:
            return None
        found = table.get(_key(value))
        if found is None:
            allowed = ", ".join(sorted(set(table.values())))
            self.problems.append(Problem(self.line, column, f"{value!r} is not one of {allowed}"))
        return found

    def day(self, column: str, required: bool = False, default: date | None = None) -> date | None:
        value = self.text(column, required=required and default is None)
        if value is None:
            return default
        try:
            return parse_date(value)
        except ValueError:
            self.problems.append(Problem(self.line, column, f"{value!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)"))
            return None


def parse_row(line: int, values: dict[str, str], registered_on: date | None) -> tuple[PersonRow | None, list[Problem]]:
    """A CSV row to a PersonRow, or the problems with it (every bad column, not just the first)."""
    row = _Row(line, values)
    commune = row.text("commune", required=True)
    if commune is not None and not (len(commune) == 5 and commune.isdigit()):
        row.problems.append(Problem(line, "commune", "a commune code is 5 digits (GSO code)"))
    if "household_id" not in values and "area_no" in values:  # the page's numbers: {commune}-{area}-{no}
        area, number = row.text("area_no", required=True), row.text("household_no", required=True)
        if commune and area and number:
            values = {**values, "household_id": f"{commune}-{area}-{number}"}
            row.values = values
    household_id = row.ident("household_id", required=True)
    person: dict[str, object] = {
        "person_id": row.ident("person_id", required=True),
        "household_id": household_id,
        "full_name": row.text("full_name", required=True),
        "sex": row.code("sex", SEX, required=True),
        "birth_date": row.day("birth_date", required=True),
        "relation_to_head": row.code("relation_to_head", RELATION, required=True),
        "marital_status": row.code("marital_status", MARITAL, required=True),
        "mother_id": row.ident("mother_id"),
        "national_id": row.text("national_id"),
        "ethnicity": row.text("ethnicity"),
        "education": row.text("education"),
    }
    ceb = row.text("children_ever_born")
    if ceb is not None:
        if ceb.isdigit():
            person["children_ever_born"] = int(ceb)
        else:
            row.problems.append(Problem(line, "children_ever_born", f"{ceb!r} is not a whole number"))
    on = row.day("registered_on", required=True, default=registered_on)
    method = row.code("contraception_method", METHOD)
    since = row.day("contraception_since")
    if row.problems:
        return None, row.problems
    return PersonRow(
        line=line,
        commune=commune,  # type: ignore[arg-type]
        household_id=household_id,  # type: ignore[arg-type]
        address=row.text("address"),
        registered_on=on,  # type: ignore[arg-type]
        person={k: v for k, v in person.items() if v is not None},
        method=method,
        method_since=since,
        collector_id=row.text("collector_id"),
    ), []


# Where a contract field of each generated event comes from in the CSV (for error reports).
FIELD_COLUMNS = {
    "household.registered": {
        "payload.address": "address",
        "payload.household_id": "household_id",
        "payload.head_person_id": "person_id",
        "occurred_on": "registered_on",
        "recorded_at": "registered_on",
        "": "registered_on",
    },
    "person.registered": {"occurred_on": "registered_on", "recorded_at": "registered_on", "": "registered_on"},
    "contraception.started": {
        "payload.method": "contraception_method",
        "payload.person_id": "person_id",
        "occurred_on": "contraception_since",
        "recorded_at": "registered_on",
        "": "contraception_since",
    },
}


def column_of(event_type: str, loc: str) -> str:
    mapped = FIELD_COLUMNS.get(event_type, {}).get(loc)
    if mapped:
        return mapped
    if loc.startswith("payload."):
        return loc.removeprefix("payload.").split(".")[0]
    return loc
