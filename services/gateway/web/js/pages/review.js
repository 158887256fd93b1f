// The cluster lead's page: the review queue, scoring per criterion, returns, the vote and the results;
// the chair of the meeting and the standing office conclude the cluster's run here, with its text.
import { get, post } from "../api.js";
import { context, periodBadge, picker } from "../context.js";
import { button, clear, field, fileLink, flash, h, notice, num, when } from "../dom.js";
import { criteria, describe, loadTypes, markInvalid, pointsControl, readNumber, valueShape } from "../criteria.js";
import { COMMENDATION_FORMS, COMMENDATION_KINDS, LEVEL_NAMES, REPORT_STATUS, SECTION_NAMES, SEVERITY_NAMES } from "../messages.js";
import { votePanel } from "../vote.js";
import { conclusionPanel } from "../run.js";

export const TITLE = "Xét duyệt, chấm điểm báo cáo";
const REVIEWABLE = ["SUBMITTED", "RESUBMITTED", "REVIEWED"];
const RETURNABLE = ["SUBMITTED", "RESUBMITTED"];
const REVIEWING = ["OPEN", "CLOSED", "SCORING", "VOTING"];  // as the API allows

export async function render(main, me) {
  const ctx = await context(me);
  const { period, cluster } = ctx;
  if (!period || !cluster) return clear(main, h("h1", {}, TITLE), notice("info", "Chưa có cụm hoặc kỳ thi đua."));
  const { run } = ctx;
  const [reports, summary, template] = await Promise.all([
    get(`/reports?cluster=${cluster.id}&period=${period.id}`).then((r) => r.items),
    get(`/clusters/${cluster.id}/periods/${period.id}/summary`),
    get(`/templates/${encodeURIComponent(period.template.id)}?version=${period.template.version}`),
    loadTypes(),
  ]);
  const units = Object.fromEntries((await get("/units")).items.map((u) => [u.id, u.name]));
  const chosen = new URLSearchParams(location.search).get("bao-cao");
  const detail = h("div", { id: "chi-tiet" });
  const reload = () => render(main, me);

  const reviewed = REVIEWING.includes(period.state) ? reports.filter((r) => r.status === "REVIEWED") : [];
  const finalizeAll = async () => {
    try {
      for (const report of reviewed) await post(`/reports/${report.id}/finalize`, { version: report.version });
      await reload();
      flash("success", `Đã chốt kết quả ${reviewed.length} báo cáo.`);
    } catch (error) {
      flash("error", error.text);
    }
  };

  clear(main,
    h("div", { class: "page-head" }, h("h1", {}, TITLE), picker(ctx)),
    h("p", { class: "muted" }, `${cluster.name} · ${period.label} · `, periodBadge(period)),
    summaryLine(summary, units),
    h("section", { class: "card", "aria-labelledby": "hang-doi" },
      h("h2", { id: "hang-doi" }, "Báo cáo của các đơn vị"),
      queue(reports, units, (report) => showReport(detail, report, template, units, reload, period)),
      reviewed.length ? h("div", { class: "actions" },
        button(`Chốt kết quả ${reviewed.length} báo cáo đã chấm`, finalizeAll, { class: "primary", id: "chot-tat-ca" })) : null),
    detail,
    await votePanel(cluster, period, me, { manage: true, units, onChange: reload }),
    conclusionPanel(run, me, { onDone: reload }),
    h("p", {}, h("a", { href: `/hop-cum?cum=${cluster.id}&ky=${period.id}`, id: "den-trang-hop" },
      "Họp cụm: biên bản kiểm phiếu, đề nghị khen thưởng, biên bản họp")));
  const open = reports.find((r) => r.id === chosen);
  if (open) showReport(detail, open, template, units, reload, period);
}

function summaryLine(summary, units) {
  const missing = summary.not_submitted.map((u) => units[u] || u);
  const late = summary.late.map((u) => units[u] || u);
  return h("p", { class: "summary" },
    missing.length ? `Chưa nộp: ${missing.join(", ")}. ` : "Tất cả đơn vị đã nộp. ",
    late.length ? `Nộp muộn: ${late.join(", ")}.` : "");
}

function queue(reports, units, open) {
  if (!reports.length) return h("p", { class: "muted" }, "Chưa có báo cáo nào được nộp.");
  return h("table", { class: "queue" },
    h("thead", {}, h("tr", {}, ["Đơn vị", "Trạng thái", "Nộp lúc", "Tự chấm", ""].map((l) => h("th", { scope: "col" }, l)))),
    h("tbody", {}, reports.map((report) => h("tr", { "data-unit": report.unit },
      h("th", { scope: "row" }, units[report.unit] || report.unit),
      h("td", {}, h("span", { class: `status status-${report.status.toLowerCase()}` }, REPORT_STATUS[report.status]),
        report.late ? h("span", { class: "status late" }, "Nộp muộn") : null),
      h("td", {}, when(report.submitted_at)),
      h("td", { class: "num" }, num(report.self_total)),
      h("td", {}, button("Xem, chấm điểm", () => open(report), { class: "secondary",
        "aria-label": `Xem, chấm điểm báo cáo ${units[report.unit] || report.unit}` }))))));
}

function shownValue(criterion, value) {
  if (!value) return "—";
  const { key, kind } = valueShape(criterion);
  const raw = value[key];
  if (kind === "boolean") return raw ? "Đạt" : "Không đạt";
  return num(raw);
}

function showReport(place, report, template, units, reload, period) {
  const open = REVIEWING.includes(period.state);
  const canReview = open && REVIEWABLE.includes(report.status);
  const controls = {};
  const rows = criteria(template).map((criterion) => {
    const earlier = report.review[criterion.code];
    const points = pointsControl(criterion, earlier ? earlier.points : report.self_scores[criterion.code], !canReview,
      `review.${criterion.code}.points`);
    const comment = h("input", { value: (earlier && earlier.comment) || "", disabled: !canReview, maxlength: 2000,
      "data-field": `review.${criterion.code}.comment` });
    points.id = `cham-${criterion.code}`;
    points.setAttribute("aria-label", `Điểm cụm chấm: ${criterion.name}`);
    comment.setAttribute("aria-label", `Nhận xét: ${criterion.name}`);
    controls[criterion.code] = { points, comment };
    return h("tr", {},
      h("th", { scope: "row" }, h("span", { class: "code" }, criterion.code), " ", criterion.name,
        h("small", { class: "hint" }, describe(criterion))),
      h("td", { class: "num" }, shownValue(criterion, report.values[criterion.code])),
      h("td", { class: "num" }, num(report.self_scores[criterion.code])),
      h("td", {}, points), h("td", {}, comment));
  });
  const form = h("form", { class: "card", novalidate: true, onsubmit: (e) => e.preventDefault() },
    h("h2", { id: "bao-cao-dang-xem" }, `Báo cáo của ${units[report.unit] || report.unit}`),
    h("p", {}, "Trạng thái: ", h("span", { class: `status status-${report.status.toLowerCase()}` }, REPORT_STATUS[report.status]),
      report.late ? h("span", { class: "status late" }, "Nộp muộn") : null),
    report.return_reason && report.status === "RETURNED" ? notice("warning", `Lý do trả lại: ${report.return_reason}`) : null,
    h("table", { class: "criteria" },
      h("thead", {}, h("tr", {}, ["Tiêu chí", "Kết quả", "Tự chấm", "Cụm chấm", "Nhận xét"].map((l) => h("th", { scope: "col" }, l)))),
      h("tbody", {}, rows)),
    contentOf(report));

  const act = async (action, body) => {
    try {
      await post(`/reports/${report.id}/${action}`, { version: report.version, ...body });
      await reload();
      flash("success", { review: "Đã lưu điểm chấm.", return: "Đã trả lại báo cáo cho đơn vị.",
        finalize: "Đã chốt kết quả báo cáo." }[action]);
    } catch (error) {
      const rest = markInvalid(form, error);
      flash("error", `${error.text}${rest.length ? " " + rest.join("; ") : ""}`);
    }
  };
  const review = () => {
    const entries = {};
    for (const [code, { points, comment }] of Object.entries(controls)) {
      const value = readNumber(points);
      if (value !== undefined) entries[code] = { points: value, comment: comment.value.trim() || null };
    }
    return act("review", { review: entries });
  };
  const reason = h("textarea", { rows: 2, id: "ly-do", maxlength: 2000, "data-field": "reason" });
  const doReturn = () => {
    if (!reason.value.trim()) {
      reason.setAttribute("aria-invalid", "true");
      reason.focus();
      return flash("error", "Hãy ghi lý do trả lại để đơn vị biết cần sửa gì.");
    }
    return act("return", { reason: reason.value.trim() });
  };
  const actions = h("div", { class: "actions" },
    canReview ? button("Lưu điểm chấm", review, { class: "primary", id: "luu-cham" }) : null,
    open && report.status === "REVIEWED" ? button("Chốt kết quả", () => act("finalize", {}), { id: "chot" }) : null);
  form.append(actions);
  if (open && RETURNABLE.includes(report.status)) {
    form.append(h("div", { class: "return" }, field("Lý do trả lại", reason),
      button("Trả lại báo cáo", doReturn, { class: "danger", id: "tra-lai" })));
  }
  clear(place, form);
  form.scrollIntoView({ block: "start" });
}

function contentOf(report) {
  const sections = Object.entries(SECTION_NAMES).filter(([key]) => report.sections[key])
    .map(([key, label]) => h("div", {}, h("h3", {}, label), h("p", { class: "prose" }, report.sections[key])));
  const commendations = report.commendations.map((c) =>
    h("li", {}, `${COMMENDATION_FORMS[c.form][0]} ${LEVEL_NAMES[c.level]} (${COMMENDATION_KINDS[c.kind || (c.collective ? "collective" : "individual")]}) × ${c.count}`,
      c.recipients && c.recipients.length ? `: ${c.recipients.join(", ")}` : "",
      c.decision_no ? `, QĐ ${c.decision_no}` : ""));
  // Without the right to the discipline details, the gateway sends each violation's severity only.
  const violations = report.violations.map((v) => h("li", {}, SEVERITY_NAMES[v.severity] + (v.description ? `: ${v.description}` : "")));
  const evidence = report.evidence.map((e) => h("li", {}, fileLink(`/evidence/${encodeURIComponent(e.file_id)}`, e.name)));
  return h("div", { class: "content" }, sections,
    report.details_withheld ? notice("info", "Chi tiết vi phạm và minh chứng chỉ đơn vị, cụm trưởng, cụm phó, Thường trực thi đua và lãnh đạo được xem.") : null,
    h("h3", {}, "Khen thưởng"), commendations.length ? h("ul", {}, commendations) : h("p", { class: "muted" }, "Không có."),
    h("h3", {}, "Vi phạm"), violations.length ? h("ul", {}, violations) : h("p", { class: "muted" }, "Không có."),
    h("h3", {}, "Minh chứng"), evidence.length ? h("ul", {}, evidence) : h("p", { class: "muted" }, "Không có."));
}
