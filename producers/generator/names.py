"""Vietnamese personal names for Kinh and the ethnic groups of the northern mountains.

Family names are chosen with rough frequencies (Kinh: Nguyễn ~38 %, Trần, Lê, Phạm ... from
common knowledge, L); Thái family names of Sơn La (Lò, Quàng, Cầm, Lường, Tòng, Vì ...), Mông
clan names (Giàng, Vàng, Sùng, Lầu, Mùa, Thào ...) with "A" for men and "Thị" for women, Mường
(Đinh, Bùi, Quách, Hà, Xa), Dao (Bàn, Triệu, Phùng), and Tày/Nùng. Children take the father's
family name (the mother's when there is no father), as is the custom of all these groups.
"""

from __future__ import annotations

import unicodedata

from producers.generator.rand import Rand, Table

KINH_SURNAMES = (
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9.5),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Phan", 4.5),
    ("Vũ", 3.9),
    ("Đặng", 2.1),
    ("Bùi", 2),
    ("Đỗ", 1.4),
    ("Hồ", 1.3),
    ("Ngô", 1.3),
    ("Dương", 1),
    ("Lý", 0.5),
    ("Đinh", 1),
    ("Trịnh", 0.8),
    ("Đào", 0.8),
    ("Mai", 0.5),
)
KINH_MIDDLE_M = ("Văn", "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Thanh", "Xuân", "Công", "Tiến")
KINH_MIDDLE_F = ("Thị", "Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Phương", "Minh", "Hồng")
KINH_GIVEN_M = (
    "Anh",
    "Bình",
    "Cường",
    "Dũng",
    "Đức",
    "Hải",
    "Hùng",
    "Huy",
    "Khánh",
    "Long",
    "Minh",
    "Nam",
    "Phong",
    "Quân",
    "Sơn",
    "Tuấn",
    "Thắng",
    "Trung",
    "Việt",
    "Hiếu",
    "Phúc",
    "Lâm",
    "Khoa",
    "Thành",
    "Tùng",
    "Hoàng",
    "Đạt",
    "Kiên",
    "Toàn",
    "Vinh",
)
KINH_GIVEN_F = (
    "Anh",
    "Hà",
    "Hạnh",
    "Hoa",
    "Hương",
    "Huyền",
    "Lan",
    "Linh",
    "Mai",
    "My",
    "Ngọc",
    "Nhung",
    "Phương",
    "Thảo",
    "Trang",
    "Vân",
    "Yến",
    "Hằng",
    "Thủy",
    "Dung",
    "Nga",
    "Quỳnh",
    "Tâm",
    "Trâm",
    "Giang",
    "Chi",
    "Nhi",
    "Vy",
    "Loan",
    "Oanh",
)

THAI_SURNAMES = (
    ("Lò", 18),
    ("Quàng", 10),
    ("Cầm", 8),
    ("Lường", 10),
    ("Tòng", 7),
    ("Vì", 7),
    ("Lù", 5),
    ("Hà", 6),
    ("Điêu", 4),
    ("Mè", 3),
    ("Bạc", 3),
    ("Lèo", 3),
    ("Sa", 2),
    ("Hoàng", 5),
    ("Lộc", 3),
    ("Nông", 2),
    ("Lê", 2),
)
THAI_GIVEN_M = (
    "Pánh",
    "Ún",
    "Khăm",
    "Xôm",
    "Hom",
    "Phăn",
    "Chiến",
    "Dương",
    "Tuấn",
    "Thanh",
    "Inh",
    "Ngoan",
    "Bun",
    "Lả",
    "Piêng",
    "Duẩn",
    "Thưởng",
    "Minh",
    "Hiến",
    "Sương",
)
THAI_GIVEN_F = (
    "Ọn",
    "Ín",
    "Xoan",
    "Bua",
    "Ngọc",
    "Hương",
    "Thoa",
    "Dung",
    "Mai",
    "Lả",
    "Pọm",
    "Xuân",
    "Ánh",
    "Lan",
    "Hoa",
    "Yêu",
    "Khiêng",
    "Ưng",
    "Vân",
    "Tiên",
)
MONG_SURNAMES = (
    ("Giàng", 16),
    ("Vàng", 14),
    ("Sùng", 12),
    ("Lầu", 8),
    ("Mùa", 10),
    ("Thào", 10),
    ("Lý", 7),
    ("Hờ", 6),
    ("Cứ", 5),
    ("Vừ", 4),
    ("Tráng", 4),
    ("Hạng", 3),
    ("Sồng", 3),
    ("Chá", 2),
)
MONG_GIVEN_M = (
    "Páo",
    "Chư",
    "Dình",
    "Tủa",
    "Lử",
    "Sình",
    "Chả",
    "Pó",
    "Dế",
    "Tếnh",
    "Nhìa",
    "Khua",
    "Chứ",
    "Vảng",
    "Súa",
    "Thắng",
    "Của",
    "Chinh",
    "Lềnh",
    "Phử",
)
MONG_GIVEN_F = (
    "Dua",
    "Mỷ",
    "Dở",
    "Súa",
    "Mai",
    "Pàng",
    "Chi",
    "Dế",
    "Mỉ",
    "Ly",
    "Xía",
    "Mang",
    "Say",
    "Sua",
    "Máy",
    "Lìa",
    "Dợ",
    "Tông",
    "Chua",
    "Nhè",
)
MUONG_SURNAMES = (("Đinh", 25), ("Bùi", 25), ("Quách", 12), ("Hà", 12), ("Xa", 8), ("Phạm", 8), ("Cao", 5), ("Lò", 5))
DAO_SURNAMES = (("Bàn", 30), ("Triệu", 25), ("Phùng", 15), ("Lý", 12), ("Đặng", 10), ("Chảo", 8))
DAO_GIVEN_M = ("Chạn", "Phin", "Kiểm", "Quẩy", "Sinh", "Mình", "Tòn", "Vần", "Phú", "Lưu")
DAO_GIVEN_F = ("Mẩy", "Chàng", "Nái", "Slao", "Xuân", "Kiều", "Phấy", "Liều", "Mai", "Dung")
TAY_SURNAMES = (
    ("Hoàng", 22),
    ("Nông", 18),
    ("Lương", 12),
    ("Hà", 10),
    ("Đàm", 8),
    ("Lục", 8),
    ("Ma", 8),
    ("Triệu", 6),
    ("Vi", 4),
    ("Lăng", 4),
)

# ethnic group -> (surnames, men's middle names, women's middle names, men's given, women's given)
GROUPS: dict[
    str, tuple[tuple[tuple[str, float], ...], tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]
] = {
    "Kinh": (KINH_SURNAMES, KINH_MIDDLE_M, KINH_MIDDLE_F, KINH_GIVEN_M, KINH_GIVEN_F),
    "Thái": (THAI_SURNAMES, ("Văn",), ("Thị",), THAI_GIVEN_M, THAI_GIVEN_F),
    "Mông": (MONG_SURNAMES, ("A",), ("Thị",), MONG_GIVEN_M, MONG_GIVEN_F),
    "Mường": (MUONG_SURNAMES, ("Văn", "Công"), ("Thị",), KINH_GIVEN_M, KINH_GIVEN_F),
    "Dao": (DAO_SURNAMES, ("Văn", "Seo"), ("Thị", "Mùi"), DAO_GIVEN_M, DAO_GIVEN_F),
    "Xinh Mun": (THAI_SURNAMES[:8], ("Văn",), ("Thị",), THAI_GIVEN_M, THAI_GIVEN_F),
    "Khơ Mú": (THAI_SURNAMES[:8], ("Văn",), ("Thị",), THAI_GIVEN_M, THAI_GIVEN_F),
    "Tày": (TAY_SURNAMES, ("Văn", "Đức"), ("Thị",), KINH_GIVEN_M, KINH_GIVEN_F),
    "Nùng": (TAY_SURNAMES, ("Văn",), ("Thị",), KINH_GIVEN_M, KINH_GIVEN_F),
}


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


class Names:
    """Draws names; family names are kept per person as a small integer (see `surname`)."""

    def __init__(self, ethnic_groups: list[str]):
        self.groups = ethnic_groups  # index = the ethnicity code stored per person
        self.surnames: list[str] = []
        self._pools: list[Table] = []  # per group: a table of surname ids
        index: dict[str, int] = {}
        for group in ethnic_groups:
            ids, weights = [], []
            for name, w in GROUPS[group][0]:
                if name not in index:
                    index[name] = len(self.surnames)
                    self.surnames.append(_nfc(name))
                ids.append(index[name])
                weights.append(w)
            self._pools.append(Table(ids, weights))

    def surname(self, r: Rand, ethnicity: int) -> int:
        return self._pools[ethnicity].draw(r)

    def given(self, r: Rand, ethnicity: int, female: bool) -> str:
        _, mid_m, mid_f, giv_m, giv_f = GROUPS[self.groups[ethnicity]]
        return f"{r.pick(mid_f if female else mid_m)} {r.pick(giv_f if female else giv_m)}"

    def full(self, r: Rand, ethnicity: int, surname: int, female: bool) -> str:
        return _nfc(f"{self.surnames[surname]} {self.given(r, ethnicity, female)}")
