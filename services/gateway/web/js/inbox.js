// The person's notifications, fetched every few seconds: the header's unread count and
// the dashboard's inbox both listen to the "inbox" event this dispatches.
import { get } from "./api.js";

export const POLL_MS = 3000;
let latest = null;

export function startInbox(me) {
  const poll = async () => {
    try {
      // The newest page is enough here: "unread" counts every unread notice, paged or not.
      latest = await get(`/people/${encodeURIComponent(me.id)}/inbox?limit=30`);
      const badge = document.getElementById("unread");
      if (badge) {
        badge.textContent = String(latest.unread);
        badge.classList.toggle("zero", latest.unread === 0);
      }
      document.dispatchEvent(new CustomEvent("inbox", { detail: latest }));
    } catch { /* the next poll tries again */ }
    setTimeout(poll, POLL_MS);
  };
  poll();
}

export const lastInbox = () => latest;

export function pageFor(item, me) {
  // The page a notice is about (its ``link`` names the API resource behind it).
  const params = new URLSearchParams();
  if (item.cluster) params.set("cum", item.cluster);
  if (item.period) params.set("ky", item.period);
  const report = /\/reports\/([^/?]+)/.exec(item.link || "");
  if (item.kind.startsWith("report.")) {
    if (me.role === "unit_officer" || (me.role === "unit_leader" && item.kind === "report.returned")) return `/bao-cao?${params}`;
    if (report) params.set("bao-cao", report[1]);
    return `/xet-duyet?${params}`;
  }
  if (item.kind.startsWith("vote.")) return `/bieu-quyet?${params}`;
  return `/dieu-hanh?${params}`;
}
