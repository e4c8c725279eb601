/* opedbot widget loader: include it with
 *   <script src="https://BOT/widget.js" async data-title="…" data-greeting="…"
 *           data-position="bottom-right|bottom-left" data-color="#1f5fbf" data-open="false" data-lang="en"></script>
 * It adds one element to the page, <opedbot-widget>, whose closed shadow root holds a launcher
 * button and the chat panel: an iframe onto BOT/embed. The host page's CSS cannot reach into the
 * shadow root (and the root's :host rule resets what is inherited), and nothing here styles the
 * host page. No text from the page or the bot is ever inserted as HTML.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector('script[src$="/widget.js"]');
  if (!script || !script.src || window.__opedbotWidget) return; // once per page
  window.__opedbotWidget = true;

  var botOrigin = new URL(script.src, location.href).origin;
  var d = script.dataset || {};
  var pick = function (value, ok, fallback) { return value && ok.test(value) ? value : fallback; };
  var opts = {
    title: (d.title || "Ask the op-ed").slice(0, 80),
    greeting: (d.greeting || "").slice(0, 300),
    position: d.position === "bottom-left" ? "bottom-left" : "bottom-right",
    color: pick(d.color, /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i, "#1f5fbf"),
    open: d.open === "true",
    lang: pick(d.lang, /^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$/i, "en"),
  };
  var STATE = "opedbot-widget-open"; // the host tab remembers whether the panel was open

  var CSS = [
    ":host { all: initial !important; display: block !important; position: fixed !important; z-index: 2147483647 !important;",
    "  width: 0 !important; height: 0 !important; inset: auto 0 0 auto !important; visibility: visible !important; }",
    "*, *::before, *::after { box-sizing: border-box; }",
    ".root { font: 16px/1.4 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1a1a1a; }",
    ".launcher { all: initial; position: fixed; bottom: 20px; right: 20px; width: 56px; height: 56px; border-radius: 50%;",
    "  background: var(--opedbot-color); color: #fff; cursor: pointer; display: flex; align-items: center; justify-content: center;",
    "  box-shadow: 0 4px 14px rgba(0,0,0,.3); transition: transform .15s ease; }",
    ".launcher:hover { transform: scale(1.06); }",
    ".launcher:focus-visible { outline: 3px solid #111; outline-offset: 3px; box-shadow: 0 0 0 6px #fff; }",
    ".launcher svg { width: 28px; height: 28px; fill: currentColor; display: block; }",
    ".left .launcher { right: auto; left: 20px; }",
    ".panel { position: fixed; bottom: 88px; right: 20px; width: 380px; height: 580px; max-height: calc(100vh - 108px);",
    "  background: #fff; border-radius: 12px; overflow: hidden; box-shadow: 0 8px 32px rgba(0,0,0,.28); display: block; }",
    ".left .panel { right: auto; left: 20px; }",
    ".panel[hidden] { display: none; }",
    "iframe { all: initial; display: block; width: 100%; height: 100%; border: 0; background: #fff; }",
    "@media (max-width: 480px) {",
    "  .panel, .left .panel { inset: 0; width: 100%; height: 100%; max-height: none; border-radius: 0; }",
    "  .open .launcher { display: none; }",
    "}",
  ].join("\n");

  var host = document.createElement("opedbot-widget");
  var shadow = host.attachShadow({ mode: "closed" });
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS); // a constructed sheet: no inline <style> for the host's CSP to refuse
    shadow.adoptedStyleSheets = [sheet];
  } catch (e) {
    var style = document.createElement("style");
    style.textContent = CSS;
    shadow.appendChild(style);
  }

  var root = document.createElement("div");
  root.className = "root" + (opts.position === "bottom-left" ? " left" : "");
  root.style.setProperty("--opedbot-color", opts.color);

  var launcher = document.createElement("button");
  launcher.type = "button";
  launcher.className = "launcher";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "opedbot-panel");
  var svgNS = "http://www.w3.org/2000/svg";
  var icon = document.createElementNS(svgNS, "svg");
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("aria-hidden", "true");
  var path = document.createElementNS(svgNS, "path");
  icon.appendChild(path);
  launcher.appendChild(icon);
  var CHAT = "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h10V9H7zm0 4v2h7v-2H7z";
  var CROSS = "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z";

  var panel = document.createElement("div");
  panel.className = "panel";
  panel.id = "opedbot-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", opts.title);
  panel.hidden = true;

  root.appendChild(panel);
  root.appendChild(launcher);
  shadow.appendChild(root);

  var frame = null;
  var isOpen = false;

  function frameUrl() {
    var q = new URLSearchParams({ title: opts.title, color: opts.color, lang: opts.lang });
    if (opts.greeting) q.set("greeting", opts.greeting);
    return botOrigin + "/embed?" + q.toString();
  }

  function focusFrame() {
    if (!frame || !frame.contentWindow) return;
    frame.focus();
    frame.contentWindow.postMessage({ opedbot: "focus" }, botOrigin);
  }

  function remember(open) {
    try { open ? sessionStorage.setItem(STATE, "1") : sessionStorage.removeItem(STATE); } catch (e) { /* storage off */ }
  }

  function setLabel() {
    launcher.setAttribute("aria-label", (isOpen ? "Close chat: " : "Open chat: ") + opts.title);
    launcher.setAttribute("aria-expanded", String(isOpen));
    path.setAttribute("d", isOpen ? CROSS : CHAT);
    root.classList.toggle("open", isOpen);
  }

  function open(focus) {
    var made = !frame;
    if (made) { // made on first open: a visitor who never opens it loads nothing more
      frame = document.createElement("iframe");
      frame.title = opts.title;
      frame.src = frameUrl();
      frame.setAttribute("referrerpolicy", "no-referrer");
      frame.addEventListener("load", function () { if (isOpen && focus !== false) focusFrame(); });
      panel.appendChild(frame);
    }
    isOpen = true;
    panel.hidden = false;
    setLabel();
    remember(true);
    if (focus !== false && !made) focusFrame(); // a new frame is focused once it has loaded
  }

  function close() {
    if (!isOpen) return;
    isOpen = false;
    panel.hidden = true;
    setLabel();
    remember(false);
    launcher.focus();
  }

  launcher.addEventListener("click", function () { isOpen ? close() : open(); });
  // Escape while focus is in the widget; inside the frame the embed page sends "close".
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && isOpen && document.activeElement === host) close();
  });
  window.addEventListener("message", function (e) {
    if (!frame || e.source !== frame.contentWindow || e.origin !== botOrigin) return;
    if (e.data && e.data.opedbot === "close") close();
  });

  setLabel();
  function mount() {
    document.body.appendChild(host);
    var wasOpen = false;
    try { wasOpen = sessionStorage.getItem(STATE) === "1"; } catch (e) { /* storage off */ }
    if (opts.open || wasOpen) open(false);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
