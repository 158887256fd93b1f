// The person's notifications, fetched every few seconds: the header's unread count and
// the dashboard's inbox both listen to the "inbox" event this dispatches.
import { get } from "./api.js";

export const POLL_MS = 3000;
let latest = null;

export function startInbox(me) {
  const poll = async () => {
    try {
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
