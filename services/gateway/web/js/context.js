// Which cluster and period a page shows: from the address (?cum=…&ky=…), else the
// person's cluster and the period now in progress there. Each cluster runs a period on its own:
// the page's ``period`` carries that cluster's run (state, version, deadline, template, chair, conclusion).
import { get } from "./api.js";
import { h } from "./dom.js";
import { PERIOD_STATE } from "./messages.js";

const ACTIVE = ["OPEN", "CLOSED", "SCORING", "VOTING"];
const RUN_FIELDS = ["state", "version", "deadline", "template", "chair", "conclusion", "label"];

// A unit leader of a cluster's lead or deputy unit: reviews, runs the vote, proposes commendations.
export function leads(me) {
  return me.role === "unit_leader" && me.clusters.some((c) => c.role === "lead" || c.role === "deputy");
}

// The state of ``period`` in ``cluster`` (its run), as the list of periods gives it.
export function stateIn(period, cluster) {
  const run = cluster && (period.runs || []).find((r) => r.cluster === cluster.id);
  return run ? run.state : period.state;
}

export async function context(me) {
  const params = new URLSearchParams(location.search);
  const periods = (await get("/periods")).items.sort((a, b) => a.starts_on.localeCompare(b.starts_on));
  const asked = periods.find((p) => p.id === params.get("ky"));
  const inYear = (year) => me.clusters.filter((c) => !year || c.year === year);
  const pick = (choices) => choices.find((c) => c.id === params.get("cum")) || choices[0];
  let period = asked;
  if (!period) {
    const guess = pick(me.clusters);
    const shown = periods.filter((p) => stateIn(p, guess) && stateIn(p, guess) !== "PLANNED"
      && (!guess || !p.runs || p.runs.some((r) => r.cluster === guess.id)));
    const active = shown.filter((p) => ACTIVE.includes(stateIn(p, guess)));
    period = active[active.length - 1] || shown[shown.length - 1] || periods[periods.length - 1];
  }
  const clusters = inYear(period && period.year);
  const choices = clusters.length ? clusters : me.clusters;
  const cluster = pick(choices);
  const run = period && cluster ? await runOf(cluster, period) : null;
  if (run) period = { ...period, ...Object.fromEntries(RUN_FIELDS.filter((k) => run[k] !== undefined).map((k) => [k, run[k]])) };
  return { periods, period, clusters: choices, cluster, run };
}

// The cluster's run of the period, or null where the cluster has none.
async function runOf(cluster, period) {
  try {
    return await get(`/clusters/${cluster.id}/periods/${period.id}`);
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
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
      `${p.label} (${PERIOD_STATE[stateIn(p, ctx.cluster)] || stateIn(p, ctx.cluster) || "—"})`)));
  const clusterSelect = ctx.clusters.length > 1
    ? h("select", { id: "chon-cum", onchange: go },
      ctx.clusters.map((c) => h("option", { value: c.id, selected: ctx.cluster && c.id === ctx.cluster.id }, c.name)))
    : null;
  return h("div", { class: "picker" },
    clusterSelect ? h("label", { for: "chon-cum" }, "Cụm") : null, clusterSelect,
    h("label", { for: "chon-ky" }, "Kỳ thi đua"), periodSelect);
}

export function periodBadge(period) {
  const state = period.state || "PLANNED";
  return h("span", { class: `state state-${state.toLowerCase()}` }, PERIOD_STATE[state] || state);
}
