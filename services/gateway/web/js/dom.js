// Small helpers to build the page: no framework, nothing loaded from another host.
import { download } from "./api.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

const numbers = new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 2 });
export const num = (value) => (value === null || value === undefined ? "—" : numbers.format(value));

// Dates read dd/mm/yyyy everywhere (Vietnam's time), whatever the browser's own language:
// the parts are put in that order here rather than left to the locale's pattern.
const moments = new Intl.DateTimeFormat("en-GB", {
  day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit",
  hourCycle: "h23", timeZone: "Asia/Ho_Chi_Minh",
});
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

function parts(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return null;
  return Object.fromEntries(moments.formatToParts(date).map((p) => [p.type, p.value]));
}

// A calendar day ("2021-04-10", or the day of a moment): 10/04/2021.
export function day(iso) {
  if (!iso) return "—";
  const plain = DATE_ONLY.exec(iso);
  if (plain) return `${plain[3]}/${plain[2]}/${plain[1]}`;
  const p = parts(iso);
  return p ? `${p.day}/${p.month}/${p.year}` : String(iso);
}

// A moment: 10/04/2021 09:30.
export function when(iso) {
  if (!iso) return "—";
  if (DATE_ONLY.test(iso)) return day(iso);
  const p = parts(iso);
  return p ? `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}` : String(iso);
}

let uid = 0;
export function field(label, control, hint) {
  // A labelled control: the label names it for screen readers and clicks focus it.
  control.id = control.id || `f${++uid}`;
  const hintEl = hint ? h("small", { class: "hint", id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hintEl);
}

export function notice(kind, ...content) {
  return h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, ...content);
}

export function flash(kind, text) {
  const place = document.getElementById("flash");
  clear(place, notice(kind, text));
  place.scrollIntoView({ block: "nearest" });
}

// A link to a file of the API: it downloads with the signed-in person's token.
export function fileLink(path, label, attrs = {}) {
  const fetchIt = (event) => {
    event.preventDefault();
    download(path).catch((error) => flash("error", error.text));
  };
  return h("a", { href: `/api/v1${path}`, ...attrs, onclick: fetchIt }, label);
}

export function button(label, onclick, attrs = {}) {
  return h("button", { type: "button", onclick, ...attrs }, label);
}
