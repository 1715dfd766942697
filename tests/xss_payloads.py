"""Cross-site scripting payloads for tests/integration/test_xss.py: each is typed into text fields and must
come back inert (escaped text, no markup, no evaluated template) on every page, fragment and PDF.

Drawn from the OWASP XSS Filter Evasion Cheat Sheet and the PortSwigger XSS cheat sheet, plus template
injection (Jinja, and the syntaxes of other engines) and htmx attribute injection, which matters on a page
that loads htmx. Every payload fits a 120-character short text field.
"""

from __future__ import annotations

from html.parser import HTMLParser

PAYLOADS: list[str] = [
    # script tags
    "<script>alert(1)</script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<SCRIPT SRC=//xss.example/xss.js></SCRIPT>",
    "<script>alert(String.fromCharCode(88,83,83))</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>alert(1);//<</script>",
    "<script>alert(1)//",
    "</script><script>alert(1)</script>",
    '<script src="data:text/javascript,alert(1)"></script>',
    # event handlers
    "<img src=x onerror=alert(1)>",
    '<IMG SRC=x ONERROR="alert(document.cookie)">',
    "<img src=1 onerror=alert`1`>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<select autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<x onclick=alert(1)>click me",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    # javascript: and other URL schemes
    "<a href=\"javascript:alert(1)\">click</a>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<form action=\"javascript:alert(1)\"><button>x</button></form>",
    "<button formaction=javascript:alert(1)>x</button>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"javascript:alert(1)//\">",
    "<link rel=stylesheet href=javascript:alert(1)>",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.domain)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    # attribute and element breakouts
    "\"><script>alert(1)</script>",
    "'><script>alert(1)</script>",
    "\" onmouseover=\"alert(1)",
    "' onfocus='alert(1)' autofocus='",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</style><script>alert(1)</script>",
    "--><script>alert(1)</script>",
    "<!--<script>alert(1)</script>-->",
    "<img \"\"\"><script>alert(1)</script>\">",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    # CSS
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<div style=\"width:expression(alert(1))\">x</div>",
    "<style>@import'//xss.example/x.css';</style>",
    # encoded variants (must stay as typed, not decoded into markup)
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "\\\";alert(1);//",
    "';alert(1);//",
    # htmx attribute injection: loads a URL by itself if it became markup
    "<div hx-post=\"/logout\" hx-trigger=\"load\">x</div>",
    "<div data-hx-get=\"/applications\" data-hx-trigger=\"load\" hx-target=\"body\">x</div>",
    # template injection: must not be evaluated
    "{{7*7}}",
    "{{ 7*7 }}",
    "{{ config }}",
    "{{ self.__init__.__globals__ }}",
    "{% for x in range(3) %}loop{% endfor %}",
    "{{ csrf() }}",
    "${7*7}",
    "#{7*7}",
    "<%= 7*7 %>",
    "{{constructor.constructor('alert(1)')()}}",
    "[[7*7]]",
]

# Template-injection payloads with what they would have become if evaluated.
EVALUATED = {"{{7*7}}": "49", "{{ 7*7 }}": "49", "${7*7}": "49", "#{7*7}": "49", "<%= 7*7 %>": "49",
             "[[7*7]]": "49", "{% for x in range(3) %}loop{% endfor %}": "looplooploop"}


# --- what "inert" means for a page -------------------------------------------------------------------

ALLOWED_SCRIPT_PREFIXES = ("/vendor/", "/static/")
FORBIDDEN_TAGS = frozenset({"iframe", "object", "embed", "base", "frame", "frameset", "applet", "marquee",
                            "math", "noscript", "x", "animate"})
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "data", "xlink:href", "poster", "background"})
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")


class _ActiveMarkup(HTMLParser):
    """Collects every piece of markup in a page that could run script or load something by itself."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag in FORBIDDEN_TAGS:
            self.found.append(f"<{tag}>")
        if tag == "script":
            src = dict(attrs).get("src") or ""
            if not src.startswith(ALLOWED_SCRIPT_PREFIXES):
                self.found.append(f"<script src={src!r}>")
        if tag == "meta" and "http-equiv" in names:
            self.found.append("<meta http-equiv>")
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs:
            cleaned = "".join((value or "").split()).lower()
            if name.startswith("on") or name == "srcdoc":
                self.found.append(f"<{tag} {name}=...>")
            if name in URL_ATTRIBUTES and cleaned.startswith(DANGEROUS_SCHEMES):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in ("hx-trigger", "data-hx-trigger") and "load" in cleaned:
                self.found.append(f"<{tag} {name}={value!r}>")
            if name == "style" and ("url(" in cleaned or "expression(" in cleaned):
                self.found.append(f"<{tag} style={value!r}>")


def active_markup(html: str) -> list[str]:
    """Every tag or attribute in `html` that could run script or fetch something on its own (empty if inert)."""
    parser = _ActiveMarkup()
    parser.feed(html)
    parser.close()
    return parser.found
