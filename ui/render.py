"""How answers and the op-ed look in the browser: pure functions from answer objects and
documents to Markdown/HTML strings, plus the page's CSS and JS. No gradio import here.

Everything that comes from a user, a document or (later) a model is escaped before it is put in
Markdown or HTML: a question holding ``<script>`` or ``<img onerror=…>`` is shown as text.
Gradio's own sanitiser (``sanitize_html=True``) is a second layer, not the first.
"""

from __future__ import annotations

import html
import re

from bot.schema import Answer, Quote
from index.documents import Document

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>])")


def md_escape(text: str) -> str:
    """Text safe to drop into Markdown: HTML escaped, Markdown punctuation backslashed."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def src_anchor(doc: str, start: int, end: int) -> str:
    return f"#src-{doc}-{start}-{end}"


def user_markdown(question: str) -> str:
    return md_escape(question)


def answer_markdown(answer: Answer) -> str:
    """One chat message, rendered from the answer's parts (never from its plain text): a
    refusal's label, lead and hint; an answer's lead, or the attribution, then each quote as a
    numbered blockquote with its paragraph, linked to its span in the source panel."""
    if not answer.answered:
        # Set apart from answers: a label, no quote, and the hint of what the op-ed does cover.
        head = f"**Not in the op-ed** · {md_escape(answer.lead)}"
        return f"{head}\n\n_{md_escape(answer.hint)}_" if answer.hint else head
    parts = []
    if answer.lead:
        parts.append(md_escape(answer.lead))
    elif answer.quotes:
        parts.append(md_escape("The op-ed argues:" if len({q.doc for q in answer.quotes}) == 1 else "The op-eds argue:"))
    for q in answer.quotes:
        link = f"[¶{q.paragraph}]({src_anchor(q.doc, q.start, q.end)})"
        parts.append(f"> **[{q.n}]** {link} “{md_escape(q.text)}”")
    return "\n\n".join(parts)


def stream_steps(full: str, size: int = 4) -> list[str]:
    """Growing prefixes of a message, for streaming it into the chat word by word."""
    words = full.split(" ")
    steps = [" ".join(words[:i]) for i in range(size, len(words), size)]
    return [*steps, full]


def source_html(doc: Document, quotes: list[Quote] | None = None) -> str:
    """The whole op-ed, paragraphs numbered, the current answer's quotes marked. Each paragraph
    carries its offsets so the page script can highlight any [start, end) exactly."""
    marks = sorted((q.start, q.end, q.n) for q in (quotes or []) if q.doc == doc.id)
    out = [
        '<div id="opedbot-source" class="opedbot-source" tabindex="-1">',
        f"<h3>{html.escape(doc.title)}</h3>",
        f'<p class="opedbot-meta">{html.escape(doc.date or "")}</p>' if doc.date else "",
    ]
    for p in doc.paragraphs:
        pieces, pos = [], p.start
        for s, e, n in marks:
            if s < p.start or s >= p.end or s < pos:
                continue
            e = min(e, p.end)
            pieces.append(html.escape(doc.text[pos:s]))
            pieces.append(f'<mark class="quote" data-n="{n}">{html.escape(doc.text[s:e])}</mark>')
            pos = e
        pieces.append(html.escape(doc.text[pos : p.end]))
        out.append(
            f'<p data-doc="{html.escape(doc.id)}" data-start="{p.start}" data-end="{p.end}">'
            f'<span class="pn" aria-hidden="true">¶{p.n}</span> <span class="ptext">{"".join(pieces)}</span></p>'
        )
    out.append("</div>")
    return "".join(out)


CSS = """
.opedbot-source { max-height: 70vh; overflow-y: auto; padding: 0 .5rem; line-height: 1.55; }
.opedbot-source .pn { color: #777; font-size: .8em; margin-right: .25rem; }
.opedbot-source mark.quote { background: #fff1a8; color: inherit; }
.opedbot-source mark.active { background: #ffb347; color: #000; outline: 2px solid #c46a00; }
.opedbot-meta { color: #666; margin-top: -.5rem; }
#opedbot-header h1 { margin-bottom: 0; }
@media (max-width: 700px) { .opedbot-source { max-height: 45vh; } }
"""

# Clicking a ¶ link in an answer highlights exactly that span in the source panel.
JS = r"""
() => {
  const narrow = () => window.matchMedia('(max-width: 700px)').matches;
  // On a phone the source panel sits below the conversation; a ¶ opens its paragraph in a sheet
  // at the bottom of the screen instead (Close or Escape returns to where the reader was).
  const showSheet = (p) => {
    let sheet = document.getElementById('opedbot-sheet');
    if (!sheet) {
      sheet = document.createElement('div');
      sheet.id = 'opedbot-sheet';
      sheet.setAttribute('role', 'dialog');
      sheet.setAttribute('aria-label', 'Passage from the op-ed');
      Object.assign(sheet.style, {position: 'fixed', left: '0', right: '0', bottom: '0', maxHeight: '55vh', overflowY: 'auto',
        background: 'var(--background-fill-primary, #fff)', color: 'var(--body-text-color, #111)', borderTop: '3px solid #c46a00',
        boxShadow: '0 -4px 16px rgba(0,0,0,.25)', padding: '.5rem 1rem 1rem', zIndex: '1000', lineHeight: '1.55'});
      const close = document.createElement('button');
      close.type = 'button';
      close.textContent = 'Close';
      close.className = 'opedbot-sheet-close';
      Object.assign(close.style, {float: 'right', padding: '.25rem .75rem', margin: '0 0 .25rem .5rem'});
      close.addEventListener('click', () => { sheet.hidden = true; });
      const body = document.createElement('div');
      body.className = 'opedbot-sheet-body opedbot-source';
      Object.assign(body.style, {maxHeight: 'none', overflow: 'visible'});
      sheet.append(close, body);
      document.body.appendChild(sheet);
      document.addEventListener('keydown', (e) => { if (e.key === 'Escape') sheet.hidden = true; });
    }
    sheet.querySelector('.opedbot-sheet-body').replaceChildren(p.cloneNode(true));
    sheet.hidden = false;
    sheet.querySelector('button').focus({preventScroll: true});
  };
  const unwrap = (m) => { const p = m.parentNode; while (m.firstChild) p.insertBefore(m.firstChild, m); p.removeChild(m); p.normalize(); };
  window.opedbotHighlight = (doc, start, end) => {
    const root = document.getElementById('opedbot-source');
    if (!root) return false;
    root.querySelectorAll('mark.active').forEach(unwrap);
    for (const p of root.querySelectorAll('p[data-start]')) {
      const ps = +p.dataset.start, pe = +p.dataset.end;
      if (p.dataset.doc !== doc || start < ps || start >= pe) continue;
      const body = p.querySelector('.ptext');
      const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
      const range = document.createRange();
      let pos = ps, node, begun = false;
      while ((node = walker.nextNode())) {
        const len = node.nodeValue.length;
        if (!begun && start < pos + len) { range.setStart(node, start - pos); begun = true; }
        if (begun && Math.min(end, pe) <= pos + len) { range.setEnd(node, Math.min(end, pe) - pos); break; }
        pos += len;
      }
      const mark = document.createElement('mark');
      mark.className = 'active';
      mark.appendChild(range.extractContents());
      range.insertNode(mark);
      if (narrow()) showSheet(p);  // a phone: the passage over the conversation, not a scroll away
      else mark.scrollIntoView({block: 'center', behavior: 'smooth'});
      return true;
    }
    return false;
  };
  // When an answer arrives, the source panel shows its first quote (scrolling the panel only,
  // never the page, so a reader on a phone stays at the conversation).
  const follow = () => {
    const root = document.getElementById('opedbot-source');
    const first = root && root.querySelector('mark.quote');
    if (first) root.scrollTop = first.offsetTop - root.offsetTop - 24;
  };
  new MutationObserver(follow).observe(document.body, {childList: true, subtree: true});
  document.addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('a[href*="#src-"]');
    if (!a) return;
    const m = a.getAttribute('href').match(/#src-(.+)-(\d+)-(\d+)$/);
    if (!m) return;
    e.preventDefault();
    e.stopPropagation();
    window.opedbotHighlight(m[1], +m[2], +m[3]);
  }, true);
}
"""
