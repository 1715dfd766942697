"""Letter bodies: staff text with `{{ merge_field }}` placeholders, rendered by a sandboxed Jinja environment.

Staff write the body; it is never trusted as HTML or code:
- the environment is `jinja2.sandbox.SandboxedEnvironment` with autoescape, so a placeholder cannot reach
  attributes or call methods (`{{ city.__class__ }}` raises SecurityError) and every merged value is escaped;
- the staff's own literal text is escaped too (the TemplateData nodes of the parsed template are escaped before
  compiling), so a body holding `<img src="file:///etc/passwd">` prints those characters rather than an image;
- only the names in MERGE_FIELDS may appear; anything else is refused when the template is saved.
The result is Markup the PDF template places inside a `white-space: pre-line` block.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup, escape

from portal.core import bidi

KINDS = ("award", "decline", "waitlist")
KIND_LABELS = {"award": "Award letter", "decline": "Decline letter", "waitlist": "Waitlist letter"}

MERGE_FIELDS: dict[str, str] = {
    "city": "The city's name (and state)",
    "program_title": "The program's title",
    "network": "The network running the program",
    "application_title": "The title of the city's application",
    "date": "The letter's date, in the program's time zone",
    "signatory": "Who signs the program's letters",
    "amount": "The amount awarded (award letters)",
    "award_kind": "What the award is: cash grant, cohort seat, technical assistance or travel stipend (award letters)",
    "conditions": "The award's conditions (award letters)",
    "payment_schedule": "The payments of the award (award letters)",
    "reporting_schedule": "The reports due and when (award letters)",
    "award_period": "The award's start and end dates (award letters)",
    "reviewer_comments": "The reviewers' comments marked for the applicant (decline letters)",
    "contact_email": "The program's contact address",
}

MAX_SUBJECT = 200
MAX_BODY = 20_000

DEFAULTS: dict[str, tuple[str, str]] = {
    "award": ("Award letter: {{ program_title }}", """Dear Mayor and colleagues of {{ city }},

We are pleased to tell you that {{ network }} has selected {{ city }} for {{ program_title }}, for your proposal "{{ application_title }}".

Award: {{ award_kind }}
Amount: {{ amount }}
Award period: {{ award_period }}

Conditions:
{{ conditions }}

Payment schedule:
{{ payment_schedule }}

Reporting schedule:
{{ reporting_schedule }}

For any question about this award, write to {{ contact_email }}. We look forward to working with you.

Sincerely,

{{ signatory }}
{{ network }}"""),
    "decline": ("Your application to {{ program_title }}", """Dear Mayor and colleagues of {{ city }},

Thank you for applying to {{ program_title }} with "{{ application_title }}". We received many strong proposals, and we regret that we cannot fund yours this round.

What the reviewers wrote for you:
{{ reviewer_comments }}

We hope you will apply again. For any question, write to {{ contact_email }}.

Sincerely,

{{ signatory }}
{{ network }}"""),
    "waitlist": ("Your application to {{ program_title }}: waitlist", """Dear Mayor and colleagues of {{ city }},

Thank you for applying to {{ program_title }} with "{{ application_title }}". Your proposal is on the waitlist: if funds become available this round, we will write to you again.

For any question, write to {{ contact_email }}.

Sincerely,

{{ signatory }}
{{ network }}"""),
}


class LetterTemplateError(ValueError):
    """A template that cannot be saved or rendered; the message is for staff."""


_env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
_env.finalize = bidi.isolate  # a placeholder's value cannot reorder the letter around it (portal/core/bidi.py)


def _parse(source: str) -> nodes.Template:
    try:
        tree = _env.parse(source)
    except TemplateSyntaxError as exc:
        raise LetterTemplateError(f"The template has a syntax error on line {exc.lineno}: {exc.message}.") from exc
    unknown = sorted(meta.find_undeclared_variables(tree) - set(MERGE_FIELDS))
    if unknown:
        names = ", ".join(name[:40] for name in unknown[:5])
        raise LetterTemplateError(f"Unknown merge field{'s' if len(unknown) != 1 else ''}: {names}. "
                                  f"Use only the merge fields listed.")
    for node in tree.find_all(nodes.TemplateData):
        node.data = str(escape(node.data))  # the staff's literal text is text, never markup
    return tree


def check(source: str) -> None:
    """LetterTemplateError if the template does not parse, names an unknown merge field, or fails to render
    (e.g. reaches for an attribute the sandbox refuses)."""
    render_text(source, {name: "Sample text" for name in MERGE_FIELDS})


@lru_cache(maxsize=128)
def _compiled(source: str) -> Template:
    """The checked template, compiled once per text (a round renders the same few texts hundreds of times)."""
    return _env.from_string(_parse(source))


def render_text(source: str, fields: dict[str, Any]) -> Markup:
    """The template rendered with `fields` (every value escaped), as Markup."""
    template = _compiled(source)
    try:
        return Markup(template.render({name: fields.get(name, "") for name in MERGE_FIELDS}))
    except (SecurityError, TemplateSyntaxError) as exc:
        raise LetterTemplateError(f"The template cannot be used: {str(exc)[:200]}") from exc
    except Exception as exc:  # a filter given the wrong value, a loop over a string...: staff text, not a crash
        raise LetterTemplateError(f"The template cannot be rendered: {str(exc)[:200]}") from exc
