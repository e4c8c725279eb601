"""The Gradio chat: wiring only. Every answer comes from ``bot``; rendering is in ui.render.

``build_app(readiness, feedback)`` returns the Blocks without launching them; ui.server mounts
them beside the REST API. The page does not need the index to be built: its header and source
panel are filled in when a browser loads the page (or "loading" while the server starts).
"""

from __future__ import annotations

import logging
import uuid

import gradio as gr

from bot.errors import OpedbotError
from bot.feedback import FeedbackStore
from bot.schema import Answer
from bot.validation import parse_request
from ui.examples import EXAMPLES
from ui.render import answer_markdown, md_escape, source_html, stream_steps, user_markdown
from ui.throttle import ClientLimits

log = logging.getLogger("opedbot.ui")

THEME = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
LOADING = "_The op-ed is loading; this takes a few seconds when the server starts._"


def _history_for_bot(session: dict, max_turns: int) -> list[dict]:
    """The conversation as the bot sees it: questions and the answer texts it gave."""
    turns = []
    for a in session["answers"]:
        turns.append({"role": "user", "content": a["question"]})
        turns.append({"role": "assistant", "content": a["answer"]})
    return turns[-max_turns:] if max_turns else []


def reply(readiness, question: str, session: dict) -> tuple[str, Answer | None]:
    """The assistant's message for one question in a chat session (Markdown, everything from
    the user or the op-ed escaped), and the answer when there is one. Never raises: bad input,
    a server still loading and internal errors all become a message."""
    *_, (_, done) = reply_stream(readiness, question, session)
    return done


def reply_stream(readiness, question: str, session: dict):
    """``reply`` as it is made: ("partial", markdown) while a model writes its lead in prose
    (through ``bot.prose.gate``), then ("done", (markdown, answer))."""
    if not readiness.ready.is_set():
        yield "done", (f"**Not ready yet** ({readiness.status()['step']}). Please ask again in a moment.", None)
        return
    bot, settings = readiness.bot, readiness.bot.settings
    written = ""
    try:
        request = parse_request(question, _history_for_bot(session, settings.max_history_turns), settings)
        if not settings.llm_prose:  # the answer is instant: nothing worth streaming piecewise
            answer = bot.ask(request)
            yield "done", (answer_markdown(answer), answer)
            return
        for kind, value in bot.ask_stream(request):
            if kind == "delta":
                written += str(value)
                yield "partial", md_escape(written)
            else:
                yield "done", (answer_markdown(value), value)
    except OpedbotError as exc:
        yield "done", (f"**Can't answer that:** {md_escape(str(exc))}", None)
    except Exception:  # never a traceback in the chat
        log.exception("answering failed")
        yield "done", ("**Something went wrong answering that.** Please try again.", None)


def build_app(readiness, feedback: FeedbackStore, limits: ClientLimits | None = None) -> gr.Blocks:
    bot = readiness.bot
    settings = bot.settings

    def header() -> str:
        if not readiness.ready.is_set():
            return "# opedbot\n" + (f"**Not available:** {md_escape(readiness.error)}" if readiness.error else LOADING)
        docs = bot.index.documents
        if len(docs) > 1:
            return f"# opedbot\nAsking {len(docs)} op-eds. Answers use their own words, each quote checked against the text."
        doc = next(iter(docs.values()))
        return (
            f"# opedbot\n**{md_escape(doc.title)}**" + (f" · {doc.date}" if doc.date else "") + "\n\n"
            "Answers use the op-ed's own words, each quote checked against the text. "
            "The op-ed is opinion: quotes are its author's claims, not established facts."
        )

    def default_source() -> str:
        if not readiness.ready.is_set():
            return ""
        return source_html(next(iter(bot.index.documents.values())))

    def new_session() -> dict:
        return {"id": uuid.uuid4().hex, "answers": [], "by_message": {}, "votes": {}}

    def shown(chat: list, session: dict):
        """The conversation with each answer's like or dislike, so a vote stays on its answer
        when the next one arrives (Gradio redraws the messages from this value)."""
        votes = session.get("votes", {})
        return gr.update(value=chat, feedback_value=[votes.get(i) for i, m in enumerate(chat) if m["role"] == "assistant"])

    def respond(message: str, chat: list, session: dict, request: gr.Request):
        session = session or new_session()
        chat = list(chat or [])
        question = (message or "").strip()
        if not question:
            yield shown(chat, session), session, gr.update(), ""
            return
        chat.append({"role": "user", "content": user_markdown(question)})
        # the same per-address budget as the REST API's (ui.throttle)
        client = request.client.host if request is not None and request.client else "unknown"
        refusal = limits.take(client) if limits is not None else None
        if refusal is not None:
            text, answer = f"**Slow down:** {md_escape(refusal.message)}", None
        elif settings.llm_prose:  # the model's words as it writes them, then the checked answer
            chat.append({"role": "assistant", "content": "…"})
            text, answer = "", None
            for kind, value in reply_stream(readiness, question, session):
                if kind == "partial":
                    chat[-1] = {"role": "assistant", "content": value}
                    yield shown(chat, session), session, gr.update(), ""
                else:
                    text, answer = value
            chat.pop()
        else:
            text, answer = reply(readiness, question, session)
        if answer is None:
            chat.append({"role": "assistant", "content": text})
            yield shown(chat, session), session, gr.update(), ""
            return
        session["answers"].append(answer.to_dict())
        chat.append({"role": "assistant", "content": ""})
        session["by_message"][len(chat) - 1] = len(session["answers"]) - 1
        for step in stream_steps(text):
            chat[-1] = {"role": "assistant", "content": step}
            yield shown(chat, session), session, gr.update(), ""
        docs = bot.index.documents
        doc = docs[answer.quotes[0].doc] if answer.quotes else next(iter(docs.values()))
        yield shown(chat, session), session, source_html(doc, answer.quotes), ""

    def on_like(data: gr.LikeData, session: dict):
        if not session:
            return session
        i = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        a = session["by_message"].get(i)
        if a is None:
            return session
        feedback.add("like" if data.liked else "dislike", session["answers"][a], session=session["id"])
        session.setdefault("votes", {})[i] = "Like" if data.liked else "Dislike"
        return session

    def clear():
        return [], new_session(), default_source(), ""

    with gr.Blocks(title="opedbot", analytics_enabled=False) as app:
        session = gr.State(None)
        head = gr.Markdown(LOADING, elem_id="opedbot-header")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chatbot = gr.Chatbot(
                    label="Conversation",
                    show_label=False,  # its floating label covered the first line once the log scrolled
                    height=440,
                    sanitize_html=True,
                    buttons=["copy", "copy_all"],  # no "share": it posts to an outside site
                    render_markdown=True,
                    feedback_options=("Like", "Dislike"),
                    elem_id="opedbot-chat",
                    placeholder="Ask about the op-ed. Follow-up questions keep the conversation.",
                )
                with gr.Row():
                    box = gr.Textbox(
                        label="Your question",
                        placeholder="e.g. Who brokered the ceasefire talks?",
                        max_length=settings.max_question_chars,
                        scale=5,
                        elem_id="opedbot-question",
                        autofocus=True,
                    )
                    with gr.Column(scale=1, min_width=120):
                        send = gr.Button("Ask", variant="primary", elem_id="opedbot-send")
                        reset = gr.Button("New conversation", size="sm", elem_id="opedbot-reset")
                examples = gr.Examples(list(EXAMPLES), inputs=[box], label="Try")
            with gr.Column(scale=2, min_width=300):
                gr.Markdown("### The op-ed")
                source = gr.HTML("", elem_id="opedbot-source-panel")

        outputs = [chatbot, session, source, box]
        app.load(lambda: (header(), default_source()), None, [head, source])
        box.submit(respond, [box, chatbot, session], outputs)
        send.click(respond, [box, chatbot, session], outputs)
        # An example button asks its question (Gradio's Examples only fill the box).
        if examples.load_input_event is not None:
            examples.load_input_event.then(respond, [box, chatbot, session], outputs)
        chatbot.like(on_like, [session], [session])
        reset.click(clear, None, outputs)
        chatbot.clear(clear, None, outputs)  # the chat's own trash icon forgets the conversation too
    return app
