// Log in or create an account.

import { login, register } from "../lib/api.js";
import { el, replace } from "../lib/dom.js";
import { saveLogin } from "./session.js";

function field(label, input) {
  input.id = `auth-${input.name}`;
  return el("div", { class: "field" }, el("label", { attrs: { for: input.id }, text: label }), input);
}

export function showLogin(app, message = "") {
  let registering = false;
  const card = el("section", { class: "card auth" });

  const draw = () => {
    const email = el("input", {
      type: "email",
      name: "email",
      required: true,
      autocomplete: "email",
    });
    const password = el("input", {
      type: "password",
      name: "password",
      required: true,
      autocomplete: registering ? "new-password" : "current-password",
      attrs: { minlength: registering ? 8 : 1 },
    });
    const displayName = el("input", {
      type: "text",
      name: "display_name",
      required: true,
      autocomplete: "name",
      attrs: { maxlength: 100 },
    });
    const submit = el("button", {
      type: "submit",
      class: "wide",
      text: registering ? "Create account" : "Log in",
    });
    const form = el(
      "form",
      {
        class: "stack",
        on: {
          submit: async (event) => {
            event.preventDefault();
            submit.disabled = true;
            app.clearNotice();
            try {
              const address = email.value.trim();
              const name = registering ? displayName.value.trim() : null;
              const reply = registering
                ? await register(address, password.value, name)
                : await login(address, password.value);
              app.loggedIn(saveLogin(address, reply, name));
            } catch (error) {
              app.fail(error);
            } finally {
              submit.disabled = false;
            }
          },
        },
      },
      registering ? field("Your name, shown on your quizzes", displayName) : null,
      field("E-mail address", email),
      field(registering ? "Password (at least 8 characters)" : "Password", password),
      submit,
    );
    replace(
      card,
      el("h1", { text: registering ? "Create a host account" : "Log in to host" }),
      form,
      el(
        "p",
        { class: "muted" },
        registering ? "Have an account? " : "New here? ",
        el("button", {
          type: "button",
          class: "secondary",
          text: registering ? "Log in instead" : "Create an account",
          on: {
            click: () => {
              registering = !registering;
              app.clearNotice();
              draw();
              card.querySelector("input").focus();
            },
          },
        }),
      ),
    );
  };

  draw();
  app.view.append(card);
  if (message) {
    app.notify(message, "warn");
  }
}
