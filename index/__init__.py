"""Turns documents into a searchable store: parsing, sentence-aware chunking, MiniLM embeddings,
and a Chroma index that is built aside and swapped in whole.

Importing this package sets the offline switches before any Hugging Face or Chroma library loads,
so nothing here ever reaches for the network. It never imports gradio.
"""

from index import offline as _offline

_offline.apply()
