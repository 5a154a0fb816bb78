"""The register's review reasons in plain Vietnamese for the collaborator, with what to do next.

Keys are processors.register.reasons.REASONS (a unit test holds them equal); English stays the
register's own text (`rule`), shown by the app's English switch.
"""

from __future__ import annotations

ASK = "hỏi cán bộ xã"
FIX = "sửa lại thông tin người (phiếu Sửa thông tin)"
VOID = "huỷ phiếu ghi nhầm (phiếu Huỷ phiếu)"

# reason code -> (what the register found, what she can do)
WORDS: dict[str, tuple[str, str]] = {
    "invalid_submission": ("Phiếu không đúng mẫu quy định.", f"Ghi lại phiếu mới, hoặc {ASK}."),
    "unknown_commune": ("Mã xã không có trong danh mục hành chính vào ngày xảy ra.", f"Kiểm tra ngày, {ASK}."),
    "unknown_person": ("Người này chưa có trong sổ của hệ thống.", f"Ghi phiếu Người chưa đăng ký trước, hoặc {ASK}."),
    "not_yet_registered": (
        "Người này chỉ có trong sổ từ một ngày sau ngày xảy ra.",
        f"Kiểm tra lại ngày; nếu đúng, {ASK}.",
    ),
    "person_dead": (
        "Người này đã được ghi là đã chết trước ngày này.",
        f"Nếu ghi chết nhầm: {VOID} phiếu chết; nếu không, {VOID} phiếu này.",
    ),
    "not_resident": (
        "Người này không sống ở xã vào ngày xảy ra.",
        f"Kiểm tra ngày và người; nếu người đã chuyển đi, {ASK}.",
    ),
    "person_exists": ("Mã người này đã có trong sổ.", f"{ASK.capitalize()}."),
    "household_exists": ("Mã hộ này đã có trong sổ.", f"{ASK.capitalize()}."),
    "household_unknown": ("Hộ này chưa có trong sổ của hệ thống.", f"Ghi phiếu Hộ chưa đăng ký trước, hoặc {ASK}."),
    "household_elsewhere": ("Hộ này không ở xã vào ngày xảy ra.", f"{ASK.capitalize()}."),
    "already_member": ("Người này đã ở trong hộ đó rồi.", f"Chọn hộ khác, hoặc {VOID}."),
    "child_exists": ("Đứa trẻ này đã được ghi sinh rồi.", f"Có thể đã ghi hai lần: {VOID}."),
    "mother_not_female": (
        "Người được chọn làm mẹ không phải là nữ.",
        f"Chọn đúng người mẹ; nếu giới tính ghi sai, {FIX}.",
    ),
    "mother_age_out_of_range": (
        "Tuổi của người mẹ ngoài khoảng 10–60 vào ngày sinh.",
        f"Kiểm tra người mẹ và ngày sinh; nếu ngày sinh của mẹ sai, {FIX}.",
    ),
    "birth_spacing": (
        "Người mẹ đã có một lần sinh trong vòng 150 ngày.",
        f"Nếu là sinh đôi, ghi cùng ngày với số con sinh ra; nếu ghi hai lần, {VOID}.",
    ),
    "already_married": ("Một trong hai người đang có vợ/chồng.", f"Ghi phiếu Ly hôn trước nếu đúng, hoặc {ASK}."),
    "not_married_to_each_other": ("Hai người này không phải là vợ chồng trong sổ.", f"Kiểm tra hai người; {ASK}."),
    "same_person": ("Hai người được chọn là cùng một người.", "Chọn hai người khác nhau."),
    "already_merged": ("Hai hồ sơ này đã được gộp.", f"{ASK.capitalize()}."),
    "unknown_event": ("Không tìm thấy phiếu cần huỷ.", f"{ASK.capitalize()}."),
    "not_voidable": ("Phiếu này không huỷ được.", f"{ASK.capitalize()}."),
    "already_voided": ("Phiếu này đã được huỷ rồi.", "Không cần làm gì thêm."),
    "unknown_held_event": ("Không tìm thấy phiếu đang chờ xem xét.", "Không cần làm gì thêm."),
    "already_resolved": ("Phiếu chờ xem xét này đã được giải quyết.", "Không cần làm gì thêm."),
    "conflict_after_late_event": ("Một phiếu ghi muộn làm phiếu này không còn khớp.", f"{ASK.capitalize()}."),
    "processing_error": ("Hệ thống chưa xử lý được phiếu.", f"{ASK.capitalize()}."),
}


def reason_words(code: str) -> tuple[str, str]:
    """(what was found, what to do) in Vietnamese; a code added later still gets a sentence."""
    return WORDS.get(code, (f"Phiếu đang chờ xem xét ({code}).", f"{ASK.capitalize()}."))
