// The cluster's meeting for a period: the vote count as a record, the proposals for
// commendation (the lead or the chair edits, adds and submits them), the conclusion and the minutes.
import { get, post, put } from "../api.js";
import { context, leads, periodBadge, picker } from "../context.js";
import { button, clear, fileLink, flash, h, notice, num, when } from "../dom.js";
import { markInvalid } from "../criteria.js";
import { CLASS_NAMES } from "../messages.js";
import {
  describeProposal, proposalEditor, recipientOf, rollupOf, rollupRows, rollupTable, stateBadge,
} from "../proposals.js";
import { chairs, conclusionPanel, runPath } from "../run.js";

export const TITLE = "Họp cụm: kiểm phiếu, đề nghị khen thưởng, biên bản";

export async function render(main, me) {
  const ctx = await context(me);
  const { period, cluster, run } = ctx;
  if (!period || !cluster || !run) return clear(main, h("h1", {}, TITLE), notice("info", "Chưa có cụm hoặc kỳ thi đua."));
  const base = runPath(cluster, period);
  const [count, proposals, units, members] = await Promise.all([
    voteCount(base),
    get(`${base}/proposals`),
    get("/units").then((r) => Object.fromEntries(r.items.map((u) => [u.id, u.name]))),
    get(`/clusters/${cluster.id}`).then((c) => c.members.map((m) => m.unit)),
  ]);
  const reload = () => render(main, me);
  const edits = (leads(me) && me.clusters.some((c) => c.id === cluster.id)) || chairs(run, me);
  clear(main,
    h("div", { class: "page-head" }, h("h1", {}, TITLE), picker(ctx)),
    h("p", { class: "muted" }, `${cluster.name} · ${period.label} · `, periodBadge(run),
      run.chair ? ` · Chủ trì: ${run.chair === me.id ? me.name : run.chair}` : ""),
    countSection(count, units),
    proposalsSection(proposals, { base, run, units, members, edits, reload }),
    conclusionPanel(run, me, { onDone: reload }),
    h("section", { class: "card", "aria-labelledby": "bien-ban-h" },
      h("h2", { id: "bien-ban-h" }, "Biên bản họp"),
      run.state === "CONCLUDED" || run.state === "ARCHIVED"
        ? h("p", {}, fileLink(`${base}/minutes.docx`, "Tải biên bản họp (Word)", { class: "download", id: "tai-bien-ban" }))
        : h("p", { class: "muted" }, "Biên bản họp có sau khi chủ trì kết luận, công bố kết quả.")));
}

async function voteCount(base) {
  try {
    return await get(`${base}/vote/count`);
  } catch (error) {
    if (error.code === "VOTING_NOT_OPEN") return null;   // no vote yet, or not closed
    throw error;
  }
}

// Biên bản kiểm phiếu: the figures of the closed vote, never a ballot tied to its unit.
function countSection(count, units) {
  const heading = h("h2", { id: "kiem-phieu-h" }, "Biên bản kiểm phiếu");
  if (!count) {
    return h("section", { class: "card", "aria-labelledby": "kiem-phieu-h", id: "bien-ban-kiem-phieu" }, heading,
      h("p", { class: "muted" }, "Chưa có: biên bản kiểm phiếu lập khi biểu quyết đã đóng."));
  }
  const name = (unit) => units[unit] || unit;
  const figures = [
    ["Số đơn vị có quyền biểu quyết", num(count.eligible)], ["Số phiếu thu về", num(count.cast)],
    ["Số đơn vị không bỏ phiếu", num(count.not_cast)],
    ["Phiếu hợp lệ", num(count.valid)], ["Phiếu không hợp lệ", num(count.invalid)],
    ["Tỷ lệ tham gia tối thiểu", `${share(count.quorum)}${count.quorum_met ? " (đạt)" : " (không đạt)"}`],
    ["Ngưỡng trúng", count.threshold === "1/2" ? "quá 1/2 số phiếu" : `từ ${share(count.threshold)} số phiếu`],
  ];
  const levels = count.levels || [];
  const leading = count.leading_unit;
  let table;
  if (count.withheld) {
    const totals = count.class_totals || {};
    table = [h("p", { class: "muted" }, "Số phiếu ít hơn mức tối thiểu để công bố theo đơn vị: chỉ công bố tổng số theo mức xếp loại."),
      h("table", { class: "tally" }, h("thead", {}, h("tr", {}, levels.map((l) => h("th", { scope: "col" }, CLASS_NAMES[l] || l)))),
        h("tbody", {}, h("tr", {}, levels.map((l) => h("td", { class: "num" }, num(totals[l] || 0))))))];
  } else {
    table = h("div", { class: "scroll" }, h("table", { class: "tally" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Đơn vị"),
        levels.map((l) => h("th", { scope: "col" }, CLASS_NAMES[l] || l)), h("th", { scope: "col" }, "Không chọn"),
        h("th", { scope: "col" }, "Xếp loại theo phiếu"), h("th", { scope: "col" }, "Phiếu đơn vị dẫn đầu"))),
      h("tbody", {}, count.units.map((row) => h("tr", { "data-unit": row.unit }, h("th", { scope: "row" }, row.unit_name || name(row.unit)),
        levels.map((l) => h("td", { class: "num" }, num(row.classes[l] || 0))), h("td", { class: "num" }, num(row.blank)),
        h("td", {}, row.class_by_vote ? CLASS_NAMES[row.class_by_vote] || row.class_by_vote : "—"),
        h("td", { class: "num" }, num(row.leading_votes), row.leading_passes ? " ✓" : ""))))));
  }
  let result;
  if (count.withheld || !count.decides) result = "Biểu quyết không quyết định xếp loại và đơn vị dẫn đầu (không đủ số phiếu tối thiểu).";
  else if (leading && leading.elected) result = `Đơn vị dẫn đầu được bầu: ${name(leading.elected)}.`;
  else if (leading && leading.candidates.length > 1) result = `Nhiều đơn vị cùng đạt ngưỡng (${leading.candidates.map(name).join(", ")}): cần bầu lại.`;
  else result = "Không có đơn vị đạt ngưỡng phiếu dẫn đầu.";
  return h("section", { class: "card", "aria-labelledby": "kiem-phieu-h", id: "bien-ban-kiem-phieu" }, heading,
    h("dl", { class: "figures" }, figures.map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)])),
    table,
    h("p", { id: "ket-qua-kiem-phieu" }, h("strong", {}, "Kết quả: "), result,
      count.closed_at ? h("span", { class: "muted" }, ` Đóng biểu quyết lúc ${when(count.closed_at)}.`) : null));
}

// A share as the API writes it ("2/3", "6667/10000"): a small fraction as it is, else in per cent.
function share(fraction) {
  const [top, bottom] = String(fraction || "").split("/").map(Number);
  if (!bottom) return fraction ? String(fraction) : "—";
  return bottom <= 10 ? `${top}/${bottom}` : `${num((100 * top) / bottom)}%`;
}

function proposalsSection(listed, { base, run, units, members, edits, reload }) {
  const proposals = listed.items;
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
      const editor = proposalEditor(p, members, units, `p${i}`);
      line.append(h("details", {}, h("summary", {}, `Sửa đề nghị: ${recipientOf(p, units)}`), editor.el,
        h("div", { class: "actions" },
          button("Lưu đề nghị", () => act(() => put(`/proposals/${p.id}`, { ...editor.read(), version: p.version })
            .catch((error) => { markInvalid(editor.el, error); throw error; }), "Đã lưu đề nghị."), { class: "secondary", "data-save": p.id }))));
    }
    return line;
  });
  let adding = null;
  if (editable) {
    const editor = proposalEditor(null, members, units, "moi");
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
        && act(() => post(`${base}/proposals/submit`), "Đã trình đề nghị lên Thường trực thi đua."),
      { class: "primary", id: "trinh-de-nghi" })) : null,
    rollupTable(listed.rollup ? rollupRows(listed.rollup) : rollupOf(proposals.filter((p) => p.state !== "REJECTED"))));
}
