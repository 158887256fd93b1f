// Proposals for commendation (đề nghị khen thưởng): how one reads, the editor of a draft,
// and the roll-up per form and level.
import { field, h, num } from "./dom.js";
import { COMMENDATION_FORMS, COMMENDATION_KINDS, LEVEL_NAMES, PROPOSAL_STATE, TITLE_KINDS } from "./messages.js";

export function formName(code) {
  return (COMMENDATION_FORMS[code] && COMMENDATION_FORMS[code][0]) || code || "—";
}

export const levelName = (code) => LEVEL_NAMES[code] || code || "";

export function kindName(kind) {
  const name = COMMENDATION_KINDS[kind] || kind || "";
  return name.charAt(0).toUpperCase() + name.slice(1);
}

export function recipientOf(proposal, units) {
  const unit = units[proposal.unit] || proposal.unit;
  if (proposal.kind === "individual") return `${proposal.recipient}${unit ? ` (${unit})` : ""}`;
  return proposal.recipient || unit || "—";
}

export function stateBadge(proposal) {
  return h("span", { class: `status proposal-${proposal.state.toLowerCase()}` }, PROPOSAL_STATE[proposal.state] || proposal.state);
}

// One proposal as a line of text: "Cờ thi đua (Bộ Công an) · Tập thể · Phòng Tham mưu".
export function describeProposal(proposal, units) {
  const level = levelName(proposal.level);
  return `${formName(proposal.form)}${level ? ` (${level})` : ""} · ${kindName(proposal.kind)} · ${recipientOf(proposal, units)}`;
}

// The editor of one proposal (a draft, or a new one): its controls and what they read.
export function proposalEditor(proposal, members, units, key) {
  const item = proposal || { kind: "collective", form: "BANG_KHEN", level: "PROVINCE" };
  const kind = h("select", { "data-field": "kind", id: `kieu-${key}` },
    ["collective", "individual"].map((k) => h("option", { value: k, selected: item.kind === k }, kindName(k))));
  const unit = h("select", { "data-field": "unit", id: `don-vi-${key}` },
    members.map((u) => h("option", { value: u, selected: item.unit === u }, units[u] || u)));
  const person = h("input", { value: item.kind === "individual" ? item.recipient || "" : "", maxlength: 300,
    "data-field": "recipient", id: `ca-nhan-${key}` });
  const form = h("select", { "data-field": "form", id: `hinh-thuc-${key}` },
    Object.entries(formChoices()).map(([code, label]) =>
      h("option", { value: code, selected: item.form === code }, label)));
  const level = h("select", { "data-field": "level", id: `cap-${key}` });
  const reason = h("textarea", { rows: 2, maxlength: 2000, "data-field": "reason", id: `ly-do-de-nghi-${key}` }, item.reason || "");
  const fillLevels = () => {
    const allowed = (COMMENDATION_FORMS[form.value] || [null, Object.keys(LEVEL_NAMES)])[1];
    const chosen = level.value || item.level;
    level.replaceChildren(...allowed.map((code) => h("option", { value: code, selected: code === chosen }, LEVEL_NAMES[code])));
  };
  const showRecipient = () => {
    person.closest(".field").hidden = kind.value !== "individual";
  };
  const fitKind = () => {  // a title goes to collectives only or to individuals only
    const only = TITLE_KINDS[form.value];
    for (const option of kind.options) option.disabled = Boolean(only) && option.value !== only;
    if (only && kind.value !== only) {
      kind.value = only;
      showRecipient();
    }
  };
  form.addEventListener("change", fillLevels);
  form.addEventListener("change", fitKind);
  kind.addEventListener("change", showRecipient);
  fillLevels();
  const el = h("div", { class: "proposal-editor" },
    h("div", { class: "inline" }, field("Tập thể / cá nhân", kind), field("Đơn vị", unit),
      field("Họ tên cá nhân được đề nghị", person), field("Hình thức, danh hiệu", form), field("Cấp khen", level)),
    field("Thành tích, lý do đề nghị", reason));
  showRecipient();
  fitKind();
  // A collective is named by its unit; an individual by the name written, with the unit it serves in.
  const read = () => ({
    kind: kind.value, unit: unit.value, form: form.value, level: level.value, reason: reason.value.trim(),
    recipient: kind.value === "individual" ? person.value.trim() : units[unit.value] || unit.value,
  });
  return { el, read };
}

function formChoices() {
  return Object.fromEntries(Object.entries(COMMENDATION_FORMS).map(([code, [label]]) => [code, label]));
}

// Per form and level: how many collectives and individuals (and counts left unsplit, lượt), from
// the API's roll-up ({form: {level: {collective, individual, mixed?}}}) or counted from the proposals.
export function rollupRows(rollup) {
  return Object.entries(rollup || {}).flatMap(([form, levels]) => Object.entries(levels).map(([level, n]) =>
    ({ form, level, collective: n.collective || 0, individual: n.individual || 0, mixed: n.mixed || 0 })));
}

export function rollupOf(proposals) {
  const rows = {};
  for (const p of proposals) {
    const key = `${p.form}|${p.level || ""}`;
    const row = rows[key] || (rows[key] = { form: p.form, level: p.level, collective: 0, individual: 0, mixed: 0 });
    row[p.kind in row ? p.kind : "mixed"] += p.count || 1;
  }
  return Object.values(rows);
}

export function rollupTable(rows, id = "tong-hop-de-nghi") {
  if (!rows.length) return h("p", { class: "muted", id }, "Chưa có đề nghị nào.");
  const sum = (key) => rows.reduce((total, row) => total + (row[key] || 0), 0);
  const columns = [["collective", "Tập thể"], ["individual", "Cá nhân"], ...(sum("mixed") ? [["mixed", "Lượt đơn vị, cá nhân"]] : [])];
  const all = (row) => columns.reduce((total, [key]) => total + (row[key] || 0), 0);
  return h("table", { class: "rollup", id },
    h("caption", {}, "Tổng hợp theo hình thức và cấp khen"),
    h("thead", {}, h("tr", {}, ["Hình thức, danh hiệu", "Cấp khen", ...columns.map(([, label]) => label), "Cộng"]
      .map((label) => h("th", { scope: "col" }, label)))),
    h("tbody", {}, rows.map((row) => h("tr", { "data-form": row.form, "data-level": row.level || "" },
      h("th", { scope: "row" }, formName(row.form)), h("td", {}, levelName(row.level)),
      columns.map(([key]) => h("td", { class: "num" }, num(row[key] || 0))),
      h("td", { class: "num total" }, num(all(row)))))),
    h("tfoot", {}, h("tr", {}, h("th", { scope: "row", colspan: 2 }, "Cộng"),
      columns.map(([key]) => h("td", { class: "num" }, num(sum(key)))),
      h("td", { class: "num total" }, num(columns.reduce((total, [key]) => total + sum(key), 0))))));
}
