// Which cluster and period a page shows: from the address (?cum=…&ky=…), else the
// person's cluster and the period now in progress.
import { get } from "./api.js";
import { h } from "./dom.js";
import { PERIOD_STATE } from "./messages.js";

const ACTIVE = ["OPEN", "CLOSED", "SCORING", "VOTING"];

export async function context(me) {
  const params = new URLSearchParams(location.search);
  const periods = (await get("/periods")).items.sort((a, b) => a.starts_on.localeCompare(b.starts_on));
  const shown = periods.filter((p) => p.state !== "PLANNED");
  const active = shown.filter((p) => ACTIVE.includes(p.state));
  const period = periods.find((p) => p.id === params.get("ky")) || active[active.length - 1]
    || shown[shown.length - 1] || periods[periods.length - 1];
  const clusters = me.clusters.filter((c) => !period || c.year === period.year);
  const choices = clusters.length ? clusters : me.clusters;
  const cluster = choices.find((c) => c.id === params.get("cum")) || choices[0];
  return { periods, period, clusters: choices, cluster };
}

export function picker(ctx) {
  // Moving to another cluster or period reloads the page at its own address.
  const go = () => {
    const params = new URLSearchParams(location.search);
    params.set("ky", periodSelect.value);
    if (clusterSelect) params.set("cum", clusterSelect.value);
    location.search = params.toString();
  };
  const periodSelect = h("select", { id: "chon-ky", onchange: go },
    ctx.periods.map((p) => h("option", { value: p.id, selected: ctx.period && p.id === ctx.period.id },
      `${p.label} (${PERIOD_STATE[p.state] || p.state})`)));
  const clusterSelect = ctx.clusters.length > 1
    ? h("select", { id: "chon-cum", onchange: go },
      ctx.clusters.map((c) => h("option", { value: c.id, selected: ctx.cluster && c.id === ctx.cluster.id }, c.name)))
    : null;
  return h("div", { class: "picker" },
    clusterSelect ? h("label", { for: "chon-cum" }, "Cụm") : null, clusterSelect,
    h("label", { for: "chon-ky" }, "Kỳ thi đua"), periodSelect);
}

export function periodBadge(period) {
  return h("span", { class: `state state-${period.state.toLowerCase()}` }, PERIOD_STATE[period.state] || period.state);
}
