// The criteria template as the pages use it: groups of criteria, each with its type.
import { h, num } from "./dom.js";

export const VALUE_KEY = { target: "actual", pass_fail: "passed", per_occurrence: "count", bonus: "points", penalty: "points" };

export function scoreRange(criterion) {
  // The points a criterion can give: penalties are negative (as the API checks them).
  const top = ["per_occurrence", "bonus", "penalty"].includes(criterion.type) && criterion.cap !== undefined
    ? Number(criterion.cap) : Number(criterion.max);
  return criterion.type === "penalty" ? [-top, 0] : [0, top];
}

export function criteria(template) {
  return template.groups.flatMap((group) => group.criteria.map((criterion) => ({ ...criterion, group: group.code })));
}

export function describe(criterion) {
  const [low, high] = scoreRange(criterion);
  const range = `${num(low)} đến ${num(high)} điểm`;
  switch (criterion.type) {
    case "target": return `Chỉ tiêu ${num(criterion.target)}; ${range}`;
    case "pass_fail": return `Đạt: ${num(criterion.max)} điểm`;
    case "per_occurrence": return `${num(criterion.points_per)} điểm mỗi lượt, tối đa ${num(high)}`;
    case "bonus": return `Điểm thưởng, tối đa ${num(high)}`;
    case "penalty": return `Điểm trừ, tối đa ${num(-low)}`;
    default: return range;
  }
}

export function valueControl(criterion, value, disabled) {
  // The input for what the unit achieved on a criterion; ``read(control)`` gives the API's value or undefined.
  const key = VALUE_KEY[criterion.type];
  const current = value ? value[key] : undefined;
  if (criterion.type === "pass_fail") {
    return h("input", { type: "checkbox", checked: current === true, disabled, "data-field": `values.${criterion.code}` });
  }
  const whole = criterion.type === "per_occurrence";
  return h("input", { type: "number", inputmode: whole ? "numeric" : "decimal", min: 0, step: whole ? 1 : "any",
    value: current === undefined ? "" : String(current), disabled, "data-field": `values.${criterion.code}` });
}

export function readValue(criterion, control) {
  const key = VALUE_KEY[criterion.type];
  if (criterion.type === "pass_fail") return { [key]: control.checked };
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
