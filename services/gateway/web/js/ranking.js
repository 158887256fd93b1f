// The ranking as tables and charts (SVG drawn here: no chart library, nothing from another host).
import { h, num } from "./dom.js";
import { CLASS_NAMES } from "./messages.js";

const SVG = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== undefined && value !== null) el.setAttribute(key, value);
  for (const child of children.flat()) if (child !== null && child !== undefined) el.append(child instanceof Node ? child : String(child));
  return el;
}

export function className(code, template) {
  const level = template && template.classification.levels.find((l) => l.code === code);
  return (level && level.name) || CLASS_NAMES[code] || code || "—";
}

export function classBadge(code, template) {
  return h("span", { class: `class class-${(code || "none").toLowerCase()}` }, className(code, template));
}

export function rankingTable(ranking, template, changes = {}) {
  const groups = template.groups;
  return h("table", { class: "ranking", id: "bang-xep-hang" },
    h("caption", {}, `Bảng xếp hạng · phiên bản ${ranking.version}`),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "Hạng"), h("th", { scope: "col" }, "Đơn vị"),
      groups.map((g) => h("th", { scope: "col", title: g.name }, g.code)),
      h("th", { scope: "col" }, "Tổng điểm"), h("th", { scope: "col" }, "Xếp loại"),
      h("th", { scope: "col" }, "Thay đổi"))),
    h("tbody", {}, ranking.table.map((row) => h("tr", { "data-unit": row.unit, class: row.unit === ranking.leader ? "leader" : null },
      h("td", { class: "num" }, String(row.rank)),
      h("th", { scope: "row" }, row.unit_name, row.unit === ranking.leader ? h("span", { class: "star", title: "Đơn vị dẫn đầu" }, " ★") : null,
        row.late ? h("small", { class: "muted" }, " (nộp muộn)") : null),
      groups.map((g) => h("td", { class: "num" }, num(row.groups[g.code]))),
      h("td", { class: "num total" }, num(row.total)),
      h("td", {}, classBadge(row.class, template), row.capped_by_discipline ? h("small", {}, " (giới hạn do vi phạm)") : null),
      h("td", { class: "change" }, changes[row.unit] || "")))));
}

export function breakdownTable(result, template) {
  const names = Object.fromEntries(template.groups.flatMap((g) => g.criteria.map((c) => [c.code, c.name])));
  return h("table", { class: "breakdown" },
    h("thead", {}, h("tr", {}, ["Tiêu chí", "Tự chấm", "Cụm chấm", "Điểm chính thức", "Nhận xét của cụm"].map(
      (label) => h("th", { scope: "col" }, label)))),
    h("tbody", {}, result.breakdown.map((line) => h("tr", {},
      h("th", { scope: "row" }, h("span", { class: "code" }, line.criterion), " ", names[line.criterion] || ""),
      h("td", { class: "num" }, num(line.self)), h("td", { class: "num" }, num(line.reviewed)),
      h("td", { class: "num" }, num(line.final)), h("td", {}, line.review_comment || "")))));
}

export function barChart(ranking, template) {
  // Each unit's total as a horizontal bar, coloured by its class.
  const rows = ranking.table;
  const width = 680, barH = 26, left = 270, top = 10;
  const max = Math.max(100, ...rows.map((r) => r.total));
  const height = top * 2 + rows.length * (barH + 8);
  const scale = (v) => ((width - left - 60) * Math.max(0, v)) / max;
  return s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img",
    "aria-label": `Biểu đồ tổng điểm: ${rows.map((r) => `${r.unit_name} ${num(r.total)}`).join("; ")}` },
  rows.map((row, i) => {
    const y = top + i * (barH + 8);
    return s("g", {},
      s("text", { x: left - 8, y: y + barH * 0.68, "text-anchor": "end", class: "label" }, short(row.unit_name, 36),
        s("title", {}, row.unit_name)),
      s("rect", { x: left, y, width: scale(row.total), height: barH, rx: 3, class: `bar class-${(row.class || "none").toLowerCase()}` }),
      s("text", { x: left + scale(row.total) + 6, y: y + barH * 0.68, class: "value" }, `${num(row.total)} · ${className(row.class, template)}`));
  }));
}

function short(text, length) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

const PALETTE = ["#1f5fa8", "#c0392b", "#2e8540", "#8e44ad", "#b7791f", "#16727a", "#6b4c2a", "#d6336c"];

export function trendChart(series, periods) {
  // One line per unit: its total in each period it was ranked; the legend is a list below.
  const width = 640, height = 240, left = 40, right = 20, top = 14, bottom = 36;
  const x = (i) => left + (periods.length <= 1 ? (width - left - right) / 2 : (i * (width - left - right)) / (periods.length - 1));
  const y = (v) => top + (height - top - bottom) * (1 - Math.max(0, v) / 100);
  const grid = [0, 25, 50, 75, 100].map((v) => s("g", {},
    s("line", { x1: left, x2: width - right, y1: y(v), y2: y(v), class: "grid" }),
    s("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", class: "axis" }, String(v))));
  const labels = periods.map((p, i) => s("text", { x: x(i), y: height - 12, "text-anchor": "middle", class: "axis" }, p.label));
  const lines = series.map((unit, n) => {
    const color = PALETTE[n % PALETTE.length];
    const points = unit.points.map((pt) => [periods.findIndex((p) => p.id === pt.period), pt.total]).filter(([i]) => i >= 0);
    return s("g", {},
      points.length > 1 ? s("polyline", { points: points.map(([i, v]) => `${x(i)},${y(v)}`).join(" "), fill: "none", stroke: color, "stroke-width": 2 }) : null,
      points.map(([i, v]) => s("circle", { cx: x(i), cy: y(v), r: 5, fill: color }, s("title", {}, `${unit.name}: ${num(v)}`))));
  });
  const chart = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img",
    "aria-label": `Diễn biến tổng điểm qua các kỳ: ${series.map((u) => `${u.name} ${u.points.map((p) => num(p.total)).join(", ")}`).join("; ")}` },
  grid, labels, lines);
  const legend = h("ul", { class: "legend" }, series.map((unit, n) => h("li", {},
    s("svg", { width: 14, height: 14, "aria-hidden": "true" }, s("rect", { width: 14, height: 14, rx: 3, fill: PALETTE[n % PALETTE.length] })),
    ` ${unit.name}: ${unit.points.map((p) => num(p.total)).join(" → ") || "—"}`)));
  return h("div", {}, chart, legend);
}
