"""The child process that renders a letter template for rendering.run_isolated: `python -m portal.letters.render_child`.

Protocol (also followed by test children, through `serve`): the child limits its own memory, writes "ready" and a
newline, reads one JSON request from stdin, and writes one JSON answer to stdout: {"ok": what the handler returned}
or {"refused": message for staff}. The parent kills it when it is over its time limit.
"""

from __future__ import annotations

import json
import resource
import sys
from collections.abc import Callable
from typing import Any


def serve(handler: Callable[[dict[str, Any]], Any], memory_bytes: int) -> None:
    """Answer one request with `handler`, within `memory_bytes` of address space."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    from portal.letters.rendering import TOO_DEEP, TOO_MUCH_MEMORY, LetterTemplateError

    sys.stdout.write("ready\n")
    sys.stdout.flush()
    request = json.loads(sys.stdin.read())
    try:
        answer = {"ok": handler(request)}
    except LetterTemplateError as exc:
        answer = {"refused": str(exc)}
    except MemoryError:
        answer = {"refused": TOO_MUCH_MEMORY}
    except RecursionError:
        answer = {"refused": TOO_DEEP}
    except Exception as exc:  # whatever the template did: a message for staff, not a crash
        answer = {"refused": f"The template cannot be rendered: {str(exc)[:200]}"}
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()


def render(request: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Each of the request's "sources" (name -> template) rendered with its "fields" (those named in "markup" are
    Markup, as the caller had them): name -> {"ok": text} or {"refused": message}."""
    from markupsafe import Markup

    from portal.letters.rendering import LetterTemplateError, render_text

    markup = set(request.get("markup", []))
    fields = {name: Markup(value) if name in markup else value for name, value in request["fields"].items()}
    answers: dict[str, dict[str, str]] = {}
    for name, source in request["sources"].items():
        try:
            answers[name] = {"ok": str(render_text(source, fields))}
        except LetterTemplateError as exc:
            answers[name] = {"refused": str(exc)}
    return answers


if __name__ == "__main__":
    serve(render, int(sys.argv[1]))
