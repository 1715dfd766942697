"""Validation of the panel forms: the panel's settings, a rubric criterion, a member's capacity and expertise,
a reviewer's preference and a declared conflict. Each returns typed values or raises Invalid with every error."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any, Mapping

from portal.core import clock
from portal.core.errors import Invalid
from portal.web.forms import text

MAX_REVIEWS_PER_APPLICATION = 10
MAX_CAPACITY = 500
MAX_WEIGHT = 1000
MAX_TOPICS = 20
MAX_TOPIC_CHARS = 60
MAX_REASON_CHARS = 2000
PREFERENCES = {"eager": "Eager to review", "willing": "Willing", "not": "Rather not"}

# The rubric scales staff choose from: key -> the Criterion columns it sets, and how it reads.
SCALES: dict[str, dict[str, Any]] = {
    "1-5": {"scale_min": 1, "scale_max": 5, "scale_step": 1.0, "lower_is_better": False,
            "label": "1–5, 5 is best"},
    "nih-1-9": {"scale_min": 1, "scale_max": 9, "scale_step": 1.0, "lower_is_better": True,
                "label": "NIH 1–9, 1 is best"},
    "0-5-half": {"scale_min": 0, "scale_max": 5, "scale_step": 0.5, "lower_is_better": False,
                 "label": "0–5 in half points, 5 is best"},
}

# "Madison, WI": a city name, a comma, a two-letter state or territory code.
HOME_CITY = re.compile(r"^[^\W\d_][\w .'’-]{0,98}, ?[A-Za-z]{2}$")


def scale_of(criterion: Mapping[str, Any]) -> str | None:
    """The preset key a criterion's scale matches, or None for a scale set some other way."""
    for key, scale in SCALES.items():
        if (criterion["scale_min"], criterion["scale_max"], float(criterion["scale_step"]),
                bool(criterion["lower_is_better"])) == (scale["scale_min"], scale["scale_max"],
                                                       scale["scale_step"], scale["lower_is_better"]):
            return key
    return None


def scale_label(criterion: Mapping[str, Any]) -> str:
    key = scale_of(criterion)
    if key:
        return str(SCALES[key]["label"])
    best = criterion["scale_min"] if criterion["lower_is_better"] else criterion["scale_max"]
    return f"{criterion['scale_min']}–{criterion['scale_max']}, {best} is best"


def _number(raw: str) -> float | None:
    """A finite decimal number typed by a person ("3", "3.5", "3,5"), or None."""
    raw = raw.replace(",", ".")
    if not re.fullmatch(r"-?\d{1,6}(\.\d{1,4})?", raw):
        return None
    value = float(raw)
    return value if math.isfinite(value) else None


def _whole(raw: str, low: int, high: int) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 and low <= int(raw) <= high else None


def panel_settings(data: dict[str, Any], timezone: str) -> dict[str, Any]:
    """{"name", "due_at" (UTC), "blind", "reviews_per_application", "overall_threshold", "ask_recommendation"}.
    The due date is typed as a date and time in the program's time zone (an <input type="datetime-local">)."""
    errors: dict[str, str] = {}
    name = text(data, "name", 1000)
    if not name:
        errors["name"] = "Enter a name for the panel, like “Healthy Babies 2027 review panel”."
    elif len(name) > 200:
        errors["name"] = "Keep the name to 200 characters or fewer."
    raw_due = text(data, "due_at", 40)
    due_at = None
    try:
        local = datetime.fromisoformat(raw_due) if raw_due else None
    except ValueError:
        local = None
    if local is None or local.tzinfo is not None or not 2000 <= local.year <= 2100:
        errors["due_at"] = "Enter the date and time reviews are due, like 2026-12-31 17:00."
    else:
        due_at = clock.as_utc(local.replace(tzinfo=clock.zone(timezone)))
    k = _whole(text(data, "reviews_per_application", 10), 1, MAX_REVIEWS_PER_APPLICATION)
    if k is None:
        errors["reviews_per_application"] = (f"Enter how many reviewers read each application: a whole number "
                                             f"from 1 to {MAX_REVIEWS_PER_APPLICATION}.")
    raw_threshold = text(data, "overall_threshold", 20)
    threshold = None
    if raw_threshold:
        threshold = _number(raw_threshold)
        if threshold is None or not 0 <= threshold <= 100:
            errors["overall_threshold"] = "Enter the overall threshold as a number like 3 or 3.5, or leave it empty."
    if errors:
        raise Invalid(errors)
    return {"name": name, "due_at": due_at, "blind": text(data, "blind", 10) == "yes",
            "reviews_per_application": k, "overall_threshold": threshold,
            "ask_recommendation": text(data, "ask_recommendation", 10) == "yes"}


def criterion(data: dict[str, Any]) -> dict[str, Any]:
    """{"name", "description", "weight", "threshold", and the scale's columns}. A threshold must be on the scale
    and on its step (3.5 on a half-point scale, not on a 1–5 one)."""
    errors: dict[str, str] = {}
    name = text(data, "name", 1000)
    if not name:
        errors["name"] = "Enter the criterion's name, like “Need”."
    elif len(name) > 200:
        errors["name"] = "Keep the name to 200 characters or fewer."
    description = text(data, "description", 10_000)
    if len(description) > 2000:
        errors["description"] = "Keep the description to 2,000 characters or fewer."
    scale = SCALES.get(text(data, "scale", 20))
    if scale is None:
        errors["scale"] = "Choose a scale."
    weight = _whole(text(data, "weight", 10), 1, MAX_WEIGHT)
    if weight is None:
        errors["weight"] = f"Enter the weight as a whole number from 1 to {MAX_WEIGHT}, like 30 for 30 %."
    raw_threshold = text(data, "threshold", 20)
    threshold = None
    if raw_threshold:
        threshold = _number(raw_threshold)
        if threshold is None:
            errors["threshold"] = "Enter the threshold as a number, or leave it empty."
        elif scale is not None:
            low, high, step = scale["scale_min"], scale["scale_max"], scale["scale_step"]
            if not low <= threshold <= high or not float((threshold - low) / step).is_integer():
                errors["threshold"] = f"Enter a threshold on the scale ({scale['label']}), or leave it empty."
    if errors:
        raise Invalid(errors)
    assert scale is not None
    columns = {k: v for k, v in scale.items() if k != "label"}
    return {"name": name, "description": description, "weight": weight, "threshold": threshold, **columns}


def expertise_topics(raw: str) -> str:
    """"Housing ,  early childhood,,transit" -> "housing, early childhood, transit" (lower case, no repeats)."""
    topics: list[str] = []
    for part in raw.split(","):
        topic = " ".join(part.split()).lower()
        if topic and topic not in topics:
            topics.append(topic)
    return ", ".join(topics)


def member_profile(data: dict[str, Any], *, with_home_city: bool = True) -> dict[str, Any]:
    """{"capacity", "expertise", "home_city"?}: what the assignment and the conflict checks need of a member."""
    errors: dict[str, str] = {}
    capacity = _whole(text(data, "capacity", 10), 1, MAX_CAPACITY)
    if capacity is None:
        errors["capacity"] = f"Enter how many applications you can review: a whole number from 1 to {MAX_CAPACITY}."
    expertise = expertise_topics(text(data, "expertise", 5000))
    topics = expertise.split(", ") if expertise else []
    if len(topics) > MAX_TOPICS or any(len(t) > MAX_TOPIC_CHARS for t in topics):
        errors["expertise"] = (f"List at most {MAX_TOPICS} topics, separated by commas, each up to "
                               f"{MAX_TOPIC_CHARS} characters.")
    values: dict[str, Any] = {"capacity": capacity, "expertise": expertise}
    if with_home_city:
        home_city = " ".join(text(data, "home_city", 400).split())
        if home_city and not HOME_CITY.match(home_city):
            errors["home_city"] = "Enter your home city as “City, ST”, like “Madison, WI”, or leave it empty."
        else:
            name, _, state = home_city.rpartition(",")
            values["home_city"] = f"{name.strip()}, {state.strip().upper()}" if home_city else ""
    if errors:
        raise Invalid(errors)
    return values


def preference(data: dict[str, Any]) -> str:
    level = text(data, "level", 10)
    if level not in PREFERENCES:
        raise Invalid({"level": "Choose eager, willing or rather not."})
    return level


def conflict_reason(data: dict[str, Any]) -> str:
    reason = text(data, "reason", 10_000)
    if not reason:
        raise Invalid({"reason": "Say why you have a conflict of interest, for example “I advised this city in 2025”."})
    if len(reason) > MAX_REASON_CHARS:
        raise Invalid({"reason": f"Keep the reason to {MAX_REASON_CHARS:,} characters or fewer."})
    return reason


def staff_conflict(data: dict[str, Any], member_ids: list[int], application_ids: list[int]) -> dict[str, Any]:
    """{"reviewer", "application", "reason"}: a member of the panel, one of its applications, a reason."""
    errors: dict[str, str] = {}
    raw_reviewer, raw_application = text(data, "reviewer", 20), text(data, "application", 20)
    reviewer = int(raw_reviewer) if raw_reviewer.isascii() and raw_reviewer.isdigit() else None
    application = int(raw_application) if raw_application.isascii() and raw_application.isdigit() else None
    if reviewer not in member_ids:
        errors["reviewer"] = "Choose a member of the panel."
    if application not in application_ids:
        errors["application"] = "Choose one of the panel's applications."
    try:
        reason = conflict_reason(data)
    except Invalid as exc:
        errors |= exc.errors
        reason = ""
    if errors:
        raise Invalid(errors)
    return {"reviewer": reviewer, "application": application, "reason": reason}
