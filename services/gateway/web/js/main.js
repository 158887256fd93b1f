// The page shell: who is signed in, the menu for their role, the live unread count,
// and the page the address names.
import { api, get, saveSession, session } from "./api.js";
import { leads } from "./context.js";
import { clear, h } from "./dom.js";
import { ROLE_NAMES } from "./messages.js";
import { startInbox } from "./inbox.js";
import * as login from "./pages/login.js";
import * as report from "./pages/report.js";
import * as review from "./pages/review.js";
import * as ballot from "./pages/ballot.js";
import * as dashboard from "./pages/dashboard.js";
import * as meeting from "./pages/meeting.js";
import * as proposals from "./pages/proposals.js";

const PAGES = { "dang-nhap": login, "bao-cao": report, "xet-duyet": review, "bieu-quyet": ballot, "dieu-hanh": dashboard,
  "hop-cum": meeting, "de-nghi-khen-thuong": proposals };
const LEADERS = ["administrator", "provincial_leader", "standing_office"];
const MENU = [
  ["bao-cao", "Báo cáo của đơn vị", (me) => ["unit_officer", "unit_leader"].includes(me.role)],
  ["xet-duyet", "Xét duyệt, kết luận", (me) => leads(me) || LEADERS.includes(me.role)],
  ["bieu-quyet", "Biểu quyết", (me) => ["unit_officer", "unit_leader"].includes(me.role)],
  ["hop-cum", "Họp cụm", (me) => leads(me) || LEADERS.includes(me.role)],
  ["de-nghi-khen-thuong", "Đề nghị khen thưởng", (me) => LEADERS.includes(me.role)],
  ["dieu-hanh", "Bảng xếp hạng", () => true],
];

export function homeOf(me) {
  if (me.role === "unit_officer") return "/bao-cao";
  if (leads(me)) return "/xet-duyet";
  return "/dieu-hanh";
}

async function start() {
  const name = location.pathname.replace(/^\/+|\/+$/g, "");
  const main = document.getElementById("noi-dung");
  if (name === "dang-nhap") return login.render(main);
  if (!session()) return location.replace(`/dang-nhap?tiep=${encodeURIComponent(location.pathname + location.search)}`);
  let me;
  try {
    me = await get("/me");
  } catch (error) {
    return clear(main, h("p", { class: "notice error", role: "alert" }, error.text));
  }
  if (!PAGES[name]) return location.replace(homeOf(me));
  header(me, name);
  startInbox(me);
  document.title = `${PAGES[name].TITLE} · Thi đua`;
  try {
    await PAGES[name].render(main, me);
  } catch (error) {  // a refusal while drawing the page is said in words, not left as "Đang tải…"
    if (!error.text) throw error;
    clear(main, h("h1", {}, PAGES[name].TITLE), h("p", { class: "notice error", role: "alert" }, error.text));
  }
}

function header(me, current) {
  const nav = document.getElementById("nav");
  clear(nav, h("ul", {}, MENU.filter(([, , shown]) => shown(me)).map(([path, label]) =>
    h("li", {}, h("a", { href: `/${path}`, "aria-current": path === current ? "page" : null }, label)))));
  const unread = h("a", { href: "/dieu-hanh#thong-bao", class: "badge", id: "unread", "aria-live": "polite",
    title: "Thông báo chưa đọc" }, "0");
  clear(document.getElementById("who"),
    h("span", { class: "person" }, h("strong", {}, me.name), h("small", {}, ROLE_NAMES[me.role] || me.role)),
    h("span", { class: "sr-only" }, "Thông báo chưa đọc: "), unread,
    h("button", { type: "button", class: "link", onclick: signOut }, "Đăng xuất"));
}

async function signOut() {
  try { await api("POST", "/auth/logout", {}, { once: false, quiet401: true }); } catch { /* the session ends here anyway */ }
  saveSession(null);
  location.assign("/dang-nhap");
}

start();
