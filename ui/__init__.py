"""The browser side: the Gradio chat (``chat``), how answers and the op-ed are drawn
(``render``), and the server that mounts the chat beside the REST API (``server``).
Only UI wiring lives here; every answer comes from ``bot``."""
