"""The browser side: Gradio chat and the embeddable widget. Only UI wiring lives here; every
answer comes from ``bot``. (Empty until the web-chat issue lands.)"""
