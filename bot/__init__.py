"""Turns a question into an answer made of the op-ed's own words, as verified quotes.

Importing ``index`` first sets the offline switches before any model library loads.
This package never imports gradio.
"""

import index as _index  # noqa: F401  (sets offline switches)
