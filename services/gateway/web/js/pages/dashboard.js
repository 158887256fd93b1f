// The leaders' dashboard: the ranking as it stands, what just changed, the trend, the inbox, live.
import { get, post } from "../api.js";
import { context, periodBadge, picker } from "../context.js";
import { button, clear, fileLink, flash, h, notice, num, when } from "../dom.js";
import { LEADER_STATUS, PERIOD_ACTIONS } from "../messages.js";
import { barChart, className, rankingTable, trendChart } from "../ranking.js";
import { lastInbox, pageFor, POLL_MS } from "../inbox.js";

export const TITLE = "Bảng xếp hạng, điều hành";
const MANAGERS = ["administrator", "standing_office"];
const EVENTS = {
  "report.submitted.v1": "một đơn vị nộp báo cáo", "report.resubmitted.v1": "một đơn vị nộp lại báo cáo",
  "report.reviewed.v1": "cụm chấm điểm một báo cáo", "report.finalized.v1": "cụm chốt kết quả một báo cáo",
  "report.returned.v1": "cụm trả lại một báo cáo", "vote.closed.v1": "đóng biểu quyết",
  "template.published.v1": "ban hành bộ tiêu chí",
};

export async function render(main, me) {
  const ctx = await context(me);
  const { period, cluster } = ctx;
  if (!period || !cluster) return clear(main, h("h1", {}, TITLE), notice("info", "Chưa có cụm hoặc kỳ thi đua."));
  const template = await get(`/templates/${encodeURIComponent(period.template.id)}?version=${period.template.version}`);
  const base = `/clusters/${cluster.id}/periods/${period.id}`;
  const live = h("p", { class: "muted", id: "cap-nhat", "aria-live": "polite" });
  const board = h("div", { id: "bang" });
  const inbox = h("section", { class: "card", id: "thong-bao", "aria-labelledby": "thong-bao-h" });

  clear(main,
    h("div", { class: "page-head" }, h("h1", {}, TITLE), picker(ctx)),
    h("p", { class: "muted" }, `${cluster.name} · ${period.label} · `, periodBadge(period), " ",
      fileLink(`${base}/ranking.xlsx`, "Tải bảng xếp hạng (Excel)", { class: "download", id: "tai-excel" })),
    MANAGERS.includes(me.role) || (period.chair && period.chair === me.id)
      ? periodControls(period, cluster, me, () => render(main, me)) : null,
    live,
    h("div", { class: "columns" }, board, inbox));

  let shown = null;
  const refresh = async () => {
    if (!main.contains(board)) return;   // the page was redrawn: this loop ends
    try {
      const ranking = await get(`${base}/ranking`);
      if (!shown || ranking.version !== shown) {
        shown = ranking.version;
        await drawBoard(board, ranking, template, period, base);
        live.textContent = `Bảng xếp hạng phiên bản ${ranking.version}, tính lúc ${when(ranking.computed_at)}; tự cập nhật.`;
      }
    } catch (error) {
      if (error.code === "RANKING_NOT_FOUND" && shown === null) {
        clear(board, notice("info", "Chưa có bảng xếp hạng: chưa đơn vị nào nộp báo cáo kỳ này. Trang tự cập nhật khi có."));
        shown = 0;
      }
    }
    setTimeout(refresh, POLL_MS);
  };
  refresh();

  const drawInbox = (data) => clear(inbox, h("h2", { id: "thong-bao-h" }, "Thông báo ",
    h("span", { class: "badge", id: "chua-doc" }, String(data ? data.unread : 0)), h("span", { class: "sr-only" }, " chưa đọc")),
  data && data.items.length ? h("ul", { class: "inbox" }, data.items.map((item) => h("li", { class: item.read_at ? "read" : "unread" },
    h("a", { href: pageFor(item, me), class: "title" }, item.title), h("p", {}, item.body),
    h("small", { class: "muted" }, when(item.created_at)),
    item.read_at ? null : button("Đã đọc", async () => {
      try { await post(`/people/${encodeURIComponent(me.id)}/inbox/${item.id}/read`); item.read_at = "now"; data.unread -= 1; drawInbox(data); }
      catch (error) { flash("error", error.text); }
    }, { class: "link", "aria-label": `Đánh dấu đã đọc: ${item.title}` })))) : h("p", { class: "muted" }, "Chưa có thông báo."));
  drawInbox(lastInbox());
  document.addEventListener("inbox", (event) => { if (main.contains(inbox)) drawInbox(event.detail); });
}

async function drawBoard(board, ranking, template, period, base) {
  const previous = ranking.version > 1 ? await get(`${base}/ranking?version=${ranking.version - 1}`).catch(() => null) : null;
  const changes = changesSince(previous, ranking, template);
  const leader = ranking.table.find((row) => row.unit === ranking.leader);
  const trend = await trendOf(ranking, period);
  clear(board,
    h("section", { class: "card leader-card", "aria-labelledby": "dan-dau-h" },
      h("h2", { id: "dan-dau-h" }, "Đơn vị dẫn đầu"),
      h("p", { class: "big", id: "don-vi-dan-dau" }, leader ? leader.unit_name : "Chưa xác định"),
      h("p", { class: "muted" }, LEADER_STATUS[ranking.leader_status] || ranking.leader_status,
        leader ? ` · ${num(leader.total)} điểm · ${className(leader.class, template)}` : "")),
    h("section", { class: "card", "aria-labelledby": "thay-doi-h" },
      h("h2", { id: "thay-doi-h" }, "Thay đổi so với phiên bản trước"),
      h("p", { class: "muted" }, `Phiên bản ${ranking.version}: ${EVENTS[ranking.trigger_event_type] || ranking.trigger_event_type}, lúc ${when(ranking.computed_at)}.`),
      changes.lines.length ? h("ul", { id: "thay-doi" }, changes.lines.map((line) => h("li", {}, line)))
        : h("p", { id: "thay-doi" }, "Không có thay đổi về điểm, hạng hay xếp loại.")),
    h("section", { class: "card wide", "aria-labelledby": "xep-hang-h" },
      h("h2", { id: "xep-hang-h" }, "Bảng xếp hạng"), h("div", { class: "scroll" }, rankingTable(ranking, template, changes.byUnit))),
    h("section", { class: "card wide", "aria-labelledby": "tong-diem-h" },
      h("h2", { id: "tong-diem-h" }, "Tổng điểm các đơn vị"), barChart(ranking, template)),
    h("section", { class: "card wide", "aria-labelledby": "dien-bien-h" },
      h("h2", { id: "dien-bien-h" }, `Diễn biến qua các kỳ năm ${period.year}`), trend));
}

function changesSince(previous, ranking, template) {
  const lines = [], byUnit = {};
  const before = Object.fromEntries(((previous && previous.table) || []).map((row) => [row.unit, row]));
  for (const row of ranking.table) {
    const old = before[row.unit];
    const parts = [];
    if (!old) parts.push("mới vào bảng");
    else {
      if (old.total !== row.total) parts.push(`${row.total > old.total ? "+" : "−"}${num(Math.abs(row.total - old.total))} điểm`);
      if (old.rank !== row.rank) parts.push(`hạng ${old.rank} → ${row.rank}`);
      if (old.class !== row.class) parts.push(`${className(old.class, template)} → ${className(row.class, template)}`);
    }
    if (parts.length) {
      byUnit[row.unit] = parts.join(", ");
      lines.push(`${row.unit_name}: ${byUnit[row.unit]}`);
    }
  }
  if (previous && previous.leader !== ranking.leader) {
    const name = (unit) => (ranking.table.find((r) => r.unit === unit) || { unit_name: unit || "chưa xác định" }).unit_name;
    lines.unshift(`Đơn vị dẫn đầu: ${name(previous.leader)} → ${name(ranking.leader)}`);
  }
  return { lines, byUnit };
}

async function trendOf(ranking, period) {
  const periods = (await get("/periods")).items.filter((p) => p.year === period.year && p.kind === period.kind)
    .sort((a, b) => a.starts_on.localeCompare(b.starts_on));
  const series = await Promise.all(ranking.table.map(async (row) => ({
    name: row.unit_name,
    points: (await get(`/units/${encodeURIComponent(row.unit)}/trend?year=${period.year}`)).periods
      .filter((pt) => pt.cluster === ranking.cluster),
  })));
  return trendChart(series, periods);
}

// The chair and the standing office conclude and reopen (with a reason); the other moves are the
// standing office's and the administrator's. Concluding needs the conclusion text, written on the
// review page.
const CHAIR_ACTIONS = { conclude: ["conclusion"], reopen: ["reason", "Lý do mở lại kỳ thi đua:"] };

function periodControls(period, cluster, me, reload) {
  const mayMove = (action) => (CHAIR_ACTIONS[action] ? me.role === "standing_office" || period.chair === me.id
    : MANAGERS.includes(me.role));
  const next = Object.entries(PERIOD_ACTIONS).filter(([action, [from]]) => from === period.state && mayMove(action));
  if (!next.length) return null;
  const move = (action, label) => async () => {
    const [field, question] = CHAIR_ACTIONS[action] || [];
    const text = field ? prompt(question) : null;
    if (field ? !text : !confirm(`${label}: ${cluster.name}, ${period.label}?`)) return;
    try {
      await post(`/clusters/${cluster.id}/periods/${period.id}/transitions`,
        { action, version: period.version, ...(field ? { [field]: text } : {}) });
      await reload();
      flash("success", `Đã thực hiện: ${label}.`);
    } catch (error) {
      flash("error", error.text);
    }
  };
  return h("div", { class: "card actions period-actions" }, h("span", {}, `Điều hành kỳ thi đua của ${cluster.name}: `),
    next.map(([action, [, label]]) => (action === "conclude"
      ? h("a", { href: `/xet-duyet?cum=${cluster.id}&ky=${period.id}#ket-luan`, "data-action": action }, `${label} (ghi kết luận)`)
      : button(label, move(action, label), { class: "secondary", "data-action": action }))));
}
