// Drafts that save themselves. A form with `data-autosave` posts (through htmx, see its
// hx-* attributes) the fields changed since the last save, named in `_fields`, so two windows
// on one application never undo each other's other fields. What is not saved yet stays marked
// and goes with the next save; leaving the page with unsaved changes asks first. Before the
// session runs out, a warning offers to stay logged in.

const WARN_BEFORE_MS = 5 * 60 * 1000;

// The CSRF token as it is now: logging in again (in another window, after the session ran
// out) gives a new one, and the one this page was served with no longer counts.
function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function setUp(form) {
  const changed = new Map(); // field name → change counter
  let counter = 0;
  let inFlight = null;
  const status = document.getElementById("autosave-status");
  const offline = document.getElementById("autosave-offline");
  // Where an expired session is sent (the form's `data-login-url`).
  const toLogin = (xhr) => new URL(xhr.responseURL, location.href).pathname === form.dataset.loginUrl;

  // How many fields wait to be saved, on the form for anyone to see (the tests wait on it).
  const show = () => (form.dataset.unsaved = String(changed.size));
  const mark = (event) => {
    if (event.target.name && event.target.form === form) changed.set(event.target.name, ++counter);
    show();
  };
  form.addEventListener("input", mark, true);
  form.addEventListener("change", mark, true);

  form.addEventListener("htmx:configRequest", (event) => {
    if (!changed.size) {
      event.preventDefault();
      return;
    }
    inFlight = new Map(changed);
    event.detail.parameters["_fields"] = [...inFlight.keys()];
    const token = csrfToken();
    if (token) {
      delete event.detail.parameters["csrfmiddlewaretoken"];
      event.detail.headers["X-CSRFToken"] = token;
    }
  });
  form.addEventListener("htmx:afterRequest", (event) => {
    const xhr = event.detail.xhr;
    // A redirect (to the login page) means the session has run out: nothing was saved.
    const saved = event.detail.successful && !toLogin(xhr);
    if (saved && inFlight) {
      for (const [name, seen] of inFlight) if (changed.get(name) === seen) changed.delete(name);
      offline.classList.add("d-none");
      restartSessionTimer();
    } else if (xhr.status === 409) {
      // Refused for good (the deadline has passed): say why, and stop trying.
      status.innerHTML = xhr.responseText;
      changed.clear();
    } else {
      offline.classList.remove("d-none");
    }
    inFlight = null;
    show();
  });
  form.addEventListener("htmx:beforeSwap", (event) => {
    if (toLogin(event.detail.xhr)) event.detail.shouldSwap = false;
  });
  form.addEventListener("submit", () => {
    const token = csrfToken();
    if (token) form.querySelector("[name=csrfmiddlewaretoken]").value = token;
    changed.clear();
  });
  window.addEventListener("beforeunload", (event) => {
    if (changed.size) event.preventDefault();
  });
  // Try again now and then while something is unsaved (after a lost connection, say).
  setInterval(() => {
    if (changed.size && !inFlight) window.htmx.trigger(form, "change");
  }, 30000);

  const seconds = Number(form.dataset.sessionSeconds || 0);
  const warning = document.getElementById("session-warning");
  let timer = null;
  function restartSessionTimer() {
    if (!seconds || !warning) return;
    warning.classList.add("d-none");
    clearTimeout(timer);
    timer = setTimeout(() => warning.classList.remove("d-none"), seconds * 1000 - WARN_BEFORE_MS);
  }
  warning?.querySelector("[data-keep-session]")?.addEventListener("click", () => {
    fetch(window.location.href, { credentials: "same-origin" }).then(restartSessionTimer);
  });
  restartSessionTimer();
}

export function initAutosave() {
  document.querySelectorAll("form[data-autosave]").forEach(setUp);
  // A submit button pressed twice sends one submission (the server also makes it harmless).
  document.querySelectorAll("form[data-submit-once]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (form.dataset.sent) event.preventDefault();
      form.dataset.sent = "1";
    });
  });
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
}
