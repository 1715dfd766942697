"""The expertise rule of the panel assignment (portal/reviews/assignment/queries.py, docs/reviews.md)."""

from portal.reviews.assignment.queries import application_topics, expertise_terms, is_expert

SCHEMA = {"sections": [{"key": "s", "fields": [
    {"key": "focus", "type": "select", "label": "Focus", "options": [
        {"value": "screening", "label": "Developmental screening"}, {"value": "diapers", "label": "Diaper bank"}]},
    {"key": "topic_areas", "type": "multi_select", "label": "Topics", "options": [
        {"value": "housing", "label": "Housing"}, {"value": "transit", "label": "Public transit"}]},
    {"key": "county", "type": "select", "label": "County", "options": [{"value": "dane", "label": "Dane"}]},
    {"key": "focus_other", "type": "short_text", "label": "Other focus"},
]}]}


def test_topics_come_from_focus_topic_and_theme_choice_fields_only():
    answers = {"focus": "screening", "topic_areas": ["transit"], "county": "dane", "focus_other": "Parks"}
    assert application_topics(SCHEMA, answers) == {"screening", "developmental screening", "transit",
                                                   "public transit"}


def test_expertise_matches_value_label_or_whole_words_of_a_label():
    topics = application_topics(SCHEMA, {"focus": "screening", "topic_areas": ["transit"]})
    assert is_expert(expertise_terms("Screening"), topics)
    assert is_expert(expertise_terms("  public   TRANSIT "), topics)
    assert is_expert(expertise_terms("housing, developmental"), topics)  # whole word of a label
    assert not is_expert(expertise_terms("screen, trans"), topics)  # parts of words do not count
    assert not is_expert(expertise_terms("dane"), topics)  # county is not a topic field
    assert not is_expert(expertise_terms(""), topics)


def test_no_topic_field_means_no_topics():
    assert application_topics({"sections": []}, {"focus": "screening"}) == set()
