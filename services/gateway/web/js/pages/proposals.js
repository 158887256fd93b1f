// The standing office's page: the proposals for commendation the clusters submitted,
// approved or rejected one by one with a reason, and the roll-up per form and level.
import { get, post } from "../api.js";
import { button, clear, field, flash, h, notice, when } from "../dom.js";
import { PROPOSAL_STATE } from "../messages.js";
import { describeProposal, rollupOf, rollupTable, stateBadge } from "../proposals.js";

export const TITLE = "Đề nghị khen thưởng của các cụm";
const DECIDES = ["standing_office"];
const STATES = ["SUBMITTED", "APPROVED", "REJECTED"];

export async function render(main, me) {
  const params = new URLSearchParams(location.search);
  const state = STATES.includes(params.get("trang-thai")) ? params.get("trang-thai") : "SUBMITTED";
  const [proposals, units, clusters, periods] = await Promise.all([
    get(`/proposals?state=${state}`).then((r) => r.items),
    get("/units").then((r) => Object.fromEntries(r.items.map((u) => [u.id, u.name]))),
    get("/clusters").then((r) => Object.fromEntries(r.items.map((c) => [c.id, c.name]))),
    get("/periods").then((r) => Object.fromEntries(r.items.map((p) => [p.id, p.label]))),
  ]);
  const named = { units, clusters, periods };
  const reload = () => render(main, me);
  const filter = h("div", { class: "picker" }, h("label", { for: "chon-trang-thai" }, "Trạng thái"),
    h("select", { id: "chon-trang-thai", onchange: (e) => { params.set("trang-thai", e.target.value); location.search = params.toString(); } },
      STATES.map((s) => h("option", { value: s, selected: s === state }, PROPOSAL_STATE[s]))));
  const decides = DECIDES.includes(me.role) && state === "SUBMITTED";
  clear(main,
    h("div", { class: "page-head" }, h("h1", {}, TITLE), filter),
    decides ? h("p", { class: "muted" }, "Duyệt hoặc không duyệt từng đề nghị; không duyệt thì ghi lý do để cụm biết.") : null,
    h("section", { class: "card", "aria-labelledby": "ds-de-nghi-h" },
      h("h2", { id: "ds-de-nghi-h" }, `${PROPOSAL_STATE[state]}: ${proposals.length} đề nghị`),
      proposals.length ? h("div", { class: "scroll" }, table(proposals, named, decides, reload))
        : notice("info", "Không có đề nghị nào ở trạng thái này.")),
    h("section", { class: "card", "aria-labelledby": "tong-hop-h" },
      h("h2", { id: "tong-hop-h" }, "Tổng hợp"), rollupTable(rollupOf(proposals))));
}

function table(proposals, { units, clusters, periods }, decides, reload) {
  return h("table", { class: "proposals", id: "bang-de-nghi" },
    h("thead", {}, h("tr", {}, ["Cụm, kỳ", "Đề nghị", "Thành tích, lý do", "Trình lúc", decides ? "Quyết định" : "Trạng thái"]
      .map((label) => h("th", { scope: "col" }, label)))),
    h("tbody", {}, proposals.map((p) => h("tr", { "data-proposal": p.id },
      h("td", {}, h("a", { href: `/hop-cum?cum=${p.cluster}&ky=${p.period}` }, `${clusters[p.cluster] || p.cluster} · ${periods[p.period] || p.period}`)),
      h("th", { scope: "row" }, describeProposal(p, units), p.source ? h("small", { class: "hint" }, `Căn cứ: ${p.source}`) : null),
      h("td", { class: "prose" }, p.reason || "—"),
      h("td", {}, when(p.submitted_at)),
      h("td", {}, decides ? decision(p, reload) : [stateBadge(p), p.decision && p.decision.reason ? h("small", { class: "hint" }, p.decision.reason) : null])))));
}

function decision(proposal, reload) {
  const reason = h("textarea", { rows: 2, maxlength: 2000, "data-field": "reason", id: `ly-do-${proposal.id}` });
  const decide = async (action) => {
    const text = reason.value.trim();
    if (action === "reject" && !text) {
      reason.setAttribute("aria-invalid", "true");
      reason.focus();
      return flash("error", "Hãy ghi lý do không duyệt để cụm biết.");
    }
    try {
      await post(`/proposals/${proposal.id}/${action}`,
        { version: proposal.version, ...(text ? { reason: text } : {}) });
      await reload();
      return flash("success", action === "approve" ? "Đã duyệt đề nghị." : "Đã ghi không duyệt đề nghị.");
    } catch (error) {
      return flash("error", error.text);
    }
  };
  return h("div", { class: "decision" }, field("Ý kiến, lý do", reason),
    h("div", { class: "actions" },
      button("Duyệt", () => decide("approve"), { class: "primary", "data-action": "approve" }),
      button("Không duyệt", () => decide("reject"), { class: "danger", "data-action": "reject" })));
}
