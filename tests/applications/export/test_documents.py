"""How answers of every shape are shown in exported documents, and how Markdown is kept inert."""

from __future__ import annotations

from portal.applications.export.documents import Shown, blank_field, clean, field_limits, md_escape, show_answer

TEXT = {"key": "t", "type": "short_text", "label": "T"}
BUDGET = {"key": "budget", "type": "budget_table", "label": "Budget", "categories": ["Staff", "Supplies"], "columns": [
    {"key": "category", "type": "select", "label": "Category", "options": ["Staff", "Supplies"]},
    {"key": "amount", "type": "currency", "label": "Grant"},
    {"key": "contact", "type": "short_text", "label": "Contact", "identifying": True}]}


def test_show_answer_scalars_by_type():
    assert show_answer(TEXT, "Hello") == Shown("text", "Hello")
    assert show_answer({"key": "n", "type": "number"}, 1234567) == Shown("text", "1,234,567")
    assert show_answer({"key": "p", "type": "percentage"}, 12.5) == Shown("text", "12.5%")
    assert show_answer({"key": "c", "type": "currency"}, 2_500_050) == Shown("text", "$25,000.50")
    assert show_answer({"key": "d", "type": "date"}, "2027-01-15") == Shown("text", "January 15, 2027")
    assert show_answer({"key": "y", "type": "yes_no"}, False) == Shown("text", "No")
    assert show_answer({"key": "a", "type": "checkbox"}, None) == Shown("text", "No")
    assert show_answer({"key": "s", "type": "select", "options": [{"value": "a", "label": "Alpha"}]}, "a") == (
        Shown("text", "Alpha"))
    assert show_answer({"key": "l", "type": "long_text"}, "one\ntwo\n") == Shown("long", "one\ntwo")


def test_show_answer_empty_hidden_and_unknown_types():
    assert show_answer(TEXT, None) == Shown("empty", "Not answered")
    assert show_answer(TEXT, []) == Shown("empty", "Not answered")
    assert show_answer({**TEXT, "identifying": True}, "Ann", hide_identifying=True) == (
        Shown("hidden", "Hidden for blind review"))
    assert show_answer({"key": "x", "type": "something_new"}, {"a_b": 1, "c": True}) == (
        Shown("lines", lines=("A b: 1", "C: Yes")))


def test_show_answer_lists_objects_and_tables():
    multi = {"key": "m", "type": "multi_select", "options": [{"value": "n", "label": "North"},
                                                             {"value": "s", "label": "South"}]}
    assert show_answer(multi, ["n", "s", "gone"]) == Shown("lines", lines=("North", "South", "gone"))
    address = {"street": "800 E Monroe St", "city": "Springfield", "state": "IL", "zip": "62701"}
    assert show_answer({"key": "a", "type": "address"}, address) == (
        Shown("lines", lines=("800 E Monroe St", "Springfield, IL 62701")))
    rows = [{"category": "Staff", "amount": 100_000, "contact": "Ann"}, {"category": "Supplies", "amount": 50,
                                                                          "extra": "x"}]
    assert show_answer(BUDGET, rows, hide_identifying=True) == Shown(
        "table", columns=("Category", "Grant", "Contact", "Extra"),
        rows=(("Staff", "$1,000", "Hidden for blind review", ""), ("Supplies", "$0.50", "Hidden for blind review", "x")),
        footer=("Total", "$1,000.50", "", ""))


def test_show_answer_files_of_the_field_only():
    files = [{"field_key": "f", "original_name": "a.pdf", "size_bytes": 2048, "sha256": "ab" * 32},
             {"field_key": "other", "original_name": "b.pdf", "size_bytes": 1, "sha256": "cd" * 32}]
    assert show_answer({"key": "f", "type": "file"}, None, files) == Shown(
        "files", files=({"name": "a.pdf", "size": "2 KB", "sha256": "ab" * 32},))
    assert show_answer({"key": "g", "type": "file"}, None, files) == Shown("empty", "No file uploaded")


def test_clean_drops_characters_xml_cannot_hold():
    assert clean("a\x00b\x0bc\r\nd\ud800e") == "abc\nde"


def test_md_escape_leaves_no_markup():
    assert md_escape("<script>x</script>") == r"\<script\>x\</script\>"
    assert md_escape("[a](javascript:b) **c** | d & e") == r"\[a\](javascript:b) \*\*c\*\* \| d \& e"
    assert md_escape("# h\n- item\n1. one\n===") == "\\# h\n\\- item\n1\\. one\n\\==="


def test_blank_field_budget_table_prefills_categories():
    view = blank_field(BUDGET)
    assert (view["kind"], view["columns"], view["rows"][:2], view["total"]) == (
        "table", ["Category", "Grant", "Contact"], [["Staff", "", ""], ["Supplies", "", ""]], True)


def test_field_limits_in_words():
    assert field_limits({"key": "a", "type": "currency", "min_cents": 100, "max_cents": 10_000_000,
                         "requested_amount": True}) == ["In dollars, from $1 to $100,000", "This is the amount you request"]
    assert field_limits({"key": "n", "type": "number", "integer": True, "min": 0}) == ["A whole number", "At least 0"]
    assert field_limits({"key": "l", "type": "long_text", "max_words": 300}) == ["At most 300 words"]


def test_blank_form_survives_malformed_field_options():
    from portal.applications.export.documents import blank_form_html
    from tests.factories.programs import form_version_record, program_record

    program = program_record(title="P", timezone="UTC", slug="p")
    schema = {"sections": [{"title": "S", "fields": [
        {"key": "a", "type": "currency", "label": "Money", "min_cents": "lots"},
        {"key": "b", "type": "long_text", "label": "Essay", "max_words": "many"},
        {"key": "c", "type": "select", "label": "Pick", "options": "xy"}]}]}
    html = blank_form_html(program, form_version_record(schema))
    assert ("Money" in html, "Essay" in html, "Pick" in html) == (True, True, True)


def test_budget_field_of_the_form_engine_is_a_table_with_totals():
    field = {"key": "b", "type": "budget", "label": "Budget", "cost_share": True,
             "categories": [{"value": "personnel", "label": "Personnel"}]}
    rows = [{"category": "personnel", "description": "Nurse", "amount": 2_000_000, "cost_share": 500_000},
            {"category": "personnel", "description": "Aide", "amount": 1_000_000, "cost_share": 0}]
    assert show_answer(field, rows) == Shown(
        "table", columns=("Category", "Description", "Amount", "Cost share"),
        rows=(("Personnel", "Nurse", "$20,000", "$5,000"), ("Personnel", "Aide", "$10,000", "$0")),
        footer=("Total", "", "$30,000", "$5,000"))


def test_blank_field_says_when_a_conditional_field_applies():
    schema = {"sections": [{"key": "s", "title": "S", "fields": [
        {"key": "focus", "type": "select", "label": "Main focus", "options": [{"value": "other", "label": "Other"}]},
        {"key": "why", "type": "short_text", "label": "Why", "show_if": {"field": "focus", "equals": "other"}},
        {"key": "ok", "type": "attestation", "label": "Attest", "statement": "It is true."}]}]}
    fields = schema["sections"][0]["fields"]
    assert blank_field(fields[1], schema)["limits"][0] == "Answer only if “Main focus” is Other"
    assert blank_field(fields[2], schema)["options"] == ["It is true."]
