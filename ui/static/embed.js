/* The widget's chat page (/embed), framed by widget.js on other sites. It asks POST
 * /api/ask/stream and reads the server-sent events (delta pieces, then the answer object); shows
 * numbered quotes with their paragraph, and a quote's passage from GET /api/documents/{id}; keeps
 * the conversation in sessionStorage (this tab, this frame) and sends it as history.
 * Every text from the user, the bot or the op-ed goes in with textContent: never as HTML.
 */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("opedbot-config").textContent);
  var params = new URLSearchParams(location.search);
  var KEY = "opedbot-conversation";
  var MAX_TURNS = 30;
  var $ = function (id) { return document.getElementById(id); };
  var log = $("log"), form = $("form"), box = $("q"), send = $("send");
  var main = $("main"), passage = $("passage");
  var turns = load(); // [{question, answer?: object, notice?: string}]
  var busy = false;
  var docs = new Map(); // document id -> Promise of the document
  var lastQuoteButton = null;

  // ---- options from widget.js (all checked; shown as text only)
  var title = (params.get("title") || "Ask the op-ed").slice(0, 80);
  var greeting = (params.get("greeting") || "Ask a question about the op-ed. Answers quote its own words, each quote checked against the text.").slice(0, 300);
  var color = params.get("color") || "";
  var lang = params.get("lang") || "";
  $("title").textContent = title;
  document.title = title;
  if (/^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(color)) document.documentElement.style.setProperty("--accent", color);
  if (/^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$/i.test(lang)) document.documentElement.lang = lang;
  box.maxLength = config.maxQuestionChars;
  if (window.parent !== window) $("close").hidden = false;

  // ---- DOM helpers: elements with text, never markup
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  function load() {
    try {
      var data = JSON.parse(sessionStorage.getItem(KEY) || "[]");
      return Array.isArray(data) ? data : [];
    } catch (e) { return []; }
  }

  function save() {
    try { sessionStorage.setItem(KEY, JSON.stringify(turns.slice(-MAX_TURNS))); } catch (e) { /* storage full or off */ }
  }

  function history() {
    var out = [];
    turns.forEach(function (t) {
      if (!t.answer) return;
      out.push({ role: "user", content: t.question });
      out.push({ role: "assistant", content: t.answer.answer });
    });
    out = config.maxHistoryTurns ? out.slice(-config.maxHistoryTurns) : [];
    // the newest turns that fit the server's character budget, whole pairs only
    var total = 0, keep = out.length;
    for (var i = out.length - 1; i >= 0; i--) {
      total += out[i].content.length;
      if (total > config.maxHistoryChars) break;
      keep = i;
    }
    if (keep % 2) keep += 1;
    return out.slice(keep);
  }

  // ---- rendering
  function userNode(question) { return el("div", "msg user", question); }

  function answerNode(a) {
    var node = el("div", "msg bot");
    node.dataset.state = "done";
    if (!a.answered) {
      node.appendChild(el("span", "label", "Not in the op-ed"));
      node.appendChild(el("p", null, a.answer));
      return node;
    }
    // The lead, then each quote once, in full, as a card (older servers send no lead: the text)
    var parts = typeof a.lead === "string" && a.quotes && a.quotes.length;
    if (!parts) node.appendChild(el("p", null, a.answer));
    else if (a.lead) node.appendChild(el("p", "lead", a.lead));
    if (a.quotes && a.quotes.length) {
      var list = el("ol", "quotes");
      list.setAttribute("aria-label", "Quotes");
      a.quotes.forEach(function (q) {
        var item = el("li");
        var b = el("button", "quote");
        b.type = "button";
        b.title = "Show quote " + q.n + " in paragraph " + q.paragraph;
        b.appendChild(el("span", "ref", "[" + q.n + "] ¶" + q.paragraph));
        b.appendChild(el("span", parts ? "qt full" : "qt", "“" + q.text + "”"));
        b.addEventListener("click", function () { showPassage(q, b); });
        item.appendChild(b);
        list.appendChild(item);
      });
      node.appendChild(list);
    }
    return node;
  }

  function noticeNode(text) {
    var node = el("div", "msg bot notice", text);
    node.dataset.state = "done";
    return node;
  }

  function suggestions() {
    var wrap = el("div", "suggest");
    wrap.setAttribute("aria-label", "Suggested questions");
    config.examples.forEach(function (q) {
      var b = el("button", null, q);
      b.type = "button";
      b.addEventListener("click", function () { ask(q); });
      wrap.appendChild(b);
    });
    return wrap;
  }

  function render() {
    log.replaceChildren(el("div", "msg bot greeting", greeting));
    if (!turns.length) log.appendChild(suggestions());
    turns.forEach(function (t) {
      log.appendChild(userNode(t.question));
      log.appendChild(t.answer ? answerNode(t.answer) : noticeNode(t.notice || ""));
    });
    scrollDown();
  }

  function scrollDown() { main.scrollTop = main.scrollHeight; }

  // The question and the start of its answer in view: a long answer's lead is not scrolled away
  // (when the answer is short, this is the bottom anyway).
  function showFrom(node) {
    main.scrollTop += node.getBoundingClientRect().top - main.getBoundingClientRect().top - 8;
  }

  // ---- asking
  function friendly(status, body, retryAfter) {
    if (status === 429) {
      var wait = parseInt(retryAfter, 10) || (body && body.retry_after) || 60;
      return "You're asking faster than this chat allows. Please wait " + wait + " second" + (wait === 1 ? "" : "s") + " and ask again.";
    }
    if (status === 503) return "The chat is busy or still starting. Please try again in a moment.";
    if (status >= 400 && status < 500 && body && body.error) return "Can't answer that: " + body.error;
    return "Something went wrong answering that. Please try again.";
  }

  async function readEvents(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, "\n");
      var cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        var block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        var event = "message", data = [];
        block.split("\n").forEach(function (line) {
          if (line.indexOf("event:") === 0) event = line.slice(6).trim();
          else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
        });
        if (data.length) onEvent(event, JSON.parse(data.join("\n")));
      }
    }
  }

  async function ask(question) {
    question = (question || "").trim();
    if (!question || busy) return;
    busy = true;
    send.disabled = true;
    var sugg = log.querySelector(".suggest");
    if (sugg) sugg.remove();
    var asked = userNode(question);
    log.appendChild(asked);
    var pending = el("div", "msg bot typing", "…");
    pending.setAttribute("aria-hidden", "true"); // the finished answer is announced, not each piece
    log.appendChild(pending);
    log.setAttribute("aria-busy", "true");
    scrollDown();
    var turn = { question: question };
    try {
      var r = await fetch("/api/ask/stream", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ question: question, history: history() }),
      });
      if (!r.ok) {
        var body = null;
        try { body = await r.json(); } catch (e) { /* not JSON */ }
        turn.notice = friendly(r.status, body, r.headers.get("Retry-After"));
      } else {
        var streamed = "";
        await readEvents(r, function (event, data) {
          if (event === "delta") {
            streamed += data.text;
            pending.textContent = streamed;
            scrollDown();
          } else if (event === "answer") {
            turn.answer = data;
          }
        });
        if (!turn.answer) turn.notice = friendly(500);
      }
    } catch (e) {
      turn.notice = "The chat could not be reached. Please check your connection and try again.";
    }
    turns.push(turn);
    save();
    pending.replaceWith(turn.answer ? answerNode(turn.answer) : noticeNode(turn.notice));
    log.removeAttribute("aria-busy");
    showFrom(asked);
    busy = false;
    send.disabled = false;
    box.focus();
  }

  // ---- a quote's passage, from the document's own text and offsets
  function fetchDoc(id) {
    if (!docs.has(id)) {
      docs.set(id, fetch("/api/documents/" + encodeURIComponent(id)).then(function (r) {
        if (!r.ok) throw new Error("document " + r.status);
        return r.json();
      }));
    }
    return docs.get(id);
  }

  async function showPassage(q, button) {
    lastQuoteButton = button;
    var text = $("passage-text"), check = $("passage-check"), head = $("passage-title");
    try {
      var doc = await fetchDoc(q.doc);
      var chars = Array.from(doc.text); // offsets count code points, as in Python
      var para = doc.paragraphs.find(function (p) { return q.start >= p.start && q.start < p.end; }) || { n: q.paragraph, start: q.start, end: q.end };
      var end = Math.min(q.end, para.end);
      head.textContent = "¶" + para.n + " · " + doc.title;
      var mark = el("mark", null, chars.slice(q.start, end).join(""));
      text.replaceChildren(
        document.createTextNode(chars.slice(para.start, q.start).join("")),
        mark,
        document.createTextNode(chars.slice(end, para.end).join(""))
      );
      var exact = chars.slice(q.start, q.end).join("") === q.text;
      check.textContent = exact
        ? "Quote [" + q.n + "] is the op-ed's own words: characters " + q.start + "–" + q.end + " of its text."
        : "Quote [" + q.n + "] could not be matched to the op-ed's text.";
    } catch (e) {
      head.textContent = "¶" + q.paragraph;
      text.replaceChildren(document.createTextNode("“" + q.text + "”"));
      check.textContent = "The op-ed's text could not be loaded.";
    }
    log.hidden = true;
    passage.hidden = false;
    main.scrollTop = 0;
    head.focus();
  }

  function hidePassage() {
    passage.hidden = true;
    log.hidden = false;
    if (lastQuoteButton && lastQuoteButton.isConnected) lastQuoteButton.focus();
    else box.focus();
  }

  // ---- events
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var q = box.value;
    if (!q.trim() || busy) return;
    box.value = "";
    ask(q);
  });
  box.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  $("new").addEventListener("click", function () {
    turns = [];
    try { sessionStorage.removeItem(KEY); } catch (e) { /* storage off */ }
    if (!passage.hidden) hidePassage();
    render();
    box.focus();
  });
  $("back").addEventListener("click", hidePassage);
  $("close").addEventListener("click", function () { window.parent.postMessage({ opedbot: "close" }, "*"); });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    if (!passage.hidden) hidePassage();
    else if (window.parent !== window) window.parent.postMessage({ opedbot: "close" }, "*");
  });
  window.addEventListener("message", function (e) {
    if (e.source === window.parent && e.data && e.data.opedbot === "focus") box.focus();
  });

  render();
})();
