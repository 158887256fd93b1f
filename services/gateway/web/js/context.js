// Which cluster and period a page shows: from the address (?cum=…&ky=…), else the
// person's cluster and the period now in progress. Each cluster runs a period on its own: the
// period shown carries its cluster's run (state, version, deadline, template, chair, conclusion).
import { get } from "./api.js";
import { h } from "./dom.js";
import { PERIOD_STATE } from "./messages.js";

const ACTIVE = ["OPEN", "CLOSED", "SCORING", "VOTING"];

export async function context(me) {
  const params = new URLSearchParams(location.search);
  const periods = (await get("/periods")).items.sort((a, b) => a.starts_on.localeCompare(b.starts_on));
  const mine = new Set(me.clusters.map((c) => c.id));
  for (const p of periods) {
    const runs = p.runs || [];
    const run = runs.find((r) => r.cluster === params.get("cum")) || runs.find((r) => mine.has(r.cluster)) || runs[0];
    p.state = run ? run.state : "PLANNED";
  }
  const shown = periods.filter((p) => p.state !== "PLANNED");
  const active = shown.filter((p) => ACTIVE.includes(p.state));
  const period = periods.find((p) => p.id === params.get("ky")) || active[active.length - 1]
    || shown[shown.length - 1] || periods[periods.length - 1];
  const clusters = me.clusters.filter((c) => !period || c.year === period.year);
  const choices = clusters.length ? clusters : me.clusters;
  const cluster = choices.find((c) => c.id === params.get("cum")) || choices[0];
  if (period && cluster) {
    try {
      const run = await get(`/clusters/${cluster.id}/periods/${period.id}`);
      Object.assign(period, run, { id: period.id, run: run.id });
    } catch (error) {
      period.state = "PLANNED";   // this cluster does not run the period
    }
  }
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
