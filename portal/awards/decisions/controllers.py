"""The decision board of a program round: draft decisions per application, bulk decisions, the release."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest

from portal.awards.decisions import forms, queries, services
from portal.awards.forms import MAX_NOTE_CHARS
from portal.core.errors import Invalid, NotFound
from portal.core.templating import money
from portal.payments.ledger.queries import funds_received_cents
from portal.programs.access import get_program_for_staff
from portal.programs.records import ProgramRecord
from portal.web.auth import actor, current_user
from portal.web.forms import read_form, text
from portal.web.render import redirect, render

TEMPLATE = "awards/decisions/board.html"
DONE_MESSAGES = {"released": "The round's decisions are released: every applicant has been told.",
                 "bulk": "The bulk decision is saved as drafts."}


def _is_htmx(request: Request) -> bool:
    return isinstance(request, HTMXRequest) and bool(request.htmx)


def _url(program_id: int, anchor: str = "", done: str = "") -> str:
    query = f"?done={done}" if done else ""
    return f"/staff/programs/{program_id}/decisions{query}" + (f"#{anchor}" if anchor else "")


def _row_values(row: dict[str, Any]) -> dict[str, str]:
    draft = row["draft"]
    default_amount = f"{row['default_amount_cents'] / 100:.2f}"
    if draft is None:
        return {"outcome": "", "amount": default_amount, "hours": "", "tie_break_note": "", "note": ""}
    awarded = draft["outcome"] == "award"
    amount = f"{int(draft['amount_cents']) / 100:.2f}" if awarded else default_amount
    return {"outcome": draft["outcome"], "amount": amount,
            "hours": str(draft["quantity"] or "") if awarded else "", "tie_break_note": draft["tie_break_note"],
            "note": draft["note"]}


async def board_context(program: ProgramRecord, *, row_errors: dict[int, dict[str, str]] | None = None,
                        row_values: dict[int, dict[str, str]] | None = None, bulk_errors: dict[str, str] | None = None,
                        bulk_values: dict[str, str] | None = None, release_errors: dict[str, str] | None = None,
                        done: str = "", saved: int | None = None) -> dict[str, Any]:
    state = await queries.board(program)
    for row in state["rows"]:
        row["errors"] = (row_errors or {}).get(row["id"], {})
        row["kept"] = (row_values or {}).get(row["id"]) or _row_values(row)
    return {"program": program, "board": state, "rules": queries.rules_of(state["offer_kind"]),
            "measure": queries.seats if state["unit"] == "seat" else money,
            "labels": forms.LABELS, "outcome_labels": queries.OUTCOME_LABELS,
            "bulk_errors": bulk_errors or {}, "bulk_values": bulk_values or {},
            "release_errors": release_errors or {}, "done": DONE_MESSAGES.get(done, ""), "saved": saved,
            "max_note": MAX_NOTE_CHARS, "funds_received_cents": await funds_received_cents(program.id)}


@get("/staff/programs/{program_id:int}/decisions", name="decisions:board")
async def board_page(request: Request, program_id: FromPath[int]) -> Response:
    program = await get_program_for_staff(current_user(request), program_id)
    return render(request, TEMPLATE, await board_context(program, done=request.query_params.get("done", "")[:20]))


@post("/staff/programs/{program_id:int}/decisions/applications/{application_id:int}", name="decisions:save")
async def save_row(request: Request, program_id: FromPath[int], application_id: FromPath[int]) -> Response:
    program = await get_program_for_staff(current_user(request), program_id)
    data = await read_form(request)
    state = await queries.board(program)
    row = next((r for r in state["rows"] if r["id"] == application_id), None)
    if row is None:
        raise NotFound()
    try:
        values = forms.decision_input(data, offer_kind=state["offer_kind"],
                                               max_award_cents=state["max_award_cents"],
                                               needs_tie_break=row["needs_tie_break"],
                                               max_ta_hours=int(state["terms"].get("max_ta_hours") or 0))
        await services.save_draft(actor(request), program, application_id, values)
    except Invalid as exc:
        ctx = await board_context(program, row_errors={application_id: exc.errors},
                                  row_values={application_id: forms.kept(data)})
        return render(request, TEMPLATE, ctx, block="board", status_code=422)
    if _is_htmx(request):
        return render(request, TEMPLATE, await board_context(program, saved=application_id), block="board")
    return redirect(request, _url(program_id, f"decision-{application_id}"))


@post("/staff/programs/{program_id:int}/decisions/bulk", name="decisions:bulk")
async def bulk(request: Request, program_id: FromPath[int]) -> Response:
    program = await get_program_for_staff(current_user(request), program_id)
    data = await read_form(request)
    state = await queries.board(program)
    action = text(data, "action", 40)
    side = "above" if action == "award_above" else "below"
    touched = [r for r in state["rows"] if r["open"] and r["draft"] is None and r["side"] == side]
    try:
        action, note = forms.bulk_input(data, any(r["needs_tie_break"] for r in touched))
        await services.apply_bulk(actor(request), program, action, note)
    except Invalid as exc:
        ctx = await board_context(program, bulk_errors=exc.errors,
                                  bulk_values={"action": action, "tie_break_note": text(data, "tie_break_note", 4001)})
        return render(request, TEMPLATE, ctx, block="board", status_code=422)
    return redirect(request, _url(program_id, "decision-board", done="bulk"))


@post("/staff/programs/{program_id:int}/decisions/release", name="decisions:release")
async def release(request: Request, program_id: FromPath[int]) -> Response:
    program = await get_program_for_staff(current_user(request), program_id)
    data = await read_form(request)
    confirmed = services.Confirmations(
        **{key.removeprefix("confirm_"): text(data, key, 10) == "yes" for key in forms.CONFIRMATIONS})
    settings = request.app.state.settings
    try:
        await services.release(actor(request), program, confirmed, settings.public_url, settings.files_dir)
    except Invalid as exc:
        ctx = await board_context(program, release_errors=exc.errors)
        return render(request, TEMPLATE, ctx, block="board", status_code=422)
    return redirect(request, _url(program_id, "release", done="released"))


ROUTES = [board_page, save_row, bulk, release]
