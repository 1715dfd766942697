"""Letters serves awards: offers the functions that make and read an award's letter on `portal/awards/hooks.py`
(awards must not import letters, which builds on it). Importing this module is all it takes; the app and the demo
seeder do (`portal/app.py`, `portal/demo.py`)."""

from __future__ import annotations

from portal.awards import hooks
from portal.letters import queries, services

hooks.provide_letters(hooks.Letters(letter_html=services.letter_html, make_letter=services.make_letter,
                                    letters_of=queries.letters_of, stored_letter=services.stored_letter))
