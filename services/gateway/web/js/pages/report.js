// The unit officer's page: the period's report form, generated from the criteria template.
import { api, get, post, put } from "../api.js";
import { context, periodBadge, picker } from "../context.js";
import { button, clear, field, fileLink, flash, h, notice, num, when } from "../dom.js";
import { criteria, describe, loadTypes, markInvalid, pointsControl, readNumber, readValue, valueControl } from "../criteria.js";
import { breakdownTable, classBadge } from "../ranking.js";
import {
  COMMENDATION_FORMS, COMMENDATION_KINDS, LEVEL_NAMES, REPORT_STATUS, SECTION_NAMES, SEVERITY_NAMES,
} from "../messages.js";

export const TITLE = "Báo cáo thi đua của đơn vị";
const REPORTING = ["OPEN", "CLOSED", "SCORING"];
const EDITABLE = ["DRAFT", "RETURNED"];
const FILE_TYPES = { pdf: "application/pdf", png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" };

export async function render(main, me) {
  const ctx = await context(me);
  const { period } = ctx;
  if (!me.unit || !period) {
    return clear(main, h("h1", {}, TITLE), notice("info", "Tài khoản này không thuộc đơn vị nào, hoặc chưa có kỳ thi đua."));
  }
  const [template] = await Promise.all([
    get(`/templates/${encodeURIComponent(period.template.id)}?version=${period.template.version}`), loadTypes()]);
  const found = (await get(`/reports?unit=${encodeURIComponent(me.unit)}&period=${encodeURIComponent(period.id)}`)).items[0];
  draw(main, me, ctx, template, found || null);
}

function draw(main, me, ctx, template, report) {
  const { period, cluster } = ctx;
  const editable = (!report || EDITABLE.includes(report.status)) && REPORTING.includes(period.state);
  const disabled = !editable;
  const list = criteria(template);
  const controls = {};
  const form = h("form", { class: "report", novalidate: true, onsubmit: (e) => e.preventDefault() });

  for (const group of template.groups) {
    const rows = group.criteria.map((criterion) => {
      const value = valueControl(criterion, report && report.values[criterion.code], disabled);
      const self = pointsControl(criterion, report && report.self_scores[criterion.code], disabled,
        `self_scores.${criterion.code}`);
      controls[criterion.code] = { value, self };
      value.id = `gt-${criterion.code}`;
      self.id = `td-${criterion.code}`;
      value.setAttribute("aria-label", `Kết quả: ${criterion.name}`);
      self.setAttribute("aria-label", `Tự chấm: ${criterion.name}`);
      return h("tr", {},
        h("th", { scope: "row" }, h("span", { class: "code" }, criterion.code), " ", criterion.name,
          h("small", { class: "hint" }, describe(criterion))),
        h("td", {}, value), h("td", {}, self));
    });
    form.append(h("fieldset", {}, h("legend", {}, `${group.code}. ${group.name}`),
      h("table", { class: "criteria" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Tiêu chí"), h("th", { scope: "col" }, "Kết quả thực hiện"),
          h("th", { scope: "col" }, "Điểm tự chấm"))),
        h("tbody", {}, rows))));
  }

  const sections = {};
  form.append(h("fieldset", {}, h("legend", {}, "Nội dung báo cáo"),
    Object.entries(SECTION_NAMES).map(([key, label]) => {
      sections[key] = h("textarea", { rows: 3, disabled, "data-field": `sections.${key}` },
        (report && report.sections[key]) || "");
      return field(label, sections[key]);
    })));

  const commendations = rowsEditor("Khen thưởng trong kỳ", "Thêm khen thưởng", commendationRow,
    (report && report.commendations) || [], disabled, "commendations");
  const violations = rowsEditor("Vi phạm, sự cố", "Thêm vi phạm", violationRow,
    (report && report.violations) || [], disabled, "violations");
  const evidence = evidenceEditor(me.unit, (report && report.evidence) || [], disabled);
  form.append(commendations.el, violations.el, evidence.el);

  const total = h("output", { id: "tong-tu-cham" }, "0");
  const sum = () => { total.textContent = num(list.reduce((s, c) => s + (readNumber(controls[c.code].self) || 0), 0)); };
  form.addEventListener("input", sum);
  sum();
  form.append(h("p", { class: "total" }, "Tổng điểm tự chấm: ", total));

  const content = () => {
    const body = { values: {}, self_scores: {}, sections: {}, commendations: commendations.read(),
      violations: violations.read(), evidence: evidence.read() };
    for (const criterion of list) {
      const value = readValue(criterion, controls[criterion.code].value);
      if (value !== undefined) body.values[criterion.code] = value;
      const self = readNumber(controls[criterion.code].self);
      if (self !== undefined) body.self_scores[criterion.code] = self;
    }
    for (const [key, area] of Object.entries(sections)) if (area.value.trim()) body.sections[key] = area.value.trim();
    return body;
  };

  const act = async (submit) => {
    const problems = checkRanges(form);
    if (problems) return flash("error", problems);
    try {
      let saved = report;
      if (!saved) {
        saved = await post("/reports", { unit: me.unit, period: period.id, draft: !submit, ...content() });
      } else {
        saved = await put(`/reports/${saved.id}`, { version: saved.version, ...content() });
        if (submit) saved = await post(`/reports/${saved.id}/submit`, { version: saved.version });
      }
      draw(main, me, ctx, template, saved);
      flash("success", submit ? `Đã nộp báo cáo (${REPORT_STATUS[saved.status]}).` : "Đã lưu bản nháp.");
    } catch (error) {
      const rest = markInvalid(form, error);
      flash("error", `${error.text}${rest.length ? " " + rest.join("; ") : ""}`);
    }
  };
  if (editable) {
    form.append(h("div", { class: "actions" },
      button("Lưu nháp", () => act(false), { id: "luu-nhap" }),
      button(report && report.status === "RETURNED" ? "Nộp lại báo cáo" : "Nộp báo cáo", () => act(true),
        { class: "primary", id: "nop-bao-cao" })));
  }

  clear(main,
    h("div", { class: "page-head" }, h("h1", {}, TITLE), picker(ctx)),
    h("p", { class: "muted" }, `${period.label} · ${cluster ? cluster.name : ""} · hạn nộp ${when(period.deadline)} · `,
      periodBadge(period)),
    statusPanel(report, period, editable),
    h("div", { id: "ket-qua" }),
    form);
  if (report && (report.status === "FINALIZED" || ["CONCLUDED", "ARCHIVED"].includes(period.state))) {
    showBreakdown(main.querySelector("#ket-qua"), report, template);
  }
}

function statusPanel(report, period, editable) {
  if (!report) {
    return notice("info", REPORTING.includes(period.state)
      ? "Đơn vị chưa có báo cáo kỳ này: điền các mục dưới đây, lưu nháp hoặc nộp ngay."
      : "Kỳ này không nhận báo cáo.");
  }
  return h("section", { class: "card", "aria-labelledby": "trang-thai" },
    h("h2", { id: "trang-thai" }, "Trạng thái: ",
      h("span", { class: `status status-${report.status.toLowerCase()}`, id: "trang-thai-bao-cao" },
        REPORT_STATUS[report.status] || report.status),
      report.late ? h("span", { class: "status late" }, "Nộp muộn") : null),
    report.status === "RETURNED"
      ? notice("warning", h("strong", {}, "Lý do trả lại: "), h("span", { id: "ly-do-tra-lai" }, report.return_reason || ""))
      : null,
    h("table", { class: "history" },
      h("caption", {}, "Lịch sử trạng thái"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Thời điểm"), h("th", { scope: "col" }, "Trạng thái"),
        h("th", { scope: "col" }, "Người thực hiện"))),
      h("tbody", {}, report.history.map((step) => h("tr", {}, h("td", {}, when(step.at)),
        h("td", {}, REPORT_STATUS[step.status] || step.status), h("td", {}, step.by))))));
}

async function showBreakdown(place, report, template) {
  try {
    const result = await get(`/clusters/${report.cluster}/periods/${report.period}/ranking/units/${report.unit}`);
    clear(place, h("section", { class: "card" },
      h("h2", {}, "Kết quả chấm điểm của đơn vị"),
      h("p", {}, "Tổng điểm ", h("strong", { id: "tong-diem" }, num(result.total)), ` · hạng ${result.rank} · xếp loại `,
        classBadge(result.class, template)),
      breakdownTable(result, template)));
  } catch (error) {
    clear(place, notice("info", error.text));
  }
}

function checkRanges(form) {
  for (const input of form.querySelectorAll("input[type=number]")) {
    if (input.value.trim() === "") continue;
    const value = Number(input.value);
    const low = input.min === "" ? -Infinity : Number(input.min);
    const high = input.max === "" ? Infinity : Number(input.max);
    if (!Number.isFinite(value) || value < low || value > high) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
      const label = input.getAttribute("aria-label") || "Giá trị";
      return `${label}: phải là số${Number.isFinite(low) ? ` từ ${num(low)}` : ""}${Number.isFinite(high) ? ` đến ${num(high)}` : ""}.`;
    }
    input.removeAttribute("aria-invalid");
  }
  return null;
}

function rowsEditor(title, addLabel, makeRow, items, disabled, name) {
  const body = h("div", { class: "rows" });
  const rows = [];
  const add = (item) => {
    const row = makeRow(item || {}, disabled, `${name}[${rows.length}]`);
    const remove = disabled ? null : button("Xoá", () => { rows.splice(rows.indexOf(row), 1); line.remove(); },
      { class: "link danger" });
    const line = h("div", { class: "row" }, row.el, remove);
    rows.push(row);
    body.append(line);
  };
  items.forEach(add);
  const el = h("fieldset", {}, h("legend", {}, title), body,
    disabled ? null : button(addLabel, () => add(), { class: "secondary" }),
    items.length || !disabled ? null : h("p", { class: "muted" }, "Không có."));
  return { el, read: () => rows.map((row) => row.read()) };
}

function commendationRow(item, disabled, name) {
  const form = h("select", { disabled, "data-field": `${name}.form` },
    Object.entries(COMMENDATION_FORMS).map(([code, [label]]) => h("option", { value: code, selected: item.form === code }, label)));
  const level = h("select", { disabled, "data-field": `${name}.level` });
  const levels = () => {
    const allowed = COMMENDATION_FORMS[form.value][1];
    const keep = allowed.includes(level.value) ? level.value : item.level;
    clear(level, allowed.map((code) => h("option", { value: code, selected: code === keep }, LEVEL_NAMES[code])));
  };
  form.addEventListener("change", levels);
  levels();
  const kindOf = item.kind || (item.collective === false ? "individual" : "collective");
  const kind = h("select", { disabled, "data-field": `${name}.kind` },
    Object.entries(COMMENDATION_KINDS).map(([code, label]) => h("option", { value: code, selected: code === kindOf },
      label.charAt(0).toUpperCase() + label.slice(1))));
  const recipients = h("input", { value: (item.recipients || []).join("; "), disabled, maxlength: 20000,
    "data-field": `${name}.recipients` });
  const count = h("input", { type: "number", min: 1, max: 10000, step: 1, value: String(item.count || 1), disabled,
    "aria-label": "Số lượt khen thưởng", "data-field": `${name}.count` });
  const decision = h("input", { value: item.decision_no || "", disabled, maxlength: 100 });
  const date = h("input", { type: "date", value: item.decision_date || "", disabled, "data-field": `${name}.decision_date` });
  return {
    el: h("div", { class: "inline" }, field("Hình thức, danh hiệu", form), field("Cấp khen", level), field("Đối tượng", kind),
      field("Số lượt", count), field("Số quyết định", decision), field("Ngày quyết định", date),
      field("Tên người, tập thể được khen", recipients, "Không bắt buộc; các tên cách nhau bằng dấu chấm phẩy.")),
    read: () => {
      const names = recipients.value.split(";").map((n) => n.trim()).filter(Boolean);
      return { form: form.value, level: level.value, kind: kind.value, count: Number(count.value),
        ...(names.length ? { recipients: names } : {}),
        decision_no: decision.value.trim() || null, decision_date: date.value || null };
    },
  };
}

function violationRow(item, disabled, name) {
  const severity = h("select", { disabled, "data-field": `${name}.severity` },
    Object.entries(SEVERITY_NAMES).map(([code, label]) => h("option", { value: code, selected: Number(code) === item.severity }, label)));
  const description = h("input", { value: item.description || "", disabled, required: true, maxlength: 2000,
    "data-field": `${name}.description` });
  const date = h("input", { type: "date", value: item.date || "", disabled });
  return {
    el: h("div", { class: "inline" }, field("Mức độ", severity), field("Nội dung vi phạm", description), field("Ngày", date)),
    read: () => ({ severity: Number(severity.value), description: description.value.trim(), date: date.value || null }),
  };
}

function evidenceEditor(unit, items, disabled) {
  const files = [...items];
  const listEl = h("ul", { class: "files" });
  const show = () => clear(listEl, files.map((file, index) => h("li", {},
    fileLink(`/evidence/${encodeURIComponent(file.file_id)}`, file.name),
    disabled ? null : button("Gỡ", () => { files.splice(index, 1); show(); }, { class: "link danger",
      "aria-label": `Gỡ tệp ${file.name}` }))));
  show();
  const picker = h("input", { type: "file", multiple: true, disabled, accept: Object.keys(FILE_TYPES).map((e) => `.${e}`).join(","),
    onchange: async () => {
      for (const file of picker.files) {
        const type = file.type || FILE_TYPES[file.name.split(".").pop().toLowerCase()] || "application/octet-stream";
        try {
          const stored = await api("POST", `/units/${encodeURIComponent(unit)}/evidence`, file,
            { headers: { "Content-Type": type, "X-Filename": encodeURIComponent(file.name) } });
          files.push({ file_id: stored.id, name: stored.name });
          show();
          flash("success", `Đã tải lên ${stored.name}.`);
        } catch (error) {
          flash("error", `${file.name}: ${error.text}`);
        }
      }
      picker.value = "";
    } });
  const el = h("fieldset", {}, h("legend", {}, "Tệp minh chứng"), listEl,
    disabled ? null : field("Tải tệp lên (PDF, PNG, JPEG, DOCX, XLSX; tối đa 10 MB)", picker));
  return { el, read: () => files.map((f) => ({ file_id: f.file_id, name: f.name })) };
}
