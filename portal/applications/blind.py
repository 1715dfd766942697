"""Blind review: what a reviewer of a blind panel may see of an application (docs/reviews.md).

A panel is blind when its `review_panel.blind` is set (a program without a panel has no blind panel, as the
column's default says; the foundation's migration gave every program with reviewers a panel). Its reviewers get no identifying value anywhere:
- fields the form marks `identifying` (and identifying parts of compound fields) say "Hidden for blind review";
- the applicant organisation (its name, city and state), its team and contacts are not shown;
- attachments of non-identifying fields are shown as "Attachment 1 (PDF, 120 KB)" and downloaded as
  `application-12-attachment-1.pdf`; files of identifying fields are not listed, and downloading them is a 404;
- the title is shown unless it repeats the organisation's name or an identifying answer; then it is
  "Application 12".

Staff, the applicant city and the application's team are never blind; reviewers of a non-blind panel see
everything but the team page.
"""

from __future__ import annotations

import re
from typing import Iterable, TypedDict

from portal.accounts.tables import Membership
from portal.applications.records import Answers, ApplicationFileRecord, NeutralFile
from portal.applications.tables import Application, TeamMember
from portal.core import storage
from portal.programs import formdef
from portal.programs.formdef import Schema
from portal.programs.tables import FormVersion
from portal.reviews.tables import ReviewPanel


class Titled(TypedDict):
    """What a blind title is judged on: the application's id, its own title and its answers."""

    id: int
    title: str
    answers: Answers


class Leak(TypedDict):
    """Where a blind reviewer would read an identifying value (`identity_leaks`)."""

    field: str  # the label of the place: "Title", a field's, or "Field: part"
    value: str


class LeakingApplication(TypedDict):
    """A submitted application whose blind reviewers would read an identifying value (`list_identity_leaks`)."""

    id: int
    title: str
    organisation: str
    leaks: list[Leak]


EXTENSIONS = {storage.PDF: "pdf", storage.PNG: "png", storage.JPEG: "jpg", storage.DOCX: "docx",
              storage.XLSX: "xlsx"}
SHORT_TYPES = {storage.PDF: "PDF", storage.PNG: "PNG", storage.JPEG: "JPEG", storage.DOCX: "Word",
               storage.XLSX: "Excel"}


async def panel_is_blind(program_id: int) -> bool:
    """Whether the reviewers of the program's panel review blind (False when the program has no panel)."""
    row = await ReviewPanel.select(ReviewPanel.blind).where(ReviewPanel.program == program_id).first()
    blind: bool = row is not None and bool(row["blind"])
    return blind


async def blind_programs(program_ids: Iterable[int]) -> set[int]:
    """The programs among `program_ids` whose reviewers review blind (one query)."""
    ids = sorted(set(program_ids))
    if not ids:
        return set()
    rows = await ReviewPanel.select(ReviewPanel.program, ReviewPanel.blind).where(ReviewPanel.program.is_in(ids))
    return {r["program"] for r in rows if r["blind"]}


def identifying_keys(schema: Schema) -> set[str]:
    """The keys of the fields the form marks as identifying."""
    return {f["key"] for f in formdef.iter_fields(schema) if f.get("identifying")}


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _identifying_parts(schema: Schema, answers: Answers) -> Iterable[str]:
    """Text of identifying answers, identifying parts of compound answers included."""
    for field in formdef.iter_fields(schema):
        key = field.get("key")
        value = answers.get(key) if isinstance(key, str) else None
        if field.get("identifying"):
            yield from _strings(value)
            continue
        parts = [p for p in (field.get("fields") or field.get("columns") or field.get("subfields") or [])
                 if isinstance(p, dict) and p.get("identifying")]
        rows = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
        for row in rows:
            if isinstance(row, dict):
                for part in parts:
                    yield from _strings(row.get(part.get("key")))


_GENERIC_NAME = re.compile(r"^(?:the\s+)?(?:city|town|village|county|borough|township|municipality|parish)"
                           r"\s+(?:and\s+county\s+)?of\s+|\s+(?:city|town|village|county|borough|township)$", re.I)


def name_forms(organisation_name: str) -> list[str]:
    """"City of Dayton" -> ["City of Dayton", "Dayton"]: the name, and the place without its generic words."""
    name = (organisation_name or "").strip()
    return [name, _GENERIC_NAME.sub("", name).strip()] if name else []


def identifying_values(schema: Schema, answers: Answers, organisation_name: str = "") -> list[str]:
    """The identifying strings of one application (three characters or more): the organisation's name (also
    without "City of") and every identifying answer. Used to keep them out of titles."""
    found = [*name_forms(organisation_name), *_identifying_parts(schema, answers or {})]
    return sorted({s.strip() for s in found if isinstance(s, str) and len(s.strip()) >= 3})


def blind_title(schema: Schema, application: Titled, organisation_name: str = "") -> str:
    """The title a blind reviewer sees: the application's own, unless it holds an identifying value."""
    title = (application.get("title") or "").strip()
    lowered = title.lower()
    if title and not any(v.lower() in lowered or lowered in v.lower()
                         for v in identifying_values(schema, application.get("answers") or {}, organisation_name)):
        return title
    return f"Application {int(application['id'])}"


def is_identifying_file(schema: Schema, field_key: str) -> bool:
    """A file of the field `field_key` is identifying: the form marks the field so, or no longer has it (its
    nature is unknown)."""
    field = formdef.fields_by_key(schema).get(field_key)
    return field is None or bool(field.get("identifying"))


def neutral_files(application_id: int, schema: Schema,
                  files: Iterable[ApplicationFileRecord]) -> list[NeutralFile]:
    """The files a blind reviewer may see, in upload order, with neutral names: `original_name` becomes
    "Attachment 1 (PDF, 120 KB)", `download_name` "application-12-attachment-1.pdf"; `neutral` is True."""
    shown: list[NeutralFile] = []
    for file in sorted(files, key=lambda f: f.id):
        if is_identifying_file(schema, file.field_key):
            continue
        n = len(shown) + 1
        kind = file.content_type or ""
        label = SHORT_TYPES.get(kind, "file")
        size = storage.size_text(int(file.size_bytes or 0))
        shown.append(NeutralFile(
            id=file.id, field_key=file.field_key, original_name=f"Attachment {n} ({label}, {size})",
            download_name=f"application-{int(application_id)}-attachment-{n}.{EXTENSIONS.get(kind, 'bin')}",
            content_type=file.content_type, size_bytes=file.size_bytes, sha256=file.sha256))
    return shown



async def titles_for_reviewers(application_ids: Iterable[int]) -> dict[int, str]:
    """The title each application shows in a reviewer's lists (queue, dashboard, bidding, emails): its own,
    or on a blind panel the blind title (`blind_title`). Three queries, whatever the number."""
    ids = sorted(set(application_ids))
    if not ids:
        return {}
    rows = await Application.select(
        Application.id, Application.title, Application.program, Application.form_version,
        Application.organisation._.name.as_alias("organisation_name"),
    ).where(Application.id.is_in(ids))
    titles: dict[int, str] = {r["id"]: r["title"] or "Untitled application" for r in rows}
    blind_ids = await blind_programs(r["program"] for r in rows)
    blind = [r for r in rows if r["program"] in blind_ids]
    if not blind:
        return titles
    answers = {a["id"]: a["answers"] for a in await Application.select(Application.id, Application.answers).where(
        Application.id.is_in([r["id"] for r in blind])).output(load_json=True)}
    schemas = {f["id"]: f["schema"] for f in await FormVersion.select(FormVersion.id, FormVersion.schema).where(
        FormVersion.id.is_in(sorted({r["form_version"] for r in blind}))).output(load_json=True)}
    for r in blind:
        application: Titled = {"id": r["id"], "title": r["title"], "answers": answers.get(r["id"]) or {}}
        titles[r["id"]] = blind_title(schemas.get(r["form_version"]) or {"sections": []}, application,
                                      r["organisation_name"] or "")
    return titles


# -- Staff's check: identifying values where the form does not hide them ----------------------------------------

def _people_values(names: Iterable[str], emails: Iterable[str]) -> list[str]:
    domains = [e.rsplit("@", 1)[1] for e in emails if e and "@" in e]
    return [*names, *domains]


def _non_identifying_texts(schema: Schema, answers: Answers) -> Iterable[tuple[str, str]]:
    """(label, text) of every answer a blind reviewer sees: fields not marked identifying, and the parts not
    marked identifying of compound fields."""
    for field in formdef.iter_fields(schema):
        if field.get("identifying") or field.get("type") in formdef.NO_ANSWER_TYPES:
            continue
        key = field.get("key")
        value = answers.get(key) if isinstance(key, str) else None
        parts = [p for p in (field.get("fields") or field.get("columns") or field.get("subfields") or [])
                 if isinstance(p, dict) and "key" in p]
        if not parts:
            for text in _strings(value):
                yield field.get("label") or field["key"], text
            continue
        rows = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
        for row in rows:
            if not isinstance(row, dict):
                continue
            for part in parts:
                if not part.get("identifying"):
                    for text in _strings(row.get(part["key"])):
                        yield f"{field.get('label') or field['key']}: {part.get('label') or part['key']}", text


def _mentions(text: str, value: str) -> list[re.Match[str]]:
    """Where `value` stands in `text` as whole words, in any case."""
    return list(re.finditer(rf"(?<!\w){re.escape(value)}(?!\w)", text, re.I))


def identity_leaks(schema: Schema, application: Titled, organisation_name: str,
                   identifiers: Iterable[str]) -> list[Leak]:
    """Where a blind reviewer of `application` would read one of its identifying values: `identifiers` (the
    organisation's name forms, its email domain, its people's names and email domains) and its identifying
    answers, found (whole words, any case) in its shown title or a non-identifying answer. One entry per
    place and value: {"field": label, "value": the value found}."""
    answers = application.get("answers") or {}
    values = sorted({v.strip() for v in [*name_forms(organisation_name), *identifiers,
                                         *_identifying_parts(schema, answers)]
                     if isinstance(v, str) and len(v.strip()) >= 3}, key=lambda v: (-len(v), v))
    places: list[tuple[str, str]] = []
    title = (application.get("title") or "").strip()
    if title and blind_title(schema, application, organisation_name) == title:  # a hidden title leaks nothing
        places.append(("Title", title))
    places.extend(_non_identifying_texts(schema, answers))
    leaks: list[Leak] = []
    for label, text in places:
        taken: list[tuple[int, int]] = []
        for value in values:  # longest first: where "City of Dayton" is found, its "Dayton" is not listed again
            spans = [m.span() for m in _mentions(text, value)]
            if any(not any(a <= start and end <= b for a, b in taken) for start, end in spans):
                if {"field": label, "value": value} not in leaks:
                    leaks.append({"field": label, "value": value})
            taken.extend(spans)
    return leaks


async def list_identity_leaks(program_id: int) -> list[LeakingApplication]:
    """The program's submitted applications (withdrawn ones aside) whose blind reviewers would read an
    identifying value, with the places: [{"id", "title", "organisation", "leaks": identity_leaks(...)}], by
    id. Empty when the program's panel is not blind. Five queries, whatever the number of applications."""
    if not await panel_is_blind(program_id):
        return []
    rows = await Application.select(
        Application.id, Application.title, Application.answers, Application.form_version, Application.organisation,
        Application.organisation._.name.as_alias("organisation_name"),
        Application.organisation._.email_domain.as_alias("email_domain"),
    ).where((Application.program == program_id) & Application.status.not_in(["draft", "withdrawn"])
            ).order_by(Application.id).output(load_json=True)
    if not rows:
        return []
    schemas = {f["id"]: f["schema"] for f in await FormVersion.select(FormVersion.id, FormVersion.schema).where(
        FormVersion.id.is_in(sorted({r["form_version"] for r in rows}))).output(load_json=True)}
    members = await Membership.select(
        Membership.organisation, Membership.user._.name.as_alias("name"), Membership.user._.email.as_alias("email"),
    ).where(Membership.organisation.is_in(sorted({r["organisation"] for r in rows})))
    team = await TeamMember.select(
        TeamMember.application, TeamMember.user._.name.as_alias("name"), TeamMember.user._.email.as_alias("email"),
    ).where(TeamMember.application.is_in([r["id"] for r in rows]))
    found: list[LeakingApplication] = []
    for r in rows:
        people = [m for m in members if m["organisation"] == r["organisation"]]
        people += [t for t in team if t["application"] == r["id"]]
        identifiers = [r["email_domain"] or "", *_people_values([p["name"] for p in people],
                                                                [p["email"] for p in people])]
        application: Titled = {"id": r["id"], "title": r["title"], "answers": r["answers"] or {}}
        leaks = identity_leaks(schemas.get(r["form_version"]) or {"sections": []}, application,
                               r["organisation_name"] or "", identifiers)
        if leaks:
            found.append({"id": r["id"], "title": r["title"] or "Untitled application",
                          "organisation": r["organisation_name"], "leaks": leaks})
    return found
