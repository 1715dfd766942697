"""The staff program ledger: a program's money, award by award, and its funders' pledges."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.params import FromPath

from portal.payments.ledger import queries
from portal.programs.access import get_program_for_staff
from portal.web.auth import current_user
from portal.web.render import render


@get("/staff/programs/{program_id:int}/ledger", name="payments:program-ledger")
async def program_ledger(request: Request, program_id: FromPath[int]) -> Response:
    await get_program_for_staff(current_user(request), program_id)
    return render(request, "payments/ledger/program_ledger.html", await queries.program_ledger(program_id))


ROUTES = [program_ledger]
