"""Forms as data: parsing drafts, checking submissions, the amount requested, and the rendered inputs."""

from __future__ import annotations

import pytest

from portal.core.templating import environment
from portal.programs import formdef

FIELDS = [
    {"key": "title", "type": "short_text", "label": "Title", "required": True, "max_chars": 10},
    {"key": "story", "type": "long_text", "label": "Story", "required": True, "max_words": 3},
    {"key": "count", "type": "number", "label": "Count", "integer": True, "min": 1, "max": 100},
    {"key": "ratio", "type": "number", "label": "Ratio"},
    {"key": "amount", "type": "currency", "label": "Amount", "required": True, "requested_amount": True,
     "min_cents": 100, "max_cents": 5_000_000},
    {"key": "other_money", "type": "currency", "label": "Match"},
    {"key": "start", "type": "date", "label": "Start"},
    {"key": "focus", "type": "select", "label": "Focus", "required": True,
     "options": [{"value": "a", "label": "Option A"}, {"value": "b", "label": "Option B"}]},
    {"key": "attest", "type": "checkbox", "label": "I confirm", "required": True},
    {"key": "budget", "type": "file", "label": "Budget", "required": True},
]
SCHEMA = {"sections": [{"key": "main", "title": "Main", "fields": FIELDS}]}


def draft(**values):
    return formdef.validate_draft(SCHEMA, values)


def test_short_text_is_stripped_and_limited():
    assert draft(title="  Parks  ")[0]["title"] == "Parks"
    answers, errors = draft(title="x" * 11)
    assert errors == {"title": "Use at most 10 characters (you have 11)"}
    assert answers["title"] == "x" * 11


def test_long_text_word_limit_keeps_the_text():
    answers, errors = draft(story="one two three four")
    assert errors == {"story": "Use at most 3 words (you have 4)"}
    assert answers["story"] == "one two three four"
    assert draft(story="one\r\ntwo three")[0]["story"] == "one\ntwo three"


def test_number_integer_and_decimal():
    assert draft(count="1,200")[0]["count"] == 1200
    assert draft(ratio="2.5")[0]["ratio"] == 2.5
    assert draft(ratio="3.0")[0]["ratio"] == 3
    assert draft(count="2.5")[1] == {"count": "Enter a whole number, without decimals"}
    answers, errors = draft(count="twelve")
    assert (answers["count"], errors) == ("twelve", {"count": "Enter a whole number"})


def test_currency_in_dollars_becomes_cents():
    assert draft(amount="$25,000")[0]["amount"] == 2_500_000
    assert draft(amount="1250.5")[0]["amount"] == 125_050
    assert draft(amount="0.07")[0]["amount"] == 7
    for bad in ("12.345", "-5", "1,00", "ten dollars", "1e5"):
        answers, errors = draft(amount=bad)
        assert (answers["amount"], list(errors)) == (bad, ["amount"])


def test_date_iso_or_us_format():
    assert draft(start="2027-01-15")[0]["start"] == "2027-01-15"
    assert draft(start="01/15/2027")[0]["start"] == "2027-01-15"
    assert draft(start="2027-02-30")[1] == {"start": "Enter a real date, like 2027-01-15"}


def test_select_refuses_unknown_option():
    assert draft(focus="b")[0]["focus"] == "b"
    answers, errors = draft(focus="z")
    assert (answers["focus"], errors) == ("z", {"focus": "Choose one of the options"})


def test_checkbox_is_a_bool():
    assert draft(attest="yes")[0]["attest"] is True
    assert draft()[0]["attest"] is False


def test_draft_never_requires_and_leaves_empty_fields_out():
    answers, errors = draft(title="", story="   ", amount="")
    assert errors == {}
    assert answers == {"attest": False}


def test_draft_ignores_file_fields_and_repeated_values():
    answers, errors = draft(budget="evil.pdf", title=["first", "last"])
    assert "budget" not in answers
    assert answers["title"] == "last"


VALID = {"title": "Parks", "story": "Kids play", "count": 5, "amount": 10_000, "start": "2027-01-01", "focus": "a",
         "attest": True}
A_FILE = [{"field_key": "budget", "id": 1}]


def test_submission_errors_none_when_complete():
    assert formdef.submission_errors(SCHEMA, VALID, A_FILE) == {}


def test_submission_errors_lists_every_required_field():
    errors = formdef.submission_errors(SCHEMA, {"attest": False}, [])
    assert errors == {"title": "Answer this question", "story": "Answer this question",
                      "amount": "Answer this question", "focus": "Choose an option",
                      "attest": "Tick this box to confirm", "budget": "Upload a file"}


def test_submission_errors_checks_limits():
    answers = dict(VALID, count=101, amount=50, story="a b c d", focus="gone")
    errors = formdef.submission_errors(SCHEMA, answers, A_FILE + [{"field_key": "budget", "id": 2}])
    assert errors == {"count": "Enter a number of at most 100", "amount": "Enter at least $1",
                      "story": "Use at most 3 words (you have 4)", "focus": "Choose one of the options",
                      "budget": "Upload only one file here: remove the others"}


def test_requested_cents_reads_the_marked_field():
    assert formdef.requested_cents(SCHEMA, VALID) == 10_000
    assert formdef.requested_cents(SCHEMA, {}) == 0
    assert formdef.requested_cents({"sections": []}, VALID) == 0


def test_check_schema_finds_reserved_and_duplicate_keys():
    bad = {"sections": [{"key": "s", "title": "S", "fields": [
        {"key": "version", "type": "short_text", "label": "V"},
        {"key": "a", "type": "colour", "label": "A"}, {"key": "a", "type": "select", "label": "A2"}]}]}
    assert len(formdef.check_schema(bad)) == 4
    assert formdef.check_schema(SCHEMA) == []


def test_cents_to_dollars():
    assert (formdef.cents_to_dollars(2_500_000), formdef.cents_to_dollars(1050)) == ("25,000", "10.50")


def render(source: str, **context) -> str:
    context.setdefault("csrf_token", lambda: "token")
    return environment().from_string(source).render(**context)


FIELDS_TEMPLATE = ('{% from "components/formfields.html" import form_fields, upload_forms with context %}'
                   '{{ form_fields(schema, answers, errors, files, file_url="/f/") }}{{ upload_forms(schema, "/up") }}')


def test_form_fields_render_every_type_with_labels():
    html = render(FIELDS_TEMPLATE, schema=SCHEMA, answers=VALID, errors={}, files=[])
    for field in FIELDS:
        assert f'for="field-{field["key"]}"' in html
    assert 'name="amount" type="text" inputmode="decimal" value="100"' in html
    assert 'type="date" value="2027-01-01"' in html
    assert '<option value="a" selected>Option A</option>' in html
    assert 'name="attest" value="yes" checked' in html
    assert "Up to 3 words." in html
    assert 'form="upload-budget"' in html and 'id="upload-budget"' in html


def test_form_fields_show_errors_and_typed_values_escaped():
    answers, errors = draft(count="<b>12</b>", amount="$25,000.5")
    html = render(FIELDS_TEMPLATE, schema=SCHEMA, answers=answers, errors=errors, files=[])
    assert 'id="error-count"' in html and 'aria-invalid="true"' in html
    assert 'value="&lt;b&gt;12&lt;/b&gt;"' in html
    assert 'value="25,000.50"' in html


ANSWERS_TEMPLATE = ('{% from "components/answers.html" import answers_view %}'
                    '{{ answers_view(schema, answers, files, hide_identifying=hide, file_url="/f/") }}')


@pytest.mark.parametrize("hide", [False, True])
def test_answers_view_formats_values_and_hides_identifying(hide):
    schema = {"sections": [{"key": "s", "title": "S", "fields": [*FIELDS, {"key": "who", "type": "short_text",
                                                                            "label": "Who", "identifying": True}]}]}
    answers = dict(VALID, story="<script>x</script>", who="Ann Lee", amount=2_500_050)
    html = render(ANSWERS_TEMPLATE, schema=schema, answers=answers, hide=hide,
                  files=[{"id": 7, "field_key": "budget", "original_name": "plan.pdf", "size_bytes": 2048}])
    assert "$25,000.50" in html
    assert "January 1, 2027" in html
    assert "Option A" in html and "Yes" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert '<a class="usa-link" href="/f/7" download>plan.pdf</a>' in html
    assert ("Ann Lee" in html, "Hidden for blind review" in html) == (not hide, hide)
