"""Blind review rules (portal/applications/blind.py) and CSV cells (portal/reviews/export/queries.py), no database."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from portal.applications.blind import blind_title, identifying_values, name_forms, neutral_files
from portal.applications.records import ApplicationFileRecord
from portal.reviews.export.queries import safe_cell, to_csv

SCHEMA = {"sections": [{"key": "s", "title": "S", "fields": [
    {"key": "project_title", "type": "short_text", "label": "Title"},
    {"key": "contact", "type": "short_text", "label": "Contact", "identifying": True},
    {"key": "partners", "type": "group", "label": "Partners", "fields": [
        {"key": "name", "type": "short_text", "label": "Name", "identifying": True},
        {"key": "role", "type": "short_text", "label": "Role"}]},
    {"key": "budget", "type": "file", "label": "Budget"},
    {"key": "letter", "type": "file", "label": "Letter", "identifying": True},
]}]}


@pytest.mark.parametrize("name, forms", [
    ("City of Dayton", ["City of Dayton", "Dayton"]), ("Springfield", ["Springfield", "Springfield"]),
    ("City and County of Denver", ["City and County of Denver", "Denver"]), ("", [])])
def test_name_forms_drop_generic_words(name, forms):
    assert name_forms(name) == forms


def test_identifying_values_include_identifying_parts_of_groups():
    answers = {"project_title": "Rain gardens", "contact": "Ann Lee",
               "partners": [{"name": "Wetland Trust", "role": "Plants"}]}
    assert identifying_values(SCHEMA, answers, "City of Dayton") == ["Ann Lee", "City of Dayton", "Dayton",
                                                                     "Wetland Trust"]


@pytest.mark.parametrize("title, shown", [
    ("Rain gardens", "Rain gardens"), ("Dayton rain gardens", "Application 7"), ("Ann Lee's project", "Application 7"),
    ("", "Application 7")])
def test_blind_title_hides_a_title_with_an_identifying_value(title, shown):
    application = {"id": 7, "title": title, "answers": {"contact": "Ann Lee"}}
    assert blind_title(SCHEMA, application, "City of Dayton") == shown


def test_neutral_files_number_visible_files_and_drop_identifying_ones():
    def file(id, field_key, original_name, content_type, size_bytes):
        return ApplicationFileRecord(
            id=id, application=12, field_key=field_key, stored_name=f"s{id}", original_name=original_name,
            content_type=content_type, size_bytes=size_bytes, sha256="", uploaded_by=1, uploaded_at=datetime.now(UTC))

    files = [file(9, "budget", "dayton-budget.pdf", "application/pdf", 120 * 1024),
             file(4, "letter", "mayor.pdf", "application/pdf", 10),
             file(12, "gone", "old.pdf", "application/pdf", 10),
             file(11, "budget", "b.png", "image/png", 3 * 1024 * 1024)]
    shown = neutral_files(12, SCHEMA, files)
    assert [(f.id, f.original_name, f.download_name) for f in shown] == [
        (9, "Attachment 1 (PDF, 120 KB)", "application-12-attachment-1.pdf"),
        (11, "Attachment 2 (PNG, 3 MB)", "application-12-attachment-2.png")]


@pytest.mark.parametrize("value, cell", [
    ("=SUM(A1)", "'=SUM(A1)"), ("+1", "'+1"), ("-2", "'-2"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("plain", "plain"), (3.5, "3.5"), (4.0, "4"), (4.6000000001, "4.6"), (None, ""), (7, "7"), (True, "Yes")])
def test_safe_cell_defuses_formulas(value, cell):
    assert safe_cell(value) == cell


def test_to_csv_is_utf8_with_bom_and_round_trips():
    content = to_csv(["Name", "Note"], [["Zoë", 'say "hi", then\nleave'], ["=1+1", 2.5]])
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows == [["Name", "Note"], ["Zoë", 'say "hi", then\nleave'], ["'=1+1", "2.5"]]


LEAK_SCHEMA = {"sections": [{"key": "s", "fields": [
    {"key": "story", "type": "long_text", "label": "Story"},
    {"key": "contact", "type": "short_text", "label": "Contact", "identifying": True}]}]}


def test_identity_leaks_lists_each_value_found_apart_from_longer_ones():
    from portal.applications.blind import identity_leaks

    application = {"id": 3, "title": "", "answers": {
        "contact": "Rosa Martinez",
        "story": "The City of Boise and Boise State; write to rosa@boise.example or ask Rosa Martinez."}}
    assert identity_leaks(LEAK_SCHEMA, application, "City of Boise", ["boise.example"]) == [
        {"field": "Story", "value": "City of Boise"}, {"field": "Story", "value": "Rosa Martinez"},
        {"field": "Story", "value": "boise.example"}, {"field": "Story", "value": "Boise"}]


def test_identity_leaks_ignores_values_inside_other_words_and_hidden_titles():
    from portal.applications.blind import identity_leaks

    application = {"id": 3, "title": "Open Doors Boise", "answers": {"story": "Boisenberry jam for founders."}}
    assert identity_leaks(LEAK_SCHEMA, application, "City of Boise", []) == []
