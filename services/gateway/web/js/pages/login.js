import { api, saveSession, session } from "../api.js";
import { clear, field, h, notice } from "../dom.js";

export const TITLE = "Đăng nhập";

export function render(main) {
  document.title = `${TITLE} · Thi đua`;
  const person = h("input", { name: "person", autocomplete: "username", required: true, autofocus: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const message = h("div", { id: "login-message", "aria-live": "assertive" });
  const submit = h("button", { type: "submit", class: "primary" }, "Đăng nhập");
  const form = h("form", { class: "card narrow", onsubmit: signIn },
    h("h1", {}, "Đăng nhập hệ thống thi đua"),
    h("p", { class: "muted" }, "Dùng tài khoản do Thường trực thi đua cấp."),
    field("Tên đăng nhập", person), field("Mật khẩu", password), message, submit);
  clear(main, form);

  async function signIn(event) {
    event.preventDefault();
    submit.disabled = true;
    clear(message);
    try {
      const signed = await api("POST", "/auth/login", { person: person.value.trim(), password: password.value },
        { once: false, quiet401: true });
      saveSession(signed);
      const next = new URLSearchParams(location.search).get("tiep");
      location.assign(next && next.startsWith("/") && !next.startsWith("//") ? next : "/");
    } catch (error) {
      clear(message, notice("error", error.text));
      password.value = "";
      password.focus();
    } finally {
      submit.disabled = false;
    }
  }
  if (session()) clear(message, notice("info", "Đồng chí đang đăng nhập; đăng nhập lại để đổi tài khoản."));
}
