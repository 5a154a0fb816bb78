// Labels in Vietnamese (first) and English, and number / date / period formats as officials write
// them: 1.320.046 and 25/11/2026 in Vietnamese; 1,320,046 and 25/11/2026 in English.
"use strict";

const I18N = {
  vi: {
    title: "Bảng số liệu dân số",
    subtitle: "Hệ thống thông tin chuyên ngành dân số",
    lang_switch: "English",
    logout: "Đăng xuất",
    login_title: "Đăng nhập bằng mã truy cập",
    login_help: "Dán mã truy cập (bearer token) do quản trị viên cấp. Mã chỉ được giữ trong phiên làm việc này của trình duyệt.",
    token: "Mã truy cập",
    login: "Vào",
    login_bad: "Mã truy cập không hợp lệ hoặc đã bị thu hồi.",
    role: "Vai trò",
    scope: "Phạm vi",
    roles: { collector: "Cộng tác viên", clerk: "Cán bộ dân số", analyst: "Phân tích", operator: "Vận hành" },
    area: "Đơn vị",
    drill: "Xem đơn vị cấp dưới…",
    search: "Tìm đơn vị (ví dụ: son la)",
    no_hits: "Không tìm thấy đơn vị nào",
    period_kind: "Kỳ báo cáo",
    kinds: { month: "Tháng", quarter: "Quý", year: "Năm" },
    year: "Năm",
    month: "Tháng",
    quarter: "Quý",
    known_on: "Số liệu như đã biết vào ngày",
    known_help: "dd/mm/yyyy — để trống: số liệu hiện nay",
    known_bad: "Ngày không hợp lệ: hãy viết dd/mm/yyyy",
    apply: "Xem",
    levels: { country: "Toàn quốc", province: "Tỉnh/thành phố", district: "Huyện/quận", commune: "Xã/phường" },
    forbidden: "Mã truy cập này không được xem đơn vị {code}. Đang hiển thị phạm vi của mã: {scope}.",
    error: "Lỗi khi tải số liệu: {msg}",
    loading: "Đang tải…",
    no_data: "Chưa có số liệu",
    headline: "Số liệu chính",
    vs_prev: "so với {prev}",
    trend: "Xu hướng",
    trend_of: "Chỉ tiêu",
    pyramid: "Tháp dân số",
    pyramid_at: "tại ngày {date}",
    male: "Nam",
    female: "Nữ",
    total: "Tổng",
    births_title: "Sinh theo lần sinh và tỷ số giới tính khi sinh",
    order: "Lần sinh",
    orders: { "1": "Con thứ 1", "2": "Con thứ 2", "3": "Con thứ 3", "4+": "Con thứ 4 trở lên" },
    srb_short: "TSGTKS",
    contraception: "Biện pháp tránh thai đang sử dụng",
    users_by_method: "Phụ nữ 15–49 có chồng đang sử dụng, theo biện pháp",
    migration: "Di cư",
    migration_true: "Theo người (đúng)",
    migration_sum: "Cộng các xã",
    migration_note: "Cộng số chuyển đến/chuyển đi của {n} xã cho {a}/{b}: một người chuyển giữa hai xã trong cùng đơn vị bị tính như đến và đi. Số đúng theo dõi từng người và chỉ tính khi vượt ranh giới của đơn vị.",
    migration_same: "Ở cấp này, cộng các xã cho cùng kết quả.",
    map: "Bản đồ dân số",
    map_of: "Tô màu theo",
    map_units_period: "Đơn vị theo kỳ",
    map_units_current: "34 tỉnh/thành sau 1/7/2025",
    map_hint: "Bấm vào một điểm để xem đơn vị đó.",
    map_no_coords: "Không có toạ độ",
    legend: "Chú giải",
    quality: "Chất lượng số liệu",
    forecast: "Dự báo dân số",
    forecast_scenario: "Kịch bản",
    forecast_horizon: "Số năm",
    forecast_run: "Dự báo",
    forecast_hint: "Tính từ số liệu của sổ đến ngày gốc; lần đầu có thể mất vài chục giây.",
    forecast_base: "gốc {date}, tỷ suất {from} – {to}",
    forecast_scenarios: { constant: "Giữ nguyên tỷ suất", strategy: "Chiến lược Dân số 2030", zero_migration: "Không di cư" },
    forecast_fan: "Dân số dự báo: trung vị, khoảng 80 % và 95 %",
    forecast_year: "Năm",
    forecast_population: "Dân số (khoảng 80 %)",
    forecast_births: "Số sinh",
    forecast_deaths: "Số chết",
    forecast_tfr: "TFR",
    forecast_targets: "Mục tiêu Chiến lược Dân số đến 2030 (QĐ 1679/QĐ-TTg)",
    forecast_target: "Mục tiêu",
    forecast_value_2030: "Năm 2030",
    forecast_first_met: "Đạt từ năm",
    forecast_not_met: "chưa đạt",
    forecast_targets_names: { tfr: "Tổng tỷ suất sinh", srb: "Tỷ số giới tính khi sinh", e0: "Tuổi thọ bình quân",
      share_0_14: "% dân số 0–14 tuổi", share_65_plus: "% dân số 65+", dependency_ratio: "Tỷ số phụ thuộc chung" },
    forecast_target_text: { tfr: "2,1 (mức sinh thay thế)", srb: "dưới 109", e0: "từ 75 tuổi", share_0_14: "khoảng 22 %",
      share_65_plus: "khoảng 11 %", dependency_ratio: "khoảng 49 %" },
    received: "Phiếu nhận được",
    accepted: "Đã ghi nhận",
    held: "Đang chờ xem xét",
    late: "Ghi chậm (> 30 ngày)",
    late_share: "Tỷ lệ ghi chậm",
    median_delay: "Độ trễ trung vị (ngày)",
    by_reason: "Đang chờ xem xét, theo lý do",
    by_collector: "Theo cộng tác viên",
    collector: "Cộng tác viên",
    late_by_type: "Ghi chậm theo loại sự kiện",
    pipeline: "Tình trạng xử lý",
    submitted: "Đã gửi",
    processed: "Đã xử lý",
    projected: "Đã đưa vào kho",
    log_end: "Cuối nhật ký",
    register_lag: "Chờ xử lý",
    projection_lag: "Chờ đưa vào kho",
    last_accepted: "Sự kiện mới nhất được ghi nhận lúc",
    caught_up: "Đã cập nhật đầy đủ",
    behind: "Đang xử lý",
    sink_rejects: "Bản ghi lỗi",
    report: "Báo cáo",
    print: "In báo cáo (A4)",
    person: "Tra cứu cá nhân",
    person_id: "Mã cá nhân",
    person_find: "Tra cứu",
    person_none: "Không tìm thấy người này hoặc không thuộc phạm vi của mã truy cập.",
    person_events: "Các sự kiện",
    unit_none: "—",
    pp: "điểm %",
    reasons: {
      invalid_submission: "Phiếu sai cấu trúc", unknown_commune: "Mã xã không tồn tại", unknown_person: "Không có người này trong sổ",
      not_yet_registered: "Chưa đăng ký vào ngày đó", person_dead: "Người đã chết", not_resident: "Không cư trú tại xã",
      person_exists: "Mã cá nhân đã có", household_exists: "Mã hộ đã có", household_unknown: "Không có hộ này",
      household_elsewhere: "Hộ ở xã khác", already_member: "Đã là thành viên hộ", child_exists: "Mã trẻ đã có",
      mother_not_female: "Mẹ không phải nữ", mother_age_out_of_range: "Tuổi mẹ ngoài khoảng", birth_spacing: "Khoảng cách sinh quá ngắn",
      already_married: "Đang có vợ/chồng", not_married_to_each_other: "Không phải vợ chồng", same_person: "Trùng một người",
      already_merged: "Đã gộp", unknown_event: "Không có sự kiện này", not_voidable: "Không huỷ được", already_voided: "Đã huỷ",
      unknown_held_event: "Không có phiếu chờ này", already_resolved: "Đã giải quyết",
      conflict_after_late_event: "Mâu thuẫn sau sự kiện ghi muộn", processing_error: "Lỗi xử lý",
    },
    types: {
      birth: "Sinh", death: "Chết", marriage: "Kết hôn", divorce: "Ly hôn", move_in: "Chuyển đến", move_out: "Chuyển đi",
      "contraception.started": "Bắt đầu dùng BPTT", "contraception.stopped": "Ngừng dùng BPTT",
      "pregnancy.recorded": "Có thai", "pregnancy.ended": "Kết thúc thai kỳ", "person.registered": "Đăng ký nhân khẩu",
      "household.registered": "Đăng ký hộ", "household.member_moved": "Đổi hộ", "person.corrected": "Sửa thông tin",
      "event.voided": "Huỷ sự kiện", "persons.merged": "Gộp hồ sơ", "review.overridden": "Chấp nhận phiếu chờ",
    },
    methods: {
      iud: "Dụng cụ tử cung (vòng)", implant: "Que cấy", injectable: "Thuốc tiêm", pill: "Thuốc uống",
      condom: "Bao cao su", female_sterilization: "Triệt sản nữ", male_sterilization: "Triệt sản nam",
      traditional: "Biện pháp truyền thống",
    },
    ind: {
      population: "Dân số", population_male: "Dân số nam", population_female: "Dân số nữ", households: "Số hộ",
      births: "Số trẻ sinh ra", births_male: "Sinh: trẻ trai", births_female: "Sinh: trẻ gái",
      births_order_3_plus: "Sinh con thứ 3 trở lên", share_order_3_plus: "Tỷ lệ sinh con thứ 3+",
      srb: "Tỷ số giới tính khi sinh", deaths: "Số người chết", marriages: "Số cặp kết hôn", divorces: "Số cặp ly hôn",
      child_marriages: "Tảo hôn", in_migrants: "Chuyển đến", out_migrants: "Chuyển đi", net_migration: "Di cư thuần",
      contraception_new_users: "Người mới sử dụng BPTT", cbr: "Tỷ suất sinh thô (‰)", cdr: "Tỷ suất chết thô (‰)",
      gfr: "Tỷ suất sinh chung (‰)", tfr: "Tổng tỷ suất sinh", cpr_modern: "Tỷ lệ dùng BPTT hiện đại",
      women_15_49: "Phụ nữ 15–49 tuổi", married_women_15_49: "Phụ nữ 15–49 có chồng", children_0_5: "Trẻ em 0–5 tuổi",
      youth_10_24: "Vị thành niên, thanh niên 10–24", working_age_15_64: "Độ tuổi lao động 15–64",
      elderly_60_plus: "Người cao tuổi 60+", sex_ratio_population: "Tỷ số giới tính dân số",
    },
    report_forms: {
      commune: "Biểu 01-DSX: Báo cáo thống kê chuyên ngành dân số cấp xã",
      district: "Biểu 01-DSH: Báo cáo thống kê chuyên ngành dân số cấp huyện",
      province: "Báo cáo thống kê chuyên ngành dân số cấp tỉnh",
      country: "Báo cáo thống kê chuyên ngành dân số toàn quốc",
    },
    report_period: "Kỳ báo cáo: {period}",
    report_unit: "Đơn vị báo cáo: {name}",
    report_known: "Số liệu như đã biết vào ngày {date}",
    report_sections: {
      households: "I. Hộ và nhân khẩu (cuối kỳ)", flows: "II. Biến động trong kỳ", fp: "III. Kế hoạch hoá gia đình",
      quality: "IV. Chất lượng số liệu",
    },
    report_cols: { no: "STT", item: "Chỉ tiêu", value: "Số liệu" },
    of_which_male: "trong đó: nam", of_which_female: "trong đó: nữ", of_which_child_marriage: "trong đó: tảo hôn",
    of_which_order3: "trong đó: con thứ 3 trở lên", of_which_order2: "trong đó: con thứ 2",
    report_made: "{place}, ngày {d} tháng {m} năm {y}",
    report_maker: "Người lập biểu", report_head: "Thủ trưởng đơn vị", report_sign: "(Ký, ghi rõ họ tên)",
    report_source: "Nguồn: sổ đăng ký dân số điện tử (popreg); số liệu theo dõi từng người, không cộng dồn các xã.",
  },
  en: {
    title: "Population dashboard",
    subtitle: "Population information system",
    lang_switch: "Tiếng Việt",
    logout: "Sign out",
    login_title: "Sign in with an access token",
    login_help: "Paste the access (bearer) token your administrator gave you. It is kept for this browser session only.",
    token: "Access token",
    login: "Open",
    login_bad: "The token is not valid or was revoked.",
    role: "Role",
    scope: "Scope",
    roles: { collector: "Collector", clerk: "Clerk", analyst: "Analyst", operator: "Operator" },
    area: "Area",
    drill: "Go to a unit below…",
    search: "Find a unit (e.g. son la)",
    no_hits: "No unit found",
    period_kind: "Period",
    kinds: { month: "Month", quarter: "Quarter", year: "Year" },
    year: "Year",
    month: "Month",
    quarter: "Quarter",
    known_on: "As known on",
    known_help: "dd/mm/yyyy — empty: as known now",
    known_bad: "Not a date: write dd/mm/yyyy",
    apply: "Show",
    levels: { country: "Country", province: "Province", district: "District", commune: "Commune" },
    forbidden: "This token may not see area {code}. Showing the token's area: {scope}.",
    error: "Could not load figures: {msg}",
    loading: "Loading…",
    no_data: "No figures yet",
    headline: "Headline figures",
    vs_prev: "vs {prev}",
    trend: "Trend",
    trend_of: "Indicator",
    pyramid: "Population pyramid",
    pyramid_at: "on {date}",
    male: "Male",
    female: "Female",
    total: "Total",
    births_title: "Births by order and sex ratio at birth",
    order: "Birth order",
    orders: { "1": "1st child", "2": "2nd child", "3": "3rd child", "4+": "4th or later" },
    srb_short: "SRB",
    contraception: "Contraception in use",
    users_by_method: "Married women 15–49 using, by method",
    migration: "Migration",
    migration_true: "Following people (true)",
    migration_sum: "Sum of communes",
    migration_note: "Adding up the in/out moves of {n} communes gives {a}/{b}: a person moving between two communes of the same area counts as both in and out. The true figure follows each person and counts a move only where it crosses this area's boundary.",
    migration_same: "At this level, adding up communes gives the same result.",
    map: "Population map",
    map_of: "Colour by",
    map_units_period: "Units of the period",
    map_units_current: "34 provinces after 1 July 2025",
    map_hint: "Click a point to open that unit.",
    map_no_coords: "No coordinates",
    legend: "Legend",
    quality: "Data quality",
    forecast: "Population forecast",
    forecast_scenario: "Scenario",
    forecast_horizon: "Years",
    forecast_run: "Forecast",
    forecast_hint: "From the register's data up to the base date; the first time may take some tens of seconds.",
    forecast_base: "base {date}, rates {from} – {to}",
    forecast_scenarios: { constant: "Rates held", strategy: "Population Strategy 2030", zero_migration: "Zero migration" },
    forecast_fan: "Projected population: median, 80 % and 95 % bands",
    forecast_year: "Year",
    forecast_population: "Population (80 % band)",
    forecast_births: "Births",
    forecast_deaths: "Deaths",
    forecast_tfr: "TFR",
    forecast_targets: "Population Strategy to 2030 targets (QĐ 1679/QĐ-TTg)",
    forecast_target: "Target",
    forecast_value_2030: "In 2030",
    forecast_first_met: "First met",
    forecast_not_met: "not met",
    forecast_targets_names: { tfr: "Total fertility rate", srb: "Sex ratio at birth", e0: "Life expectancy",
      share_0_14: "% aged 0–14", share_65_plus: "% aged 65+", dependency_ratio: "Total dependency ratio" },
    forecast_target_text: { tfr: "2.1 (replacement)", srb: "below 109", e0: "75 or more", share_0_14: "about 22 %",
      share_65_plus: "about 11 %", dependency_ratio: "about 49 %" },
    received: "Submissions received",
    accepted: "Accepted",
    held: "Held in review",
    late: "Recorded late (> 30 days)",
    late_share: "Share recorded late",
    median_delay: "Median delay (days)",
    by_reason: "Held in review, by reason",
    by_collector: "By collector",
    collector: "Collector",
    late_by_type: "Late recording by event type",
    pipeline: "Pipeline health",
    submitted: "Submitted",
    processed: "Processed",
    projected: "Projected",
    log_end: "End of log",
    register_lag: "Waiting for the register",
    projection_lag: "Waiting for the projections",
    last_accepted: "Newest event accepted at",
    caught_up: "Up to date",
    behind: "Processing",
    sink_rejects: "Rejected records",
    report: "Report",
    print: "Print report (A4)",
    person: "Person view",
    person_id: "Person id",
    person_find: "Look up",
    person_none: "No such person, or outside this token's area.",
    person_events: "Events",
    unit_none: "—",
    pp: "pp",
    reasons: {
      invalid_submission: "Malformed submission", unknown_commune: "Unknown commune", unknown_person: "Unknown person",
      not_yet_registered: "Not yet registered then", person_dead: "Person dead", not_resident: "Not resident in the commune",
      person_exists: "Person id exists", household_exists: "Household id exists", household_unknown: "Unknown household",
      household_elsewhere: "Household in another commune", already_member: "Already a member", child_exists: "Child id exists",
      mother_not_female: "Mother not female", mother_age_out_of_range: "Mother's age out of range", birth_spacing: "Births too close",
      already_married: "Already married", not_married_to_each_other: "Not married to each other", same_person: "Same person twice",
      already_merged: "Already merged", unknown_event: "Unknown event", not_voidable: "Cannot be voided", already_voided: "Already voided",
      unknown_held_event: "Unknown held event", already_resolved: "Already resolved",
      conflict_after_late_event: "Conflict after a late event", processing_error: "Processing error",
    },
    types: {
      birth: "Birth", death: "Death", marriage: "Marriage", divorce: "Divorce", move_in: "Move in", move_out: "Move out",
      "contraception.started": "Contraception started", "contraception.stopped": "Contraception stopped",
      "pregnancy.recorded": "Pregnancy", "pregnancy.ended": "Pregnancy ended", "person.registered": "Person registered",
      "household.registered": "Household registered", "household.member_moved": "Changed household",
      "person.corrected": "Correction", "event.voided": "Void", "persons.merged": "Merge", "review.overridden": "Override",
    },
    methods: {
      iud: "IUD", implant: "Implant", injectable: "Injectable", pill: "Pill", condom: "Condom",
      female_sterilization: "Female sterilisation", male_sterilization: "Male sterilisation", traditional: "Traditional methods",
    },
    ind: {
      population: "Population", population_male: "Male population", population_female: "Female population",
      households: "Households", births: "Births", births_male: "Births: boys", births_female: "Births: girls",
      births_order_3_plus: "Births of order 3+", share_order_3_plus: "Share of births of order 3+",
      srb: "Sex ratio at birth", deaths: "Deaths", marriages: "Marriages", divorces: "Divorces",
      child_marriages: "Child marriages", in_migrants: "In-migrants", out_migrants: "Out-migrants",
      net_migration: "Net migration", contraception_new_users: "New contraception users", cbr: "Crude birth rate (‰)",
      cdr: "Crude death rate (‰)", gfr: "General fertility rate (‰)", tfr: "Total fertility rate",
      cpr_modern: "Modern contraceptive prevalence", women_15_49: "Women 15–49", married_women_15_49: "Married women 15–49",
      children_0_5: "Children 0–5", youth_10_24: "Adolescents and youth 10–24", working_age_15_64: "Working age 15–64",
      elderly_60_plus: "Elderly 60+", sex_ratio_population: "Sex ratio of the population",
    },
    report_forms: {
      commune: "Form 01-DSX: commune population statistics report",
      district: "Form 01-DSH: district population statistics report",
      province: "Province population statistics report",
      country: "National population statistics report",
    },
    report_period: "Period: {period}",
    report_unit: "Reporting unit: {name}",
    report_known: "As known on {date}",
    report_sections: {
      households: "I. Households and population (end of period)", flows: "II. Changes during the period",
      fp: "III. Family planning", quality: "IV. Data quality",
    },
    report_cols: { no: "No.", item: "Item", value: "Figure" },
    of_which_male: "of which: male", of_which_female: "of which: female", of_which_child_marriage: "of which: child marriage",
    of_which_order3: "of which: 3rd child or later", of_which_order2: "of which: 2nd child",
    report_made: "{place}, {d}/{m}/{y}",
    report_maker: "Prepared by", report_head: "Head of unit", report_sign: "(Signature, full name)",
    report_source: "Source: electronic population register (popreg); figures follow each person, never sums of communes.",
  },
};

// Which figures are ratios (shown as percentages), rates per 1,000, or plain decimals.
const PERCENT = new Set(["cpr_modern", "share_order_3_plus", "late_share"]);
const DECIMAL1 = new Set(["srb", "cbr", "cdr", "gfr", "sex_ratio_population"]);
const DECIMAL2 = new Set(["tfr"]);
const ROMAN = ["I", "II", "III", "IV"];

const FORMATS = new Map();  // Intl formatters are costly to make: one per language and shape

const Fmt = {
  lang: "vi",
  locale() { return this.lang === "vi" ? "vi-VN" : "en-GB"; },
  nf(min, max) {
    const key = `${this.lang}|${min}|${max}`;
    let found = FORMATS.get(key);
    if (!found) {
      found = new Intl.NumberFormat(this.locale(), min === undefined ? {} : { minimumFractionDigits: min, maximumFractionDigits: max });
      FORMATS.set(key, found);
    }
    return found;
  },
  t(key, vars) {
    const path = key.split(".");
    let v = I18N[this.lang];
    for (const p of path) v = v == null ? undefined : v[p];
    if (v === undefined) {
      v = I18N.vi;
      for (const p of path) v = v == null ? undefined : v[p];
    }
    let s = v === undefined ? key : String(v);
    if (vars) for (const [k, val] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(val));
    return s;
  },
  // Event types have dots in their names ("contraception.started"): not a path of keys.
  type(name) { return I18N[this.lang].types[name] || name; },
  reason(code) { return I18N[this.lang].reasons[code] || code; },
  label(name) {
    if (name.startsWith("contraceptive_users_by_method.")) return this.t("methods." + name.split(".")[1]);
    const found = I18N[this.lang].ind[name];
    return found || name;
  },
  // The API's figure as written, never changed but for display scaling of ratios to percent.
  value(name, v) {
    if (v === null || v === undefined) return "—";
    if (PERCENT.has(name)) return this.nf(1, 1).format(v * 100) + " %";
    if (DECIMAL1.has(name)) return this.nf(1, 1).format(v);
    if (DECIMAL2.has(name) || !Number.isInteger(v)) return this.nf(2, 2).format(v);
    return this.nf().format(v);
  },
  int(v) { return v === null || v === undefined ? "—" : this.nf().format(v); },
  signed(name, v) {
    if (v === null || v === undefined) return "";
    const sign = v > 0 ? "+" : v < 0 ? "−" : "±";
    if (PERCENT.has(name)) {
      return sign + this.nf(1, 1).format(Math.abs(v) * 100) + " " + this.t("pp");
    }
    return sign + this.value(name, Math.abs(v));
  },
  pct(v) {
    if (v === null || v === undefined) return "";
    const sign = v > 0 ? "+" : v < 0 ? "−" : "±";
    return sign + this.nf(0, 1).format(Math.abs(v)) + " %";
  },
  // 2026-11-25 -> 25/11/2026 (as on the forms, Circular 01/2022).
  date(iso) {
    if (!iso) return "";
    const [y, m, d] = iso.slice(0, 10).split("-");
    return `${d}/${m}/${y}`;
  },
  datetime(iso) {
    if (!iso) return "—";
    return `${iso.slice(11, 16)} ${this.date(iso)}`;
  },
  period(code) {
    if (!code) return "";
    let m = /^(\d{4})-Q([1-4])$/.exec(code);
    if (m) return this.lang === "vi" ? `Quý ${ROMAN[m[2] - 1]}/${m[1]}` : `Q${m[2]} ${m[1]}`;
    m = /^(\d{4})-(\d{2})$/.exec(code);
    if (m) return this.lang === "vi" ? `Tháng ${Number(m[2])}/${m[1]}` : `${m[2]}/${m[1]}`;
    return this.lang === "vi" ? `Năm ${code}` : code;
  },
  periodShort(code) {
    let m = /^(\d{4})-Q([1-4])$/.exec(code);
    if (m) return `Q${m[2]}/${m[1].slice(2)}`;
    m = /^(\d{4})-(\d{2})$/.exec(code);
    if (m) return `${m[2]}/${m[1].slice(2)}`;
    return code;
  },
  // dd/mm/yyyy -> yyyy-mm-dd, or null when it is not a real date.
  parseDate(text) {
    const m = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(text || "");
    if (!m) return null;
    const d = new Date(Date.UTC(+m[3], +m[2] - 1, +m[1]));
    if (d.getUTCDate() !== +m[1] || d.getUTCMonth() !== +m[2] - 1) return null;
    return d.toISOString().slice(0, 10);
  },
};
window.I18N = I18N;
window.Fmt = Fmt;
