"""Keep bidirectional-text controls in user text from reordering the text around it (security finding 8).

A city name holding U+202E (right-to-left override) and no closing U+202C reversed everything after it on the
line: the rest of a table row, a sentence of the decline letter. Every value a template outputs passes through
`isolate` (the Jinja environments' `finalize`): a value with any bidi control is balanced (closers without an
opener dropped, openers left open closed at its end) and set in an isolate (U+2068 … U+2069), so the page's
text neither affects it nor is affected by it, in HTML, in PDFs and in plain-text emails alike. Values without
such controls, nearly all, pass unchanged; markup the templates made themselves is only balanced (its user values
were isolated when they were output). The isolate is added once: a value shown in a form field and saved again is
not wrapped again.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

EMBEDDINGS = "\u202a\u202b\u202d\u202e"  # LRE, RLE, LRO, RLO: closed by PDF
POP_EMBEDDING = "\u202c"  # PDF
ISOLATES = "\u2066\u2067\u2068"  # LRI, RLI, FSI: closed by PDI
POP_ISOLATE = "\u2069"  # PDI
MARKS = "\u200e\u200f\u061c"  # LRM, RLM, ALM: strong marks that need no closing
FSI = "\u2068"

_CONTROLS = re.compile(f"[{EMBEDDINGS}{POP_EMBEDDING}{ISOLATES}{POP_ISOLATE}{MARKS}]")


def has_controls(text: str) -> bool:
    return _CONTROLS.search(text) is not None


def balance(text: str) -> str:
    """`text` with every embedding, override and isolate it opens closed within it, and closers that close
    nothing it opened dropped (they would close the page's own), as the Unicode bidi algorithm pairs them."""
    out: list[str] = []
    open_: list[str] = []
    for char in text:
        if char in EMBEDDINGS or char in ISOLATES:
            open_.append(char)
        elif char == POP_EMBEDDING:
            if not open_ or open_[-1] not in EMBEDDINGS:
                continue  # in the bidi algorithm a PDF does not close past an isolate
            open_.pop()
        elif char == POP_ISOLATE:
            if not any(c in ISOLATES for c in open_):
                continue
            while open_.pop() not in ISOLATES:  # a PDI also ends the embeddings opened inside its isolate
                pass
        out.append(char)
    out.extend(POP_ISOLATE if c in ISOLATES else POP_EMBEDDING for c in reversed(open_))
    return "".join(out)


def isolate(value: Any) -> Any:
    """The value a template outputs, with its bidi controls unable to reach the text around it."""
    if not isinstance(value, str) or not has_controls(value):
        return value
    balanced = balance(value)
    if isinstance(value, Markup):  # markup made by the templates or the code: closed, but not wrapped (its own
        return Markup(balanced)    # user values were isolated when output; a wrapper around a block adds a line)
    if balanced.startswith(FSI) and balanced.endswith(POP_ISOLATE) and _is_one_isolate(balanced):
        return balanced
    return FSI + balanced + POP_ISOLATE


def _is_one_isolate(text: str) -> bool:
    """Whether the FSI at the start of balanced `text` is closed by the PDI at its very end."""
    depth = 0
    for index, char in enumerate(text):
        if char in ISOLATES:
            depth += 1
        elif char == POP_ISOLATE:
            depth -= 1
            if depth == 0:
                return index == len(text) - 1
    return False
