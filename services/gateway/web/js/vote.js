// The state of a cluster's vote for a period; the cluster lead opens and closes it here.
import { get, post } from "./api.js";
import { button, flash, h, notice, when } from "./dom.js";
import { CLASS_NAMES } from "./messages.js";

export async function voteStatus(cluster, period) {
  try {
    return await get(`/clusters/${cluster.id}/periods/${period.id}/vote`);
  } catch (error) {
    if (error.code === "VOTING_NOT_OPEN") return null;
    throw error;
  }
}

export async function votePanel(cluster, period, me, { manage = false, units = {}, onChange } = {}) {
  const vote = await voteStatus(cluster, period);
  const base = `/clusters/${cluster.id}/periods/${period.id}/vote`;
  const act = async (action, done) => {
    try {
      await post(`${base}/${action}`);
      if (onChange) await onChange();
      flash("success", done);
    } catch (error) {
      flash("error", error.text);
    }
  };
  const name = (unit) => units[unit] || unit;
  let body;
  if (!vote) {
    body = [h("p", { id: "trang-thai-bieu-quyet" }, "Chưa mở biểu quyết."),
      period.state !== "VOTING" ? h("p", { class: "muted" }, "Biểu quyết mở khi kỳ thi đua chuyển sang giai đoạn biểu quyết.") : null,
      manage && period.state === "VOTING"
        ? button("Mở biểu quyết", () => act("open", "Đã mở biểu quyết."), { class: "primary", id: "mo-bieu-quyet" }) : null];
  } else {
    const open = vote.state === "OPEN";
    body = [
      h("p", { id: "trang-thai-bieu-quyet" }, open ? "Đang biểu quyết" : "Đã đóng biểu quyết",
        `: ${vote.voted.length}/${vote.members.length} đơn vị đã bỏ phiếu (mở lúc ${when(vote.opened_at)}`,
        vote.closed_at ? `, đóng lúc ${when(vote.closed_at)})` : ")"),
      h("p", { class: "muted" }, `Đơn vị đã bỏ phiếu: ${vote.voted.map(name).join(", ") || "chưa có"}.`),
      manage && open ? button("Đóng biểu quyết", () => act("close", "Đã đóng biểu quyết và kiểm phiếu."),
        { class: "primary", id: "dong-bieu-quyet" }) : null,
      !open && vote.tally ? tallyTable(vote, name) : null,
    ];
  }
  return h("section", { class: "card", "aria-labelledby": "bieu-quyet-h" }, h("h2", { id: "bieu-quyet-h" }, "Biểu quyết"), body);
}

function tallyTable(vote, name) {
  if (vote.tally.withheld) return totalsTable(vote);
  const { classes, leading_unit: leading } = vote.tally;
  return h("table", { class: "tally", id: "kiem-phieu" },
    h("caption", {}, `Kết quả kiểm phiếu (${vote.tally.ballots_cast}/${vote.tally.eligible} phiếu)`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Đơn vị"),
      vote.levels.map((level) => h("th", { scope: "col" }, CLASS_NAMES[level] || level)),
      h("th", { scope: "col" }, "Phiếu đơn vị dẫn đầu"))),
    h("tbody", {}, vote.members.map((unit) => h("tr", {}, h("th", { scope: "row" }, name(unit)),
      vote.levels.map((level) => h("td", { class: "num" }, String((classes[unit] || {})[level] || 0))),
      h("td", { class: "num" }, String(leading[unit] || 0))))));
}

// Fewer ballots than the minimum: only how many times each class was given, never per unit.
function totalsTable(vote) {
  const totals = vote.tally.class_totals || {};
  return h("div", { id: "kiem-phieu" },
    h("p", { class: "muted" }, `Kết quả kiểm phiếu (${vote.tally.ballots_cast}/${vote.tally.eligible} phiếu): ít hơn `
      + `${vote.tally.minimum} phiếu nên chỉ công bố tổng số theo mức xếp loại, không công bố theo đơn vị; `
      + "biểu quyết không quyết định xếp loại."),
    h("table", { class: "tally" },
      h("thead", {}, h("tr", {}, vote.levels.map((level) => h("th", { scope: "col" }, CLASS_NAMES[level] || level)))),
      h("tbody", {}, h("tr", {}, vote.levels.map((level) => h("td", { class: "num" }, String(totals[level] || 0)))))));
}

export function noticeOfVote(vote, me) {
  if (!vote) return notice("info", "Cụm chưa mở biểu quyết cho kỳ này.");
  if (vote.state !== "OPEN") return notice("info", "Biểu quyết đã đóng.");
  if (vote.voted.includes(me.unit)) return notice("success", "Đơn vị của đồng chí đã bỏ phiếu. Phiếu kín: không ai biết đơn vị đã chọn gì.");
  return null;
}
