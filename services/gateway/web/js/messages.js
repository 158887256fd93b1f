// What each refusal of the API means, in Vietnamese, by its stable error code.
// tests/unit/test_web.py checks that every code the platform can answer is here.
export const ERRORS = {
  MALFORMED_JSON: "Dữ liệu gửi lên không đúng định dạng. Hãy tải lại trang và thử lại.",
  INVALID_UTF8: "Dữ liệu gửi lên có ký tự không hợp lệ.",
  INVALID_QUERY: "Tham số tra cứu không hợp lệ.",
  INVALID_KEY: "Dữ liệu gửi lên có trường không hợp lệ.",
  INVALID_IDEMPOTENCY_KEY: "Mã chống gửi trùng không hợp lệ. Hãy tải lại trang.",
  UNAUTHENTICATED: "Sai tên đăng nhập hoặc mật khẩu, hoặc phiên làm việc chưa đăng nhập.",
  INVALID_TOKEN: "Phiên đăng nhập đã hết hạn hoặc đã đăng xuất. Hãy đăng nhập lại.",
  FORBIDDEN: "Tài khoản của đồng chí không có quyền thực hiện thao tác này.",
  UNKNOWN_UNIT: "Không tìm thấy đơn vị.",
  UNKNOWN_PERIOD: "Không tìm thấy kỳ thi đua.",
  UNKNOWN_CLUSTER: "Không tìm thấy cụm thi đua.",
  UNKNOWN_REPORT: "Không tìm thấy báo cáo.",
  UNKNOWN_TEMPLATE: "Không tìm thấy bộ tiêu chí chấm điểm.",
  UNKNOWN_EVIDENCE: "Không tìm thấy tệp minh chứng.",
  UNKNOWN_NOTICE: "Không tìm thấy thông báo.",
  RANKING_NOT_FOUND: "Cụm chưa có bảng xếp hạng cho kỳ này (chưa đơn vị nào nộp báo cáo).",
  NOT_FOUND: "Không tìm thấy trang hoặc tệp yêu cầu.",
  METHOD_NOT_ALLOWED: "Thao tác này không dùng được với địa chỉ này.",
  BODY_TOO_LARGE: "Tệp hoặc dữ liệu quá lớn: tệp minh chứng tối đa 10 MB.",
  UNSUPPORTED_MEDIA_TYPE: "Loại tệp không được chấp nhận: chỉ nhận PDF, PNG, JPEG, DOCX, XLSX.",
  REPORT_EXISTS: "Đơn vị đã có báo cáo cho kỳ này. Hãy tải lại trang để sửa báo cáo đó.",
  PERIOD_NOT_OPEN: "Kỳ thi đua đang ở giai đoạn không cho phép thao tác này.",
  RUN_CONCLUDED: "Kỳ thi đua của cụm đã kết luận: báo cáo, bỏ phiếu và bảng xếp hạng giữ nguyên; cần mở lại kỳ (có lý do) để sửa.",
  VOTE_NOT_CLOSED: "Cụm chưa kết thúc bỏ phiếu: cần mở và kết thúc bỏ phiếu trước khi kết luận.",
  REPORTS_NOT_REVIEWED: "Còn báo cáo chưa được xét duyệt: xét duyệt, chốt hoặc loại (có lý do) trước khi kết luận.",
  INVALID_TRANSITION: "Báo cáo hoặc kỳ thi đua không ở trạng thái cho phép thao tác này.",
  STALE_VERSION: "Nội dung vừa được người khác thay đổi. Hãy tải lại trang rồi thực hiện lại.",
  VOTING_NOT_OPEN: "Chưa mở biểu quyết, hoặc biểu quyết đã đóng.",
  ALREADY_VOTED: "Đơn vị của đồng chí đã bỏ phiếu trong phiên biểu quyết này.",
  UNKNOWN_PROPOSAL: "Không tìm thấy đề nghị khen thưởng này.",
  CONFLICT: "Thao tác trùng hoặc mâu thuẫn với dữ liệu đã có.",
  VALIDATION_FAILED: "Có trường chưa hợp lệ; xem các trường được đánh dấu.",
  UNIT_NOT_IN_CLUSTER: "Đơn vị không thuộc cụm thi đua nào trong năm này.",
  IDEMPOTENCY_KEY_REUSED: "Yêu cầu bị gửi trùng với nội dung khác. Hãy tải lại trang.",
  RATE_LIMITED: "Đăng nhập quá nhiều lần trong một phút. Hãy chờ một phút rồi thử lại.",
  TOO_MANY_ATTEMPTS: "Nhập sai mật khẩu 5 lần: tài khoản tạm khoá 15 phút.",
  SERVICE_UNAVAILABLE: "Hệ thống đang bận hoặc tạm ngừng. Hãy thử lại sau giây lát.",
  UPSTREAM_ERROR: "Hệ thống gặp lỗi khi xử lý; lỗi đã được ghi lại. Hãy thử lại sau.",
  INTERNAL_ERROR: "Hệ thống gặp lỗi khi xử lý; lỗi đã được ghi lại. Hãy thử lại sau.",
  RUN_CONCLUDED: "Cụm đã kết luận kỳ thi đua này: không thay đổi báo cáo, phiếu hay kết quả được nữa (trừ khi mở lại kỳ).",
  VOTE_NOT_CLOSED: "Chưa kết luận được: cụm chưa đóng biểu quyết. Hãy đóng biểu quyết, kiểm phiếu trước.",
  REPORTS_NOT_REVIEWED: "Chưa kết luận được: còn báo cáo đã nộp chưa được chấm hoặc chốt kết quả.",
  UNKNOWN_PROPOSAL: "Không tìm thấy đề nghị khen thưởng.",
};

export const NETWORK_ERROR = "Không kết nối được máy chủ. Kiểm tra mạng rồi thử lại.";

export function explain(error) {
  return ERRORS[error.code] || error.message || NETWORK_ERROR;
}

export const REPORT_STATUS = {
  DRAFT: "Bản nháp", SUBMITTED: "Đã nộp", RETURNED: "Bị trả lại", RESUBMITTED: "Đã nộp lại",
  REVIEWED: "Đã chấm", FINALIZED: "Đã chốt kết quả",
};

export const PERIOD_STATE = {
  PLANNED: "Chưa mở", OPEN: "Đang nhận báo cáo", CLOSED: "Hết hạn nộp", SCORING: "Đang chấm điểm",
  VOTING: "Đang biểu quyết", CONCLUDED: "Đã công bố kết quả", ARCHIVED: "Đã lưu trữ",
};

export const PERIOD_ACTIONS = {  // action: [from state, button label]
  open: ["PLANNED", "Mở kỳ nhận báo cáo"], close: ["OPEN", "Khoá sổ (hết hạn nộp)"],
  start_scoring: ["CLOSED", "Bắt đầu chấm điểm"], start_voting: ["SCORING", "Chuyển sang biểu quyết"],
  conclude: ["VOTING", "Công bố kết quả"], archive: ["CONCLUDED", "Lưu trữ"], reopen: ["CONCLUDED", "Mở lại kỳ"],
};

export const CLASS_NAMES = { XUAT_SAC: "Xuất sắc", TOT: "Tốt", KHA: "Khá", TRUNG_BINH: "Trung bình", YEU: "Yếu" };

export const LEADER_STATUS = {
  elected: "được bầu", provisional: "tạm thời, theo điểm", tie_revote: "bằng điểm, cần bầu lại", none: "chưa xác định",
};

export const ROLE_NAMES = {
  administrator: "Quản trị viên", provincial_leader: "Lãnh đạo Công an tỉnh", standing_office: "Thường trực thi đua",
  unit_leader: "Lãnh đạo đơn vị", unit_officer: "Cán bộ đơn vị",
};

export const COMMENDATION_FORMS = {
  BANG_KHEN: ["Bằng khen", ["GOVERNMENT", "MINISTRY", "PROVINCE"]],
  GIAY_KHEN: ["Giấy khen", ["DIRECTOR"]],
  BIEU_DUONG: ["Biểu dương", ["DIRECTOR"]],
  CO_THI_DUA: ["Cờ thi đua", ["GOVERNMENT", "MINISTRY", "PROVINCE"]],
  DON_VI_QUYET_THANG: ["Đơn vị Quyết thắng", ["MINISTRY", "DIRECTOR"]],
  DON_VI_TIEN_TIEN: ["Đơn vị tiên tiến", ["DIRECTOR"]],
  CHIEN_SI_THI_DUA_CO_SO: ["Chiến sĩ thi đua cơ sở", ["DIRECTOR"]],
  CHIEN_SI_TIEN_TIEN: ["Chiến sĩ tiên tiến", ["DIRECTOR"]],
};

// Titles (danh hiệu) go to collectives only or to individuals only.
export const TITLE_KINDS = {
  CO_THI_DUA: "collective", DON_VI_QUYET_THANG: "collective", DON_VI_TIEN_TIEN: "collective",
  CHIEN_SI_THI_DUA_CO_SO: "individual", CHIEN_SI_TIEN_TIEN: "individual",
};

export const COMMENDATION_KINDS = { collective: "tập thể", individual: "cá nhân", mixed: "lượt đơn vị, cá nhân" };

export const LEVEL_NAMES = {
  GOVERNMENT: "Chính phủ", MINISTRY: "Bộ Công an", PROVINCE: "UBND tỉnh", DIRECTOR: "Giám đốc Công an tỉnh",
};

export const SEVERITY_NAMES = { 1: "1 - Nhắc nhở", 2: "2 - Khiển trách", 3: "3 - Cảnh cáo", 4: "4 - Kỷ luật nặng" };

export const SECTION_NAMES = {
  professional: "Kết quả công tác chuyên môn",
  movement: "Triển khai phong trào thi đua",
  force_building: "Xây dựng lực lượng, hậu cần, kỹ thuật",
};

export const PROPOSAL_STATE = {
  DRAFT: "Dự thảo", SUBMITTED: "Đã trình Thường trực", APPROVED: "Đã duyệt", REJECTED: "Không duyệt",
};

