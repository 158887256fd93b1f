// A cluster's run of a period (its own state, chair and conclusion), and the conclusion
// of the meeting: the chair or the standing office writes it and publishes the results.
import { post } from "./api.js";
import { button, field, flash, h, notice, when } from "./dom.js";

export const runPath = (cluster, period) => `/clusters/${cluster.id}/periods/${period.id}`;

export function chairs(run, me) {
  return Boolean(run && run.chair && run.chair === me.id);
}

// Who may conclude: the run's chair (a provincial leader) or the standing office.
export function mayConclude(run, me) {
  return me.role === "standing_office" || chairs(run, me);
}

export function conclusionText(run) {
  return run && run.conclusion ? run.conclusion : null;
}

// The conclusion once written; before that, for the chair and the standing office, the form.
export function conclusionPanel(run, me, { onDone } = {}) {
  if (!run) return null;
  const heading = h("h2", { id: "ket-luan-h" }, "Kết luận, chỉ đạo");
  const done = conclusionText(run);
  if (done) {
    return h("section", { class: "card", id: "ket-luan", "aria-labelledby": "ket-luan-h" }, heading,
      h("p", { class: "prose", id: "ket-luan-noi-dung" }, done.text),
      h("p", { class: "muted" }, `Kết luận lúc ${when(done.at)}${done.by ? ` · ${done.by_name || done.by}` : ""}`));
  }
  if (!mayConclude(run, me)) return null;
  const ready = run.state === "VOTING" || run.state === "SCORING";
  const text = h("textarea", { rows: 6, id: "noi-dung-ket-luan", maxlength: 10000, required: true, "data-field": "conclusion",
    disabled: !ready });
  const conclude = async () => {
    const written = text.value.trim();
    if (!written) {
      text.setAttribute("aria-invalid", "true");
      text.focus();
      return flash("error", "Hãy ghi nội dung kết luận, chỉ đạo trước khi công bố kết quả.");
    }
    if (!confirm(`Công bố kết quả ${run.label || ""} với kết luận này?`)) return null;
    try {
      await post(`/clusters/${run.cluster}/periods/${run.period}/transitions`,
        { action: "conclude", version: run.version, conclusion: written });
      if (onDone) await onDone();
      return flash("success", "Đã kết luận và công bố kết quả.");
    } catch (error) {
      return flash("error", error.text);
    }
  };
  return h("section", { class: "card", id: "ket-luan", "aria-labelledby": "ket-luan-h" }, heading,
    ready ? null : notice("info", "Kết luận được khi cụm đã chấm điểm và đã đóng biểu quyết."),
    field("Nội dung kết luận, chỉ đạo của chủ trì", text,
      "Bắt buộc. Ghi kết quả, đơn vị dẫn đầu và chỉ đạo cho kỳ sau; nội dung được lưu, gửi kèm thông báo kết quả và in trong biên bản."),
    h("div", { class: "actions" }, button("Kết luận, công bố kết quả", conclude,
      { class: "primary", id: "ket-luan-cong-bo", disabled: !ready })));
}
