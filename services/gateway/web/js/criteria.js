// The criteria template as the pages use it: groups of criteria, each with its type. What a type
// means (the unit's value, the score range, the hint) comes from the API's criterion-types
// document, the registry the engine and the report validator read too: no type is known here by name.
import { get } from "./api.js";
import { h, num } from "./dom.js";

let loading = null;   // the document, fetched once per page load: the registry changes only with a release
let known = {};       // type name -> its entry in the document, once loaded

export function loadTypes() {
  loading = loading || get("/criterion-types").then((doc) => {
    known = Object.fromEntries(doc.items.map((type) => [type.type, type]));
    return known;
  }).catch((error) => { loading = null; throw error; });
  return loading;
}

function typeOf(criterion) {
  const type = known[criterion.type];
  if (!type) throw new Error(`Loại tiêu chí chưa biết: ${criterion.type}`);
  return type;
}

export function valueShape(criterion) {
  // {key, kind}: the one field of the unit's value and its kind ("number", "count" or "boolean").
  return typeOf(criterion).value;
}

export function scoreRange(criterion) {
  // The points a criterion can give: the first bound field it has; negative types (penalties) take points off.
  const { bound, negative } = typeOf(criterion).score;
  const top = Number(criterion[bound.find((key) => criterion[key] !== undefined && criterion[key] !== null)]);
  return negative ? [-top, 0] : [0, top];
}

export function criteria(template) {
  return template.groups.flatMap((group) => group.criteria.map((criterion) => ({ ...criterion, group: group.code })));
}

export function describe(criterion) {
  // The type's hint with the criterion's own numbers: {target}, {points_per}, {low}, {high}, {top}, ...
  const type = typeOf(criterion);
  const [low, high] = scoreRange(criterion);
  const defaults = Object.fromEntries(Object.entries(type.settings)
    .filter(([, setting]) => setting.default !== undefined).map(([key, setting]) => [key, setting.default]));
  const values = { ...defaults, ...criterion, low, high, top: Math.max(-low, high) };
  return type.hint.replace(/\{(\w+)\}/g, (_, key) =>
    (typeof values[key] === "number" ? num(values[key]) : String(values[key] ?? "")));
}

export function valueControl(criterion, value, disabled) {
  // The input for what the unit achieved on a criterion; ``readValue`` gives the API's value or undefined.
  const { key, kind, minimum } = valueShape(criterion);
  const current = value ? value[key] : undefined;
  if (kind === "boolean") {
    return h("input", { type: "checkbox", checked: current === true, disabled, "data-field": `values.${criterion.code}` });
  }
  const whole = kind === "count";
  return h("input", { type: "number", inputmode: whole ? "numeric" : "decimal", min: minimum ?? 0, step: whole ? 1 : "any",
    value: current === undefined ? "" : String(current), disabled, "data-field": `values.${criterion.code}` });
}

export function readValue(criterion, control) {
  const { key, kind } = valueShape(criterion);
  if (kind === "boolean") return { [key]: control.checked };
  if (control.value.trim() === "") return undefined;
  return { [key]: Number(control.value) };
}

export function pointsControl(criterion, points, disabled, fieldName) {
  const [low, high] = scoreRange(criterion);
  return h("input", { type: "number", inputmode: "decimal", min: low, max: high, step: "any", disabled,
    value: points === undefined || points === null ? "" : String(points), "data-field": fieldName });
}

export function readNumber(control) {
  return control.value.trim() === "" ? undefined : Number(control.value);
}

export function markInvalid(root, error) {
  // Put the API's per-field problems (details.fields) next to the inputs they name.
  root.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  root.querySelectorAll(".field-error").forEach((el) => el.remove());
  const fields = (error.details && error.details.fields) || {};
  const unplaced = [];
  for (const [name, problem] of Object.entries(fields)) {
    const control = root.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (control) {
      control.setAttribute("aria-invalid", "true");
      control.after(h("small", { class: "field-error" }, problem));
    } else unplaced.push(`${name}: ${problem}`);
  }
  return unplaced;
}
