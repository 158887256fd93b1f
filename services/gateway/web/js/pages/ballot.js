// The ballot of a member unit: a class for each unit of the cluster and the leading unit.
import { api, get, post } from "../api.js";
import { context, periodBadge, picker } from "../context.js";
import { button, clear, field, flash, h, notice } from "../dom.js";
import { className } from "../ranking.js";
import { noticeOfVote, votePanel, voteStatus } from "../vote.js";

export const TITLE = "Biểu quyết thi đua";

export async function render(main, me) {
  const ctx = await context(me);
  const { period, cluster } = ctx;
  if (!period || !cluster) return clear(main, h("h1", {}, TITLE), notice("info", "Chưa có cụm hoặc kỳ thi đua."));
  const [vote, template, units] = await Promise.all([
    voteStatus(cluster, period),
    get(`/templates/${encodeURIComponent(period.template.id)}?version=${period.template.version}`),
    get("/units").then((r) => Object.fromEntries(r.items.map((u) => [u.id, u.name]))),
  ]);
  const head = [h("div", { class: "page-head" }, h("h1", {}, TITLE), picker(ctx)),
    h("p", { class: "muted" }, `${cluster.name} · ${period.label} · `, periodBadge(period))];
  const status = noticeOfVote(vote, me);
  const panel = await votePanel(cluster, period, me, { units });
  if (status) return clear(main, head, status, panel);

  const choices = {};
  const rows = vote.members.map((unit) => {
    choices[unit] = h("select", { id: `xep-loai-${unit}`, "data-field": `classes.${unit}` },
      h("option", { value: "" }, "— không chọn —"),
      vote.levels.map((level) => h("option", { value: level }, className(level, template))));
    return field(`Xếp loại ${units[unit] || unit}`, choices[unit]);
  });
  const leading = h("fieldset", { class: "radios" }, h("legend", {}, "Đơn vị dẫn đầu cụm"),
    vote.members.map((unit) => h("label", {}, h("input", { type: "radio", name: "dan-dau", value: unit }), " ", units[unit] || unit)));
  const cast = async () => {
    const classes = Object.fromEntries(Object.entries(choices).filter(([, s]) => s.value).map(([u, s]) => [u, s.value]));
    const picked = leading.querySelector("input:checked");
    if (!Object.keys(classes).length && !picked) return flash("error", "Phiếu trống: hãy chọn xếp loại hoặc đơn vị dẫn đầu.");
    const base = `/clusters/${cluster.id}/periods/${period.id}/vote`;
    try {
      // First as the person: the unit's one-time token (the unit now counts as voted). Then the
      // ballot with that token alone, without the person's credential: nothing ties the two.
      // A refused ballot leaves the token unused; asking again gives the same token.
      const { token } = await post(`${base}/token`);
      await api("POST", `${base}/ballots`, { token, classes, ...(picked ? { leading_unit: picked.value } : {}) },
        { anonymous: true });
      await render(main, me);
      flash("success", "Đã bỏ phiếu. Cảm ơn đồng chí.");
    } catch (error) {
      flash("error", error.text);
    }
  };
  clear(main, head,
    h("form", { class: "card", id: "phieu-bau", onsubmit: (e) => e.preventDefault() },
      h("h2", {}, "Phiếu biểu quyết (phiếu kín)"),
      h("p", { class: "muted" }, "Mỗi đơn vị bỏ một phiếu. Hệ thống ghi nhận đơn vị đã bỏ phiếu; phiếu được gửi riêng, niêm phong, không kèm tên đơn vị."),
      h("div", { class: "grid" }, rows), leading,
      h("div", { class: "actions" }, button("Bỏ phiếu", cast, { class: "primary", id: "bo-phieu" }))),
    panel);
}
