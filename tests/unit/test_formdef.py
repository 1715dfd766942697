"""Forms as data: parsing drafts, checking submissions, the amount requested, and the rendered inputs."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.core.templating import environment
from portal.programs import formdef
from tests.factories.hostile_json import JSON, mutated

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


# --- every field type (issue 3) -------------------------------------------------------------------------

STATES = [{"value": "yes", "label": "Yes"}]
CATEGORIES = [{"value": "personnel", "label": "Personnel"}, {"value": "supplies", "label": "Supplies"}]
PARTNER_TYPES = [{"value": "library", "label": "Library"}, {"value": "nonprofit", "label": "Nonprofit"}]
FULL = {"sections": [
    {"key": "about", "title": "About", "fields": [
        {"key": "intro", "type": "instructions", "label": "Read me", "text": "Plain words."},
        {"key": "name", "type": "short_text", "label": "Name", "required": True, "max_chars": 20},
        {"key": "email", "type": "email", "label": "Email", "required": True},
        {"key": "phone", "type": "phone", "label": "Phone"},
        {"key": "site", "type": "url", "label": "Web page"},
        {"key": "address", "type": "address", "label": "Address", "required": True},
        {"key": "rate", "type": "percentage", "label": "Rate", "required": True},
    ]},
    {"key": "plan", "title": "Plan", "fields": [
        {"key": "areas", "type": "multi_select", "label": "Areas", "required": True, "max_choices": 2,
         "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}, {"value": "c", "label": "C"}]},
        {"key": "kind", "type": "select", "label": "Kind", "required": True,
         "options": [{"value": "x", "label": "X"}, {"value": "other", "label": "Other"}]},
        {"key": "kind_other", "type": "short_text", "label": "Other kind", "required": True,
         "show_if": {"field": "kind", "equals": "other"}},
        {"key": "has_partners", "type": "yes_no", "label": "Partners?", "required": True},
        {"key": "partners", "type": "group", "label": "Partners", "required": True, "min_rows": 1, "max_rows": 3,
         "show_if": {"field": "has_partners", "equals": True}, "fields": [
             {"key": "name", "type": "short_text", "label": "Name", "required": True, "max_chars": 50},
             {"key": "type", "type": "select", "label": "Type", "required": True, "options": PARTNER_TYPES},
             {"key": "role", "type": "short_text", "label": "Role"}]},
        {"key": "budget", "type": "budget", "label": "Budget", "required": True, "requested_amount": True,
         "cost_share": True, "categories": CATEGORIES, "max_cents": 10_000_000},
        {"key": "attest", "type": "attestation", "label": "Attestation", "statement": "It is true.",
         "required": True},
        {"key": "upload", "type": "file", "label": "File"},
    ]},
]}
COMPLETE_FORM = {
    "name": "Ann", "email": "Ann@City.GOV", "phone": "(555) 123-4567", "site": "https://city.gov/plan",
    "address.street": "1 Main St", "address.city": "Springfield", "address.state": "il", "address.zip": "62701",
    "rate": "12.5%", "areas": ["a", "c"], "kind": "x", "has_partners": "yes",
    "partners.0.name": "Library", "partners.0.type": "library", "partners.0.role": "Space",
    "budget.0.category": "personnel", "budget.0.description": "Coordinator", "budget.0.amount": "2,000",
    "budget.0.cost_share": "500", "budget.1.category": "supplies", "budget.1.description": "Diapers",
    "budget.1.amount": "1,000.50", "budget.2.category": "", "budget.2.amount": "", "attest": "yes",
}


def full(data, keys=None):
    """Parse like an autosave: only the fields the data names (or `keys`)."""
    return formdef.validate_draft(FULL, data, formdef.posted_field_keys(FULL, data) if keys is None else keys)


def test_full_form_parses_every_type():
    answers, errors = full(COMPLETE_FORM)
    assert errors == {}
    assert answers == {
        "name": "Ann", "email": "Ann@city.gov", "phone": "+1 555 123 4567", "site": "https://city.gov/plan",
        "address": {"street": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701"},
        "rate": 12.5, "areas": ["a", "c"], "kind": "x", "has_partners": True,
        "partners": [{"name": "Library", "type": "library", "role": "Space"}],
        "budget": [{"category": "personnel", "description": "Coordinator", "amount": 200_000, "cost_share": 50_000},
                   {"category": "supplies", "description": "Diapers", "amount": 100_050}],
        "attest": True,
    }
    assert formdef.submission_errors(FULL, answers, []) == {}
    assert formdef.requested_cents(FULL, answers) == 300_050


def test_full_form_check_schema_is_sound():
    assert formdef.check_schema(FULL) == []


@pytest.mark.parametrize("typed, stored", [
    ("50", 50), ("0", 0), ("100", 100), ("12.5", 12.5), (" 7 % ", 7), ("99.99%", 99.99)])
def test_percentage_accepts_0_to_100_with_decimals(typed, stored):
    assert full({"rate": typed}) == ({"rate": stored}, {})


@pytest.mark.parametrize("typed", ["101", "-1", "abc", "12,5.5", "1e3", "%"])
def test_percentage_refuses_out_of_range_and_garbage(typed):
    answers, errors = full({"rate": typed})
    assert list(errors) == ["rate"] and answers == {"rate": typed.strip()}


@pytest.mark.parametrize("typed, stored", [
    ("555-123-4567", "+1 555 123 4567"), ("(555) 123-4567", "+1 555 123 4567"), ("555.123.4567", "+1 555 123 4567"),
    ("+1 555 123 4567", "+1 555 123 4567"), ("1-555-123-4567", "+1 555 123 4567"), ("5551234567", "+1 555 123 4567")])
def test_phone_accepts_common_us_formats(typed, stored):
    assert full({"phone": typed}) == ({"phone": stored}, {})


@pytest.mark.parametrize("typed", ["123", "555-123-456", "055 123 4567", "+44 20 7946 0958", "call me", "5551234567x"])
def test_phone_refuses_what_is_not_a_us_number(typed):
    assert list(full({"phone": typed})[1]) == ["phone"]


@pytest.mark.parametrize("typed, stored", [
    ("name@city.gov", "name@city.gov"), ("First.Last@Sub.City.GOV", "First.Last@sub.city.gov"),
    (" a+b@x.org ", "a+b@x.org")])
def test_email_accepts_addresses_and_lowers_the_domain(typed, stored):
    assert full({"email": typed}) == ({"email": stored}, {})


@pytest.mark.parametrize("typed", ["name", "name@", "@city.gov", "a@b", "a b@city.gov", "a@@city.gov",
                                   "a@city..gov", "<a@city.gov>", "x" * 250 + "@city.gov"])
def test_email_refuses_malformed(typed):
    assert list(full({"email": typed})[1]) == ["email"]


@pytest.mark.parametrize("typed, stored", [
    ("https://www.city.gov", "https://www.city.gov"), ("http://city.gov/a?b=c#d", "http://city.gov/a?b=c#d"),
    ("city.gov/plan", "https://city.gov/plan"), ("HTTPS://City.gov", "HTTPS://City.gov")])
def test_url_accepts_http_and_https(typed, stored):
    assert full({"site": typed}) == ({"site": stored}, {})


@pytest.mark.parametrize("typed", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>",
                                   "vbscript:x", "ftp://city.gov", "https://", "https://localhost",
                                   "https://exa mple.com", "file:///etc/passwd", "//evil.example/x",
                                   "https://city.gov/\u202e", "https://[::1]/", "mailto:a@b.gov"])
def test_url_refuses_other_schemes_and_odd_hosts(typed):
    assert list(full({"site": typed})[1]) == ["site"]


def test_multi_select_keeps_option_order_and_refuses_unknown_values():
    assert full({"areas": ["c", "a"]}) == ({"areas": ["a", "c"]}, {})
    answers, errors = full({"areas": ["a", "zzz"]})
    assert answers == {"areas": ["a"]} and errors == {"areas": "Choose only from the options"}


def test_multi_select_max_choices_at_submission():
    errors = formdef.submission_errors(FULL, {"areas": ["a", "b", "c"]}, [])
    assert errors["areas"] == "Choose at most 2"


def test_yes_no_is_a_bool_or_absent():
    assert full({"has_partners": "yes"})[0] == {"has_partners": True}
    assert full({"has_partners": "no"})[0] == {"has_partners": False}
    assert full({"has_partners": ""})[0] == {}
    assert full({"has_partners": "maybe"})[1] == {"has_partners": "Choose yes or no"}


def test_yes_no_false_counts_as_answered_at_submission():
    answers = full(COMPLETE_FORM | {"has_partners": "no"})[0]
    assert "has_partners" not in formdef.submission_errors(FULL, answers, [])


def test_attestation_must_be_ticked_when_required():
    answers = full(COMPLETE_FORM | {"attest": ""})[0]
    assert answers["attest"] is False
    assert formdef.submission_errors(FULL, answers, []) == {"attest": "Tick this box to confirm"}


def test_address_normalises_state_and_zip():
    data = {"address.street": " 1 Main ", "address.city": "X", "address.state": "dc", "address.zip": "123456789"}
    assert full(data)[0]["address"] == {"street": "1 Main", "city": "X", "state": "DC", "zip": "12345-6789"}
    assert full({"address.zip": "12345 6789"})[0]["address"] == {"zip": "12345-6789"}
    assert full({"address.state": "PR"})[1] == {}  # territories count


def test_address_refuses_bad_state_and_zip_keeping_what_was_typed():
    answers, errors = full({"address.street": "1 Main", "address.state": "ZZ", "address.zip": "1234"})
    assert answers["address"] == {"street": "1 Main", "state": "ZZ", "zip": "1234"}
    assert errors == {"address": "Choose a state from the list; enter a 5-digit ZIP code, or 9 digits like 12345-6789"}


def test_address_incomplete_is_a_draft_but_not_submittable():
    answers, errors = full({"address.street": "1 Main", "address.city": "Springfield"})
    assert errors == {}
    assert formdef.submission_errors(FULL, answers, [])["address"] == "Enter the state and ZIP code"


def test_address_street2_is_optional():
    answers = full(COMPLETE_FORM)[0]
    assert "street2" not in answers["address"]
    assert "address" not in formdef.submission_errors(FULL, answers, [])


def test_budget_totals_by_category_and_overall():
    rows = full(COMPLETE_FORM | {"budget.5.category": "personnel", "budget.5.description": "Analyst",
                                 "budget.5.amount": "100"})[0]["budget"]
    assert formdef.budget_totals(rows) == {
        "by_category": {"personnel": {"amount": 210_000, "cost_share": 50_000},
                        "supplies": {"amount": 100_050, "cost_share": 0}},
        "amount": 310_050, "cost_share": 50_000}


def test_budget_rows_keep_the_posted_order_and_drop_empty_rows():
    data = {"budget.10.description": "Third", "budget.2.description": "Second", "budget.0.description": "First",
            "budget.1.description": "  ", "budget.1.amount": ""}
    assert [r["description"] for r in full(data)[0]["budget"]] == ["First", "Second", "Third"]


def test_budget_malformed_amount_and_category_are_errors_keeping_the_text():
    answers, errors = full({"budget.0.category": "travel", "budget.0.amount": "lots", "budget.0.description": "x"})
    assert answers["budget"] == [{"category": "travel", "description": "x", "amount": "lots"}]
    assert errors == {"budget": "Line 1: choose a category from the list; line 1: enter the amount in dollars, "
                                "like 2,500"}


def test_budget_incomplete_row_is_a_draft_but_not_submittable():
    answers, errors = full(COMPLETE_FORM | {"budget.3.description": "Only words"})
    assert errors == {}
    assert formdef.submission_errors(FULL, answers, [])["budget"] == (
        "Line 3: choose a category; line 3: enter the amount in dollars")


def test_budget_total_over_the_limit_at_submission():
    answers = full(COMPLETE_FORM | {"budget.0.amount": "100,000"})[0]
    assert formdef.submission_errors(FULL, answers, [])["budget"] == (
        "The total must be at most $100,000 (it is $101,000.50)")


def test_budget_cost_share_is_ignored_when_the_table_has_none():
    schema = {"sections": [{"key": "s", "title": "S", "fields": [
        {"key": "b", "type": "budget", "label": "B", "categories": CATEGORIES}]}]}
    answers, _ = formdef.validate_draft(schema, {"b.0.amount": "5", "b.0.cost_share": "9"})
    assert answers == {"b": [{"amount": 500}]}


def test_requested_cents_derives_from_the_budget_and_a_hidden_field_counts_zero():
    assert formdef.requested_cents(FULL, {"budget": [{"amount": 100}, {"amount": 250}, {"amount": "bad"}]}) == 350
    assert formdef.requested_cents(FULL, {}) == 0
    schema = {"sections": [{"key": "s", "title": "S", "fields": [
        {"key": "ask", "type": "yes_no", "label": "Ask?"},
        {"key": "amount", "type": "currency", "label": "A", "requested_amount": True,
         "show_if": {"field": "ask", "equals": True}}]}]}
    assert formdef.requested_cents(schema, {"ask": True, "amount": 500}) == 500
    assert formdef.requested_cents(schema, {"ask": False, "amount": 500}) == 0


def test_group_rows_parse_sub_fields_by_type():
    data = {"partners.0.name": "A", "partners.0.type": "nonprofit", "partners.1.name": "B",
            "partners.1.type": "bogus", "partners.2.name": "", "partners.2.role": ""}
    answers, errors = full(data)
    assert answers["partners"] == [{"name": "A", "type": "nonprofit"}, {"name": "B", "type": "bogus"}]
    assert errors == {"partners": "Row 2, Type: choose one of the options"}


def test_group_min_and_max_rows_and_required_sub_fields_at_submission():
    base = full(COMPLETE_FORM)[0]
    assert formdef.submission_errors(FULL, base | {"partners": []}, [])["partners"] == "Add at least 1 row"
    assert formdef.submission_errors(FULL, base | {"partners": None}, [])["partners"] == "Add at least 1 row"
    four = [{"name": str(n), "type": "library"} for n in range(4)]
    assert formdef.submission_errors(FULL, base | {"partners": four}, [])["partners"] == "Use at most 3 rows"
    assert formdef.submission_errors(FULL, base | {"partners": [{"role": "x"}]}, [])["partners"] == (
        "Row 1: enter the name; row 1: enter the type")


def test_group_over_max_rows_is_malformed_in_a_draft():
    data = {f"partners.{n}.name": f"P{n}" for n in range(5)}
    assert full(data)[1] == {"partners": "Use at most 3 rows"}


def test_condition_false_field_is_not_required_and_not_checked():
    answers = full(COMPLETE_FORM | {"has_partners": "no"})[0] | {"partners": "garbage"}
    assert formdef.submission_errors(FULL, answers, []) == {}


def test_condition_true_field_is_required():
    answers = full(COMPLETE_FORM | {"kind": "other"})[0]
    assert formdef.submission_errors(FULL, answers, []) == {"kind_other": "Answer this question"}


def test_condition_with_in_and_on_multi_select_answers():
    schema = {"sections": [{"key": "s", "title": "S", "fields": [
        {"key": "areas", "type": "multi_select", "label": "Areas",
         "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]},
        {"key": "why", "type": "short_text", "label": "Why", "required": True,
         "show_if": {"field": "areas", "in": ["b", "z"]}}]}]}
    assert formdef.submission_errors(schema, {"areas": ["a"]}, []) == {}
    assert formdef.submission_errors(schema, {"areas": ["a", "b"]}, []) == {"why": "Answer this question"}


def test_condition_chained_on_a_hidden_field_is_hidden():
    schema = {"sections": [{"key": "s", "title": "S", "fields": [
        {"key": "a", "type": "yes_no", "label": "A"},
        {"key": "b", "type": "yes_no", "label": "B", "show_if": {"field": "a", "equals": True}},
        {"key": "c", "type": "short_text", "label": "C", "required": True,
         "show_if": {"field": "b", "equals": True}}]}]}
    assert formdef.submission_errors(schema, {"a": False, "b": True}, []) == {}
    assert formdef.submission_errors(schema, {"a": True, "b": True}, []) == {"c": "Answer this question"}


def test_condition_does_not_confuse_true_with_the_string_true():
    field = {"key": "x", "show_if": {"field": "has_partners", "equals": True}}
    assert formdef.is_shown(FULL, field, {"has_partners": "True"}) is False
    assert formdef.condition_form_values(field) == ["yes"]


def test_validate_draft_with_keys_parses_only_those_fields():
    answers, errors = full(COMPLETE_FORM | {"email": "broken"}, keys={"name", "budget"})
    assert set(answers) == {"name", "budget"} and errors == {}


def test_validate_draft_with_keys_saves_unticked_boxes_and_choices_as_empty():
    assert full({}, keys={"attest", "areas", "has_partners", "address", "budget"}) == (
        {"attest": False, "areas": []}, {})


def test_validate_draft_keys_ignore_instructions_files_and_unknown_keys():
    assert full({"intro": "x", "upload": "y", "nope": "z"}, keys={"intro", "upload", "nope"}) == ({}, {})


def test_posted_field_keys_maps_compound_names_to_their_field():
    data = {"name": "A", "address.city": "X", "budget.0.amount": "1", "partners.12.name": "P", "version": "3",
            "step": "plan", "_csrf": "t", "intro": "x", "upload": "y", "nope.0.x": "z"}
    assert formdef.posted_field_keys(FULL, data) == {"name", "address", "budget", "partners"}


def test_section_field_keys_lists_answer_fields_of_one_section():
    assert formdef.section_field_keys(FULL, "about") == ["name", "email", "phone", "site", "address", "rate"]
    assert formdef.section_field_keys(FULL, "nope") == []
    assert formdef.section_of(FULL, "budget") == "plan"


def test_check_schema_validates_the_options_of_new_types():
    bad = {"sections": [{"key": "s", "title": "S", "fields": [
        {"key": "m", "type": "multi_select", "label": "M"},
        {"key": "b", "type": "budget", "label": "B"},
        {"key": "g", "type": "group", "label": "G", "fields": [{"key": "x", "type": "file", "label": "X"},
                                                               {"key": "x", "type": "select", "label": "Y"}]},
        {"key": "i", "type": "instructions", "label": "I"},
        {"key": "c", "type": "short_text", "label": "C", "show_if": {"field": "missing", "equals": 1}},
        {"key": "d", "type": "short_text", "label": "D", "show_if": {"field": "m"}},
        {"key": "e", "type": "number", "label": "E", "requested_amount": True, "max_rows": -1},
        {"key": "step", "type": "short_text", "label": "Reserved"},
    ]}]}
    assert formdef.check_schema(bad) == [
        "Field 'm' needs options (a list of value and label).",
        "Budget table 'b' needs categories (a list of value and label).",
        "Repeating group 'g' uses a sub-field key twice.",
        "Sub-field g.x has a type a group cannot hold: 'file'.",
        "Sub-field g.x needs options.",
        "Instructions 'i' need a text.",
        "Field 'e': only a currency field or a budget table can be the amount requested.",
        "Field 'e': max_rows must be a whole number of at least 0.",
        "Field key 'step' must be lower-case letters, digits and _ (and not a reserved name).",
        "Field 'c': show_if names an unknown field 'missing'.",
        "Field 'd': show_if needs a field and `equals` or `in`.",
    ]


def test_check_schema_counts_a_budget_as_a_requested_amount():
    schema = {"sections": [{"key": "s", "title": "S", "fields": [
        {"key": "a", "type": "currency", "label": "A", "requested_amount": True},
        {"key": "b", "type": "budget", "label": "B", "requested_amount": True, "categories": CATEGORIES}]}]}
    assert formdef.check_schema(schema) == ["Only one currency field or budget table can be the amount requested."]


def test_check_schema_refuses_malformed_sections():
    assert formdef.check_schema({"sections": ["x"]}) == ["Every section needs a key, a title and a list of fields."]
    assert formdef.check_schema({"sections": [{"key": "review", "title": "R", "fields": []}]}) == [
        "Section key 'review' must be lower-case letters, digits and _ (and not 'review')."]
    assert formdef.check_schema([]) == ["The form needs a list of sections."]


# --- hostile input: never an exception, only the documented (answers, errors) ----------------------------

HOSTILE_VALUES = [
    ["a", "b"], [], [["nested"]], {"a": 1}, 12, None, True, b"bytes", "\x00", "a\x00b", "x" * 200_000,
    "\u202e\u0000\ud800" if False else "\u202egnp.exe", "１２３", "٣", "𝟘", "-0", "1" * 400, "1e400", "NaN",
    "Infinity", "0x10", "$-5", "2027-02-30", "99999-01-01", "12/31/99999", " ", "\n\n", "<script>alert(1)</script>",
    "' OR 1=1 --", "{{ 7*7 }}", "ß" * 50, "🙂" * 30,
]


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=range(len(HOSTILE_VALUES)))
def test_validate_draft_survives_hostile_values_in_every_name(value):
    names = list(COMPLETE_FORM) + ["intro", "upload", "budget.999.amount", "budget.1000.amount", "partners.x.name",
                                   "partners.-1.name", "address", "budget", "partners", "areas.0"]
    data = {name: value for name in names}
    answers, errors = full(data)
    assert isinstance(answers, dict) and isinstance(errors, dict)
    assert all(isinstance(message, str) and message for message in errors.values())
    assert isinstance(formdef.submission_errors(FULL, answers, []), dict)
    assert isinstance(formdef.requested_cents(FULL, answers), int)
    assert isinstance(formdef.posted_field_keys(FULL, data), set)


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=range(len(HOSTILE_VALUES)))
def test_submission_errors_survives_hostile_stored_answers(value):
    answers = {f["key"]: value for f in formdef.iter_fields(FULL)}
    answers["partners"] = [value, {"name": value, "type": value}]
    answers["budget"] = [value, {"category": value, "amount": value, "cost_share": value}]
    answers["address"] = {"street": value, "state": value, "zip": value}
    errors = formdef.submission_errors(FULL, answers, [])
    assert isinstance(errors, dict) and all(isinstance(m, str) for m in errors.values())
    assert isinstance(formdef.requested_cents(FULL, answers), int)
    assert isinstance(formdef.budget_totals(answers["budget"]), dict)


def test_nul_bytes_are_removed_from_text():
    assert full({"name": "A\x00nn"})[0] == {"name": "Ann"}


def test_unicode_text_is_kept_and_counted_in_characters():
    assert full({"name": "Zoë 東京 🙂"})[0] == {"name": "Zoë 東京 🙂"}
    assert full({"name": "🙂" * 21})[1] == {"name": "Use at most 20 characters (you have 21)"}


def test_unicode_digits_are_not_numbers():
    assert list(full({"rate": "１２"})[1]) == ["rate"]
    assert list(full({"budget.0.amount": "١٠٠"})[1]) == ["budget"]


def test_huge_row_numbers_are_ignored():
    assert full({"budget.123456.amount": "5", "partners.1000.name": "x"}) == ({}, {})


def test_lists_where_a_string_is_expected_take_the_last_value():
    assert full({"name": ["First", "Last"], "email": [["x"], "a@b.gov"]})[0] == {"name": "Last", "email": "a@b.gov"}


def test_hostile_schema_values_do_not_break_reading():
    schema = {"sections": [None, {"fields": [None, {"key": "k", "type": "select", "label": "K", "options": "x"}]}]}
    assert formdef.validate_draft(schema, {"k": "x"}) == ({"k": "x"}, {"k": "Choose one of the options"})
    assert formdef.submission_errors(schema, "not a dict", []) == {}  # type: ignore[arg-type]


# --- rendering the new types ------------------------------------------------------------------------------

def test_form_fields_render_every_new_type_with_compound_names():
    answers = full(COMPLETE_FORM)[0]
    html = render_macro("components/formfields.html", "form_fields", FULL, answers, {})
    for name in ("address.street", "address.state", "address.zip", "budget.0.amount", "budget.1.cost_share",
                 "budget.2.category", "partners.0.name", "partners.1.type", 'name="areas" value="c"',
                 'name="has_partners" value="no"', 'name="attest" value="yes"'):
        assert name in html, name
    assert 'data-testid="budget-total-budget">$3,000.50<' in html
    assert 'data-total-category="personnel">$2,000<' in html
    assert 'value="2,000"' in html and "It is true." in html and "Plain words." in html
    assert "data-show-if-field=\"has_partners\" data-show-if-values='[\"yes\"]'" in html
    assert "Answer this only if the answer to “Partners?” is “Yes”." in html
    assert 'id="field-address"' in html and 'id="field-budget"' in html and 'id="field-partners"' in html


def test_form_fields_render_one_step_only():
    html = render_macro("components/formfields.html", "form_fields", FULL, {}, {}, step="about")
    assert 'name="name"' in html and 'name="kind"' not in html


def test_form_fields_keep_a_cross_step_conditional_field_hidden_when_false():
    schema = {"sections": [
        {"key": "one", "title": "One", "fields": [{"key": "ask", "type": "yes_no", "label": "Ask?"}]},
        {"key": "two", "title": "Two", "fields": [
            {"key": "why", "type": "short_text", "label": "Why", "show_if": {"field": "ask", "equals": True}}]}]}
    hidden = render_macro("components/formfields.html", "form_fields", schema, {"ask": False, "why": "kept"}, {},
                          step="two")
    assert 'value="kept"' in hidden and " hidden>" in hidden
    shown = render_macro("components/formfields.html", "form_fields", schema, {"ask": True}, {}, step="two")
    assert " hidden>" not in shown.split('data-testid="field-why"')[1].split("\n")[0]


def test_form_fields_render_typed_garbage_in_rows_escaped():
    answers = full({"budget.0.amount": "<b>x</b>", "partners.0.name": '"><script>'})[0]
    html = render_macro("components/formfields.html", "form_fields", FULL, answers, {"budget": "bad"})
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html and "<script>" not in html


def test_answers_view_formats_every_new_type():
    answers = full(COMPLETE_FORM)[0]
    html = render_macro("components/answers.html", "answers_view", FULL, answers)
    for text in ("+1 555 123 4567", "12.5%", "Springfield, IL 62701", "$3,000.50", "Total for Personnel",
                 "Library", 'href="https://city.gov/plan"', "Does not apply", "A</li>", "C</li>"):
        assert text in html, text
    assert "Plain words." not in html  # instructions are not answers


def test_step_indicator_marks_current_and_errors_in_words():
    html = render_macro("components/formfields.html", "step_indicator", FULL, "plan", {}, {"email": "Bad"}, [],
                        "/applications/1")
    assert 'aria-current="step" data-testid="step-plan"' in html
    assert 'data-testid="step-problems-about">1 problem<' in html
    assert 'href="/applications/1?step=review"' in html


def render_macro(template: str, macro: str, *args, **kwargs) -> str:
    """Call one macro of a components template with these arguments."""
    source = f'{{% from "{template}" import {macro} with context %}}{{{{ {macro}(*args, **kwargs) }}}}'
    return render(source, args=args, kwargs=kwargs)


def test_typed_entries_lists_every_input_with_its_label():
    data = {"name": " Ann ", "address.city": "X", "budget.0.amount": "5", "areas": ["a", "c"], "version": "2",
            "intro": "x", "rate": ""}
    assert formdef.typed_entries(FULL, data) == {"Name": "Ann", "Address (city)": "X", "Areas": "a, c",
                                                 "Budget (row 1, amount)": "5"}


# --- a hostile schema (issue 13): every problem, with where it is, and never an exception ----------------------

def one_section(*fields: object) -> dict:
    return {"sections": [{"key": "s", "title": "S", "fields": list(fields)}]}


def problems_of(schema: object, kind: str = "application") -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in formdef.schema_problems(schema, kind)]


TEXT = {"type": "short_text", "label": "T"}
YES_NO = {"type": "yes_no", "label": "Y"}
PICK = {"type": "select", "label": "P", "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]}
ROW = [{"key": "name", "type": "short_text", "label": "Name"}]


def test_schema_problems_survives_a_condition_on_a_field_of_a_malformed_type():
    schema = one_section({**TEXT, "key": "a", "type": ["x"]}, {**TEXT, "key": "b", "show_if": {"field": "a", "equals": "x"}})
    assert problems_of(schema) == [("sections[0].fields[0].type", "Field 'a' has an unknown type ['x'].")]


def test_schema_problems_refuses_a_limit_that_is_not_a_number():
    group = {"key": "g", "type": "group", "label": "G", "min_rows": 1, "max_rows": "x", "fields": ROW}
    assert problems_of(one_section(group)) == [
        ("sections[0].fields[0].max_rows", "Field 'g': max_rows must be a whole number of at least 0.")]


def test_schema_problems_refuses_limits_the_wrong_way_round():
    assert problems_of(one_section({"key": "n", "type": "number", "label": "N", "min": 10, "max": 1},
                                   {**PICK, "key": "m", "type": "multi_select", "min_choices": 2, "max_choices": 1})) == [
        ("sections[0].fields[0].min", "Field 'n': min is more than max."),
        ("sections[0].fields[1].min_choices", "Field 'm': min_choices is more than max_choices.")]


def test_schema_problems_refuses_fields_that_are_null():
    assert problems_of({"sections": [{"key": "s", "title": "S", "fields": None}]}) == [
        ("sections[0].fields", "Every section needs a key, a title and a list of fields.")]


def test_schema_problems_refuses_a_list_as_a_key():
    assert problems_of(one_section({**TEXT, "key": ["a"]})) == [
        ("sections[0].fields[0].key",
         "Field key '<list>' must be lower-case letters, digits and _ (and not a reserved name).")]


def test_schema_problems_refuses_a_list_as_the_field_of_a_condition():
    assert problems_of(one_section({**TEXT, "key": "a", "show_if": {"field": ["b"], "equals": "x"}})) == [
        ("sections[0].fields[0].show_if.field", "Field 'a': show_if names an unknown field ['b'].")]


@pytest.mark.parametrize("key", ["two words", "<b>x</b>", '" onmouseover="alert(1)', "A", "", "x" * 81])
def test_schema_problems_refuses_keys_with_spaces_or_html(key):
    assert problems_of(one_section({**TEXT, "key": key})) == [
        ("sections[0].fields[0].key",
         f"Field key {formdef.key_name(key)!r} must be lower-case letters, digits and _ (and not a reserved name).")]


def test_schema_problems_refuses_html_in_labels_and_help():
    schema = one_section({**TEXT, "key": "a", "label": "<script>alert(1)</script>", "help": "<img src=x onerror=y>"},
                         {**TEXT, "key": "b", "label": "Budget < $10,000"})
    assert problems_of(schema) == [
        ("sections[0].fields[0].label", "Field 'a': label must be plain text, without HTML tags."),
        ("sections[0].fields[0].help", "Field 'a': help must be plain text, without HTML tags.")]


def test_schema_problems_caps_labels_and_help():
    schema = one_section({**TEXT, "key": "a", "label": "x" * (formdef.MAX_LABEL_CHARS + 1),
                          "help": "x" * (formdef.MAX_HELP_CHARS + 1)})
    assert problems_of(schema) == [
        ("sections[0].fields[0].label", "Field 'a': label is longer than 500 characters."),
        ("sections[0].fields[0].help", "Field 'a': help is longer than 2,000 characters.")]


def test_schema_problems_caps_options():
    options = [{"value": str(n), "label": f"Option {n}"} for n in range(10_000)]
    assert problems_of(one_section({**PICK, "key": "p", "options": options})) == [
        ("sections[0].fields[0].options", "Field 'p' has 10,000 options; at most 200 are allowed.")]


def test_schema_problems_checks_every_option():
    options = [{"value": "a", "label": "A"}, "b", {"value": "a", "label": "Again"}, {"value": ["c"], "label": "C"},
               {"value": "d"}]
    assert problems_of(one_section({**PICK, "key": "p", "options": options})) == [
        ("sections[0].fields[0].options[1]", "Field 'p': every option must be an object with a value and a label."),
        ("sections[0].fields[0].options[2].value", "Field 'p': option value 'a' is used twice."),
        ("sections[0].fields[0].options[3].value",
         "Field 'p': an option's value must be text or a whole number (1 to 200 characters)."),
        ("sections[0].fields[0].options[4].label", "Field 'p', option 5 needs a label.")]


def test_schema_problems_caps_fields():
    fields = [{**TEXT, "key": f"f{n}"} for n in range(formdef.MAX_FIELDS + 1)]
    assert problems_of(one_section(*fields)) == [("sections", "The form has 201 fields; at most 200 are allowed.")]


def test_schema_problems_refuses_a_schema_of_5_mb_and_reads_nothing_in_it():
    schema = one_section({"key": "a b", "type": "long_text", "label": "x" * 5_000_000})
    [(path, message)] = problems_of(schema)
    assert (path, message.endswith("bytes as JSON; at most 524,288 are allowed.")) == ("", True)


def test_schema_problems_refuses_conditions_in_a_cycle():
    schema = one_section({**YES_NO, "key": "a", "show_if": {"field": "b", "equals": True}},
                         {**YES_NO, "key": "b", "show_if": {"field": "a", "equals": True}})
    assert problems_of(schema) == [
        ("sections[0].fields[0].show_if.field",
         "Field 'a': show_if depends on 'b', which comes later in the form; a condition may only look back."),
        ("sections[0].fields[0].show_if.field",
         "Fields a -> b -> a show each other only in a loop: none of them could ever be shown.")]


def test_schema_problems_refuses_a_condition_on_a_later_field():
    schema = one_section({**TEXT, "key": "a", "show_if": {"field": "b", "equals": "a"}}, {**PICK, "key": "b"})
    assert problems_of(schema) == [
        ("sections[0].fields[0].show_if.field",
         "Field 'a': show_if depends on 'b', which comes later in the form; a condition may only look back.")]


def test_schema_problems_refuses_a_condition_value_that_is_not_an_option():
    schema = one_section({**PICK, "key": "p"}, {**TEXT, "key": "t", "show_if": {"field": "p", "in": ["a", "z"]}},
                         {**YES_NO, "key": "y"}, {**TEXT, "key": "u", "show_if": {"field": "y", "equals": "yes"}})
    assert problems_of(schema) == [
        ("sections[0].fields[1].show_if.in[1]", "Field 't': show_if value 'z' is not one of the options of 'p'."),
        ("sections[0].fields[3].show_if.equals", "Field 'u': show_if on 'y' takes true or false, not 'yes'.")]


def test_schema_problems_refuses_conditions_inside_a_group():
    rows = [*ROW, {"key": "role", "type": "short_text", "label": "Role", "show_if": {"field": "name", "equals": "x"}}]
    assert problems_of(one_section({"key": "g", "type": "group", "label": "G", "fields": rows})) == [
        ("sections[0].fields[0].fields[1].show_if",
         "Sub-field g.role: show_if is not supported inside a repeating group.")]


def test_schema_problems_refuses_files_in_a_report_form():
    schema = one_section({"key": "f", "type": "file", "label": "F"})
    assert problems_of(schema) == []
    assert problems_of(schema, "report") == [
        ("sections[0].fields[0].type", "Field 'f': a report form cannot ask for a file.")]


def test_schema_problems_reports_every_problem_at_once():
    schema = {"sections": [{"key": "s", "title": 7, "fields": [
        {**TEXT, "key": "a", "type": "colour"}, {**TEXT, "key": "a", "label": None}, 5]}, "x"]}
    assert problems_of(schema) == [
        ("sections[0].title", "Section 's': title must be text."),
        ("sections[0].fields[0].type", "Field 'a' has an unknown type 'colour'."),
        ("sections[0].fields[1].key", "Field key 'a' is used twice."),
        ("sections[0].fields[1].label", "Field 'a' needs a label."),
        ("sections[0].fields[2]", "Section 's' has a field that is not an object."),
        ("sections[1]", "Every section needs a key, a title and a list of fields.")]


def test_check_schema_is_the_messages_of_schema_problems():
    schema = one_section({**TEXT, "key": "a", "show_if": {"field": "b", "equals": "a"}}, {**PICK, "key": "b"})
    assert formdef.check_schema(schema) == [p.message for p in formdef.schema_problems(schema)] != []


def test_every_demo_and_factory_schema_has_no_problems():
    from portal.demo import FORMS, REPORT_FORMS
    from tests.factories import APPLICATION_SCHEMA, REPORT_SCHEMA
    from tests.factories.blind import BLIND_SCHEMA

    for slug, schema in FORMS.items():
        assert (slug, formdef.schema_problems(schema)) == (slug, [])
    for slug, schema in REPORT_FORMS.items():
        assert (slug, formdef.schema_problems(schema, "report")) == (slug, [])
    for schema in (APPLICATION_SCHEMA, BLIND_SCHEMA, FULL, SCHEMA):
        assert formdef.schema_problems(schema) == []
    assert formdef.schema_problems(REPORT_SCHEMA, "report") == []


def _demo_schemas() -> list[object]:
    from portal.demo import FORMS, REPORT_FORMS

    return [*FORMS.values(), *REPORT_FORMS.values(), FULL]


# No timing in the outcome: no deadline per example, and no health check on how fast examples are generated.
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON | mutated(_demo_schemas()), st.sampled_from(["application", "report", "other"]))
def test_schema_problems_never_raises_on_any_json(schema, kind):
    problems = formdef.schema_problems(schema, kind)
    assert all(isinstance(p.path, str) and isinstance(p.message, str) and p.message for p in problems)
    assert formdef.check_schema(schema) == [p.message for p in formdef.schema_problems(schema)]
