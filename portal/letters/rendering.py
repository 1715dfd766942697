"""Letter bodies: staff text with `{{ merge_field }}` placeholders, rendered by a sandboxed Jinja environment.

Staff write the body; it is never trusted as HTML or code:
- the environment is a `jinja2.sandbox.SandboxedEnvironment` with autoescape, so a placeholder cannot reach
  attributes or call methods (`{{ city.__class__ }}` raises SecurityError) and every merged value is escaped;
- the staff's own literal text is escaped too (the TemplateData nodes of the parsed template are escaped before
  compiling), so a body holding `<img src="file:///etc/passwd">` prints those characters rather than an image;
- only the names in MERGE_FIELDS may appear; anything else is refused when the template is saved.
The result is Markup the PDF template places inside a `white-space: pre-line` block.

A template must not be able to stall the server either (issue 10, finding 3), so its cost is bounded:
- no loops, macros, includes or imports (refused when it is parsed); only a few filters (SAFE_FILTERS) and a few
  text methods (SAFE_METHODS);
- arithmetic is checked before it runs (LetterSandbox.call_binop): text repeated past MAX_OUTPUT characters,
  powers and products past MAX_INT_BITS, `%` formatting of text, and lists multiplied are refused; `~` joins
  are checked the same way; so no value grows past MAX_OUTPUT, and with no loops the work is bounded by the
  template's length;
- the rendered text stops at MAX_OUTPUT characters;
- when staff save or preview a template (render_bounded), it is rendered in a child process with a time and
  a memory limit, killed when over either: the web process never runs an unchecked template.
Every refusal is a LetterTemplateError whose message says what is wrong; the forms answer 422 with it.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
import weakref
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta, nodes, pass_eval_context
from jinja2.filters import FILTERS
from jinja2.nodes import EvalContext
from jinja2.runtime import markup_join, str_join
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from jinja2.visitor import NodeTransformer
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
What the award gives: {{ amount }}
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


MAX_OUTPUT = 100_000  # characters of one rendered subject or body, and of any value on the way (a letter has ~3,000)
MAX_INT_BITS = 200  # numbers up to about 60 digits
MAX_NUMBER_ARG = MAX_OUTPUT  # a number given to a filter (a width, a length)
RENDER_SECONDS = 5.0  # a save or preview's render, in its child process
RENDER_MEMORY_BYTES = 512 * 1024 * 1024  # the child's address space
CHILD_START_SECONDS = 60.0  # for the child to start (a loaded machine), not counted in RENDER_SECONDS
CONCURRENT_RENDERS = 2  # children at once; more saves and previews wait their turn

TOO_LONG = f"The template makes a text too long: at most {MAX_OUTPUT:,} characters."
TOO_LARGE = "The template uses a number too large for a letter."
TOO_MUCH_MEMORY = "The template needed too much memory to render and was stopped. Make it simpler."
TOO_DEEP = "The template is nested too deeply: check its {{ }} and brackets."

REFUSED_NODES: dict[type[nodes.Node], str] = {
    nodes.For: "Loops ({% for %}) are not available in letters: write the text once.",
    nodes.Macro: "Macros are not available in letters.",
    nodes.CallBlock: "Macros ({% call %}) are not available in letters.",
    nodes.Include: "{% include %} is not available in letters.",
    nodes.Extends: "{% extends %} is not available in letters.",
    nodes.Import: "{% import %} is not available in letters.",
    nodes.FromImport: "{% import %} is not available in letters.",
}
SAFE_FILTERS = ("abs", "capitalize", "center", "count", "d", "default", "e", "escape", "first", "float", "int",
                "last", "length", "lower", "replace", "round", "string", "striptags", "title", "trim", "truncate",
                "upper", "wordcount")
SAFE_METHODS = frozenset({"capitalize", "casefold", "count", "endswith", "find", "isalpha", "isdigit", "lower",
                          "lstrip", "rstrip", "startswith", "strip", "swapcase", "title", "upper"})


class Refused(SecurityError):
    """A refusal of the letter sandbox: its message is for staff as it is."""


def _check_value(value: Any) -> Any:
    """`value` if it is within the limits, else SecurityError."""
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise Refused(TOO_LARGE)
    if isinstance(value, (str, list, tuple)) and len(value) > MAX_OUTPUT:
        raise Refused(TOO_LONG)
    return value


def _check_product(left: Any, right: Any) -> None:
    """Before `left * right`: numbers with a bounded product, or text repeated to at most MAX_OUTPUT."""
    numbers = (int, float)
    if isinstance(left, numbers) and isinstance(right, numbers):
        if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise Refused(TOO_LARGE)
        return
    text, times = (left, right) if isinstance(left, str) else (right, left)
    if not (isinstance(text, str) and isinstance(times, int)):
        raise Refused("Only numbers and text can be multiplied in a letter.")
    if len(text) * max(times, 0) > MAX_OUTPUT:
        raise Refused(TOO_LONG)


def _check_power(base: Any, exponent: Any) -> None:
    """Before `base ** exponent`: an integer result of at most MAX_INT_BITS (floats overflow by themselves)."""
    if not (isinstance(base, (int, float)) and isinstance(exponent, (int, float))):
        raise Refused("Only numbers can be raised to a power.")
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
        if max(base.bit_length() - 1, 0) * exponent > MAX_INT_BITS or exponent > MAX_INT_BITS:
            raise Refused(TOO_LARGE)


class LetterSandbox(SandboxedEnvironment):
    """The sandbox with every arithmetic operator checked (intercepted operators are not folded at compile
    time either, so a template cannot make the compiler do the work) and only safe text methods callable."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "%" and isinstance(left, str):  # printf-style: a width inside the text could ask for gigabytes
            raise Refused("The % operator cannot format text in a letter: write the text as it should read.")
        if operator == "*":
            _check_product(left, right)
        elif operator == "**":
            _check_power(left, right)
        try:
            return _check_value(super().call_binop(context, operator, left, right))
        except OverflowError as exc:
            raise Refused(TOO_LARGE) from exc

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (Jinja's signature)
        name = getattr(__obj, "__name__", "")
        if not (isinstance(getattr(__obj, "__self__", None), str) and name in SAFE_METHODS):
            raise Refused(f"{name or 'This'} cannot be called in a letter. Use the filters (like |upper) instead.")
        return _check_value(super().call(__context, __obj, *args, **kwargs))


def _bounded_filter(function: Callable[..., Any]) -> Callable[..., Any]:
    """The filter with its numbers and its result checked."""
    @functools.wraps(function)  # keeps jinja_pass_arg: Jinja passes the same context
    def bounded(*args: Any, **kwargs: Any) -> Any:
        for value in (*args, *kwargs.values()):
            if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > MAX_NUMBER_ARG:
                raise Refused(TOO_LARGE)
        return _check_value(function(*args, **kwargs))
    return bounded


@pass_eval_context
def _replace(eval_ctx: EvalContext, value: Any, old: Any, new: Any, count: int | None = None) -> Any:
    """|replace, refused before it runs if the result would be too long."""
    text, old_text, new_text = str(value), str(old), str(new)
    hits = text.count(old_text) if old_text else len(text) + 1
    if count is not None:
        hits = min(hits, max(int(count), 0))
    if len(text) + hits * (len(new_text) - len(old_text)) > MAX_OUTPUT:
        raise Refused(TOO_LONG)
    return FILTERS["replace"](eval_ctx, value, old, new, count)


@pass_eval_context
def _concat(eval_ctx: EvalContext, parts: list[Any]) -> Any:
    """`a ~ b ~ c`, as Jinja joins them (escaping under autoescape), refused if the result would be too long."""
    if sum(len(str(part)) for part in parts) > MAX_OUTPUT:
        raise Refused(TOO_LONG)
    return (markup_join if eval_ctx.autoescape else str_join)(parts)


class _BoundConcat(NodeTransformer):
    """Turns every `~` join into the checked _concat filter (Jinja's own join is not an intercepted operator)."""

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)  # the joins inside it first (in place: it returns the node it was given)
        return nodes.Filter(nodes.List(node.nodes, lineno=node.lineno), "_concat", [], [], None, None,
                            lineno=node.lineno)


_env = LetterSandbox(autoescape=True, undefined=StrictUndefined)
_env.filters = {name: _bounded_filter(FILTERS[name]) for name in SAFE_FILTERS}
_env.filters["replace"] = _bounded_filter(_replace)
_env.filters["_concat"] = _concat
_env.globals = {}
_env.finalize = bidi.isolate  # a placeholder's value cannot reorder the letter around it (portal/core/bidi.py)


def _syntax_error(exc: TemplateSyntaxError) -> LetterTemplateError:
    problem = (exc.message or "").rstrip(".")
    return LetterTemplateError(f"The template has a syntax error on line {exc.lineno}: {problem}.")


def _parse(source: str) -> nodes.Template:
    try:
        tree = _env.parse(source)
        unknown = sorted(meta.find_undeclared_variables(tree) - set(MERGE_FIELDS))
    except TemplateSyntaxError as exc:
        raise _syntax_error(exc) from exc
    except RecursionError as exc:
        raise LetterTemplateError(TOO_DEEP) from exc
    except ValueError as exc:  # a literal past Python's 4,300 digits
        raise LetterTemplateError(TOO_LARGE) from exc
    for node_type, message in REFUSED_NODES.items():
        if next(tree.find_all(node_type), None) is not None:
            raise LetterTemplateError(message)
    if unknown:
        names = ", ".join(name[:40] for name in unknown[:5])
        raise LetterTemplateError(f"Unknown merge field{'s' if len(unknown) != 1 else ''}: {names}. "
                                  f"Use only the merge fields listed.")
    for const in tree.find_all(nodes.Const):
        if isinstance(const.value, int) and const.value.bit_length() > MAX_INT_BITS:
            raise LetterTemplateError(TOO_LARGE)
    for node in tree.find_all(nodes.TemplateData):
        node.data = str(escape(node.data))  # the staff's literal text is text, never markup
    _BoundConcat().visit(tree)  # in place below the root, which is a Template and stays one
    return tree


def check_syntax(source: str) -> None:
    """LetterTemplateError if the template does not parse, names an unknown merge field, or uses a refused tag.
    Cheap (no compiling or rendering): the web process may call it on any text."""
    _parse(source)


def check(source: str) -> None:
    """LetterTemplateError if the template cannot be rendered with sample fields (in this process: for tools and
    tests; a request uses render_bounded)."""
    render_text(source, {name: "Sample text" for name in MERGE_FIELDS})


@lru_cache(maxsize=128)
def _compiled(source: str) -> Template:
    """The checked template, compiled once per text (a round renders the same few texts hundreds of times)."""
    tree = _parse(source)
    try:
        return _env.from_string(tree)
    except TemplateSyntaxError as exc:  # e.g. a filter not in SAFE_FILTERS
        raise _syntax_error(exc) from exc
    except RecursionError as exc:
        raise LetterTemplateError(TOO_DEEP) from exc
    except Refused as exc:  # refused while folding constants
        raise LetterTemplateError(str(exc)) from exc
    except SecurityError as exc:
        raise LetterTemplateError(f"The template cannot be used: {str(exc)[:200]}") from exc
    except Exception as exc:  # folding a constant failed (1 / 0): staff text, not a crash
        raise LetterTemplateError(f"The template cannot be rendered: {str(exc)[:200]}") from exc


def render_text(source: str, fields: dict[str, Any]) -> Markup:
    """The template rendered with `fields` (every value escaped), as Markup; LetterTemplateError if it is refused
    or its text would pass MAX_OUTPUT characters."""
    template = _compiled(source)
    size, parts = 0, []
    try:
        for chunk in template.generate({name: fields.get(name, "") for name in MERGE_FIELDS}):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise LetterTemplateError(f"The letter would be longer than {MAX_OUTPUT:,} characters.")
            parts.append(chunk)
    except LetterTemplateError:
        raise
    except Refused as exc:
        raise LetterTemplateError(str(exc)) from exc
    except (SecurityError, TemplateSyntaxError) as exc:
        raise LetterTemplateError(f"The template cannot be used: {str(exc)[:200]}") from exc
    except RecursionError as exc:
        raise LetterTemplateError(TOO_DEEP) from exc
    except MemoryError as exc:
        raise LetterTemplateError(TOO_MUCH_MEMORY) from exc
    except Exception as exc:  # a filter given the wrong value, 1 / 0...: staff text, not a crash
        raise LetterTemplateError(f"The template cannot be rendered: {str(exc)[:200]}") from exc
    return Markup("".join(parts))


# --- rendering in a child process, with a time and a memory limit ------------------------------------------------

_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()
_running: set[Any] = set()
_ROOT = Path(__file__).resolve().parents[2]  # where `python -m portal...` finds the package


async def run_isolated(module: str, request: dict[str, Any], timeout: float = RENDER_SECONDS) -> Any:
    """Run `python -m module` (a child following render_child's protocol) on `request`: its answer, or
    LetterTemplateError if it refused, took longer than `timeout` seconds (counted once it has started) or died
    (over RENDER_MEMORY_BYTES). A child over time is killed: a thread could not be. At most CONCURRENT_RENDERS
    children at once."""
    slots = _slots.setdefault(asyncio.get_running_loop(), asyncio.Semaphore(CONCURRENT_RENDERS))
    async with slots:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, str(RENDER_MEMORY_BYTES), cwd=_ROOT,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
        _running.add(process)
        try:
            assert process.stdout is not None
            try:
                ready = await asyncio.wait_for(process.stdout.readline(), CHILD_START_SECONDS)
            except asyncio.TimeoutError as exc:
                raise LetterTemplateError("The template could not be checked now: try again in a moment.") from exc
            if ready != b"ready\n":
                raise LetterTemplateError(TOO_MUCH_MEMORY)
            try:
                out, _err = await asyncio.wait_for(process.communicate(json.dumps(request).encode()), timeout)
            except asyncio.TimeoutError as exc:
                raise LetterTemplateError(f"The template took longer than {timeout:g} seconds to render and was "
                                          "stopped. Make it simpler.") from exc
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()
            _running.discard(process)
    try:
        answer = json.loads(out)
    except ValueError:  # no answer: the child died, killed by the memory limit most likely
        raise LetterTemplateError(TOO_MUCH_MEMORY) from None
    if "ok" not in answer:
        raise LetterTemplateError(str(answer.get("refused", "The template cannot be rendered.")))
    return answer["ok"]


def running_children() -> list[Any]:
    """The render children still running (none once run_isolated has returned)."""
    return [p for p in _running if p.returncode is None]


async def render_bounded(sources: dict[str, str], fields: dict[str, Any]) -> dict[str, Markup | LetterTemplateError]:
    """Each of `sources` (name -> template, e.g. a subject and a body) rendered by render_text with `fields`, in one
    child process with the time and memory limits, off the event loop: name -> its Markup, or the
    LetterTemplateError saying why not (a child over its limits: the error on every name). For templates not yet
    checked (staff saving or previewing one)."""
    request = {"sources": sources, "fields": {name: str(value) for name, value in fields.items()},
               "markup": [name for name, value in fields.items() if isinstance(value, Markup)]}
    try:
        answers = await run_isolated("portal.letters.render_child", request)
    except LetterTemplateError as exc:
        return {name: exc for name in sources}
    return {name: Markup(answers[name]["ok"]) if "ok" in answers[name]  # noqa: S704 (the escaping sandbox's output)
            else LetterTemplateError(answers[name]["refused"]) for name in sources}
