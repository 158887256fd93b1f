// The cluster's meeting for a period: the vote count as a record, the proposals for
// commendation (the lead or the chair edits, adds and submits them), the conclusion and the minutes.
import { get, post, put } from "../api.js";
import { context, periodBadge, picker } from "../context.js";
import { button, clear, fileLink, flash, h, notice, num, when } from "../dom.js";
import { markInvalid } from "../criteria.js";
import { CLASS_NAMES } from "../messages.js";
import {
  describeProposal, proposalEditor, recipientOf, rollupOf, rollupTable, stateBadge,
} from "../proposals.js";
import { chairs, conclusionPanel, loadRun, runPath } from "../run.js";
import { leads } from "../main.js";

export const TITLE = "Họp cụm: kiểm phiếu, đề nghị khen thưởng, biên bản";

export async function render(main, me) {
  const ctx = await context(me);
  const { period, cluster } = ctx;
  if (!period || !cluster) return clear(main, h("h1", {}, TITLE), notice("info", "Chưa có cụm hoặc kỳ thi đua."));
  const base = runPath(cluster, period);
  const [run, count, proposals, units] = await Promise.all([
    loadRun(cluster, period),
    voteCount(base),
    get(`${base}/proposals`).then((r) => r.items).catch(() => []),
    get("/units").then((r) => Object.fromEntries(r.items.map((u) => [u.id, u.name]))),
  ]);
  const reload = () => render(main, me);
  const edits = (leads(me) && me.clusters.some((c) => c.id === cluster.id)) || chairs(run, me);
  clear(main,
    h("div", { class: "page-head" }, h("h1", {}, TITLE), picker(ctx)),
    h("p", { class: "muted" }, `${cluster.name} · ${period.label} · `, periodBadge(run),
      run.chair ? ` · Chủ trì: ${run.chair_name || run.chair}` : ""),
    countSection(count, units),
    proposalsSection(proposals, { base, run, units, edits, reload }),
    conclusionPanel(run, me, { onDone: reload }),
    h("section", { class: "card", "aria-labelledby": "bien-ban-h" },
      h("h2", { id: "bien-ban-h" }, "Biên bản họp"),
      run.state === "CONCLUDED" || run.state === "ARCHIVED"
        ? h("p", {}, fileLink(`${base}/minutes.docx`, "Tải biên bản họp (Word)", { class: "download", id: "tai-bien-ban" }))
        : h("p", { class: "muted" }, "Biên bản họp có sau khi chủ trì kết luận, công bố kết quả.")));
}

async function voteCount(base) {
  try {
    const vote = await get(`${base}/vote`);
    return vote.count || null;
  } catch (error) {
    if (error.code === "VOTING_NOT_OPEN") return null;
    throw error;
  }
}

// Biên bản kiểm phiếu: the figures of the closed vote, never a ballot tied to its unit.
function countSection(count, units) {
  const heading = h("h2", { id: "kiem-phieu-h" }, "Biên bản kiểm phiếu");
  if (!count) {
    return h("section", { class: "card", "aria-labelledby": "kiem-phieu-h" }, heading,
      h("p", { class: "muted", id: "bien-ban-kiem-phieu" }, "Chưa có: biểu quyết chưa đóng."));
  }
  const name = (unit) => units[unit] || unit;
  const figures = [
    ["Số đơn vị có quyền biểu quyết", count.eligible], ["Số phiếu phát ra, thu về", count.cast],
    ["Phiếu hợp lệ", count.valid], ["Phiếu không hợp lệ (phiếu trắng)", count.invalid],
    ["Tỷ lệ tối thiểu (quorum)", count.quorum_text || count.quorum], ["Ngưỡng trúng", count.threshold_text || count.threshold],
  ];
  const classes = count.levels || Object.keys(CLASS_NAMES);
  return h("section", { class: "card", "aria-labelledby": "kiem-phieu-h", id: "bien-ban-kiem-phieu" }, heading,
    h("dl", { class: "figures" }, figures.map(([label, value]) => [h("dt", {}, label), h("dd", {}, typeof value === "number" ? num(value) : value ?? "—")])),
    h("div", { class: "scroll" }, h("table", { class: "tally" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Đơn vị"),
        classes.map((c) => h("th", { scope: "col" }, CLASS_NAMES[c] || c)), h("th", { scope: "col" }, "Phiếu đơn vị dẫn đầu"))),
      h("tbody", {}, (count.units || []).map((row) => h("tr", { "data-unit": row.unit }, h("th", { scope: "row" }, name(row.unit)),
        classes.map((c) => h("td", { class: "num" }, num((row.classes || {})[c] || 0))),
        h("td", { class: "num" }, num(row.leading || 0))))))),
    h("p", { id: "ket-qua-kiem-phieu" }, h("strong", {}, "Kết quả: "), count.result_text
      || (count.leading_unit ? `Đơn vị dẫn đầu: ${name(count.leading_unit)}.` : "Không có đơn vị đủ phiếu dẫn đầu."),
    count.closed_at ? h("span", { class: "muted" }, ` Đóng biểu quyết lúc ${when(count.closed_at)}.`) : null));
}

function proposalsSection(proposals, { base, run, units, edits, reload }) {
  const drafts = proposals.filter((p) => p.state === "DRAFT");
  const editable = edits && run.state === "CONCLUDED";
  const act = async (doing, done) => {
    try {
      await doing();
      await reload();
      flash("success", done);
    } catch (error) {
      flash("error", error.text);
    }
  };
  const rows = proposals.map((p, i) => {
    const line = h("li", { class: "proposal", "data-proposal": p.id },
      h("p", {}, stateBadge(p), " ", h("strong", {}, describeProposal(p, units))),
      p.reason ? h("p", { class: "prose" }, p.reason) : null,
      p.source ? h("small", { class: "muted" }, `Căn cứ: ${p.source}`) : null,
      p.decision && p.decision.reason ? h("p", { class: "muted" }, `Thường trực: ${p.decision.reason}`) : null);
    if (editable && p.state === "DRAFT") {
      const editor = proposalEditor(p, run.members || Object.keys(units), units, `p${i}`);
      line.append(h("details", {}, h("summary", {}, `Sửa đề nghị: ${recipientOf(p, units)}`), editor.el,
        h("div", { class: "actions" },
          button("Lưu đề nghị", () => act(() => put(`${base}/proposals/${p.id}`, { ...editor.read(), version: p.version })
            .catch((error) => { markInvalid(editor.el, error); throw error; }), "Đã lưu đề nghị."), { class: "secondary", "data-save": p.id }),
          button("Bỏ đề nghị", () => act(() => post(`${base}/proposals/${p.id}/withdraw`, { version: p.version }), "Đã bỏ đề nghị."),
            { class: "link danger" }))));
    }
    return line;
  });
  let adding = null;
  if (editable) {
    const editor = proposalEditor(null, run.members || Object.keys(units), units, "moi");
    adding = h("details", { class: "add-proposal" }, h("summary", {}, "Thêm đề nghị"), editor.el,
      h("div", { class: "actions" }, button("Thêm đề nghị", () => act(
        () => post(`${base}/proposals`, editor.read()).catch((error) => { markInvalid(editor.el, error); throw error; }),
        "Đã thêm đề nghị."), { class: "secondary", id: "them-de-nghi" })));
  }
  return h("section", { class: "card", "aria-labelledby": "de-nghi-h", id: "de-nghi" },
    h("h2", { id: "de-nghi-h" }, "Đề nghị khen thưởng"),
    proposals.length ? h("ul", { class: "proposals" }, rows)
      : h("p", { class: "muted" }, run.state === "CONCLUDED" ? "Chưa có đề nghị." : "Đề nghị được lập khi chủ trì kết luận kỳ thi đua."),
    adding,
    editable && drafts.length ? h("div", { class: "actions" }, button(`Trình ${drafts.length} đề nghị lên Thường trực thi đua`,
      () => confirm("Trình các đề nghị lên Thường trực thi đua? Sau khi trình không sửa được nữa.")
        && act(() => post(`${base}/proposals/submit`, { ids: drafts.map((p) => p.id) }), "Đã trình đề nghị lên Thường trực thi đua."),
      { class: "primary", id: "trinh-de-nghi" })) : null,
    rollupTable(rollupOf(proposals.filter((p) => p.state !== "REJECTED"))));
}
