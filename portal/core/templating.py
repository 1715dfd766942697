"""The one Jinja environment, shared by pages, emails and PDF letters (no web framework here)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from collections.abc import Generator
from typing import Any, cast

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from portal.core import bidi, clock, storage
from portal.programs import formdef
from portal.settings import ROOT

TEMPLATES_DIR = ROOT / "templates"


def money(cents: int | None) -> str:
    """Whole cents to `$1,234.56`; whole dollars drop the cents."""
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(int(cents)), 100)
    return f"{sign}${dollars:,}" if rest == 0 else f"{sign}${dollars:,}.{rest:02d}"


def local_time(value: datetime | None, tz: str = "UTC", fmt: str = "%B %-d, %Y at %-I:%M %p %Z") -> str:
    if value is None:
        return "—"
    return clock.as_utc(value).astimezone(clock.zone(tz)).strftime(fmt)


def long_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    return value.strftime("%B %-d, %Y")


def iso_utc(value: datetime | None) -> str:
    return clock.as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def file_types(accept: list[str] | None) -> str:
    """A file field's accepted MIME types in words: "PDF", "PNG image or JPEG image"."""
    names = [storage.TYPE_LABELS.get(kind, kind) for kind in accept or [storage.PDF]]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def humanize(value: str | None) -> str:
    return (value or "").replace("_", " ").capitalize()


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        finalize=bidi.isolate,  # user text cannot reorder the page around it (portal/core/bidi.py)
    )
    env.filters.update(money=money, local_time=local_time, long_date=long_date, iso_utc=iso_utc, humanize=humanize,
                       file_types=file_types)
    env.globals["formdef"] = formdef  # pure functions the form macros need: conditions, totals, states
    return env


def render(template_name: str, context: dict[str, Any], block: str | None = None) -> str:
    template = environment().get_template(template_name)
    if block is None:
        return template.render(context)
    block_render = template.blocks[block]
    ctx = template.new_context(dict(context))
    # Run the template's top-level statements (its `{% from ... import %}` lines) up to its first output,
    # so macros imported at the top of the page exist inside the block.
    top = cast(Generator[str, None, None], template.root_render_func(ctx))  # a generator, typed as an iterator
    next(top, None)
    top.close()
    return "".join(block_render(ctx))
