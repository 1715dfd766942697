"""Logging: the portal's own lines at INFO; libraries that narrate their work only from WARNING.

WeasyPrint logs seven INFO lines for every PDF it makes ("Step 1 - Fetching and parsing HTML", ...) and
fontTools one per font it subsets: on a server making letters they would bury everything else. Their
warnings and errors (a stylesheet it cannot read, an image refused by the fetcher) still show.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET_LOGGERS = ("weasyprint", "fontTools")


def configure_logging() -> None:
    """Log to stderr at INFO (the root logger, unless something configured it before), libraries' INFO chatter
    silenced."""
    logging.basicConfig(level=logging.INFO, format=FORMAT)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
