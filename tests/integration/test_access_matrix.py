"""Every route x every persona: the expected status, so that no page or download leaks another party's data.

Strangers get 404 (they may not learn that the object exists), members without the right get 403, anonymous
visitors are sent to sign in (303). Reviewers: a reviewer conflicted on an application (declared, or found from
the email domain: tests/factories/blind.py) gets 404 on every route of it even with an assignment row; a
reviewer of another panel (other_reviewer) is a stranger to this one's applications; a blind panel's reviewer
(blind_reviewer) reads its application (tests/reviews/panels/test_blind.py checks what they see). `test_every_route_is_in_the_matrix` fails when a route is added without
being listed here.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.applications.tables import TeamMember
from portal.applications.team.tables import TeamInvitation
from portal.core import clock
from portal.core.storage import store
from portal.reviews.tables import Assignment
from tests.factories import PASSWORD, PERSONAS, assign, make_user
from tests.factories.applications import PDF_BYTES, add_file
from tests.factories.awards import make_award, make_report
from tests.awards.tranches.test_tranches import make_tranche
from tests.factories.blind import REVIEW_PERSONAS, build_review_cases
from tests.factories.teams import TEAM_PERSONAS, add_team_member, build_team, set_eligibility

# The team personas are on city A's application: editor and viewer (outside the city), signer (a member of
# city A, an editor named the authorised signer). The colleague is a member of city A who is not on the team.
PERSONA_KEYS = ["anonymous", *PERSONAS, *TEAM_PERSONAS]
# The matrix also runs for the review cases' personas (conflicted reviewers, a blind panel's reviewer), which
# only the `objects` fixture below makes: other tests that walk PERSONA_KEYS over the plain world skip them.
MATRIX_KEYS = [*PERSONA_KEYS, *REVIEW_PERSONAS]
OK, LOGIN = 200, 303

# Panel staff pages: strangers to the program get 404, people who take part in it 403.
PANEL_STAFF_ONLY = {"default": 404, "anonymous": LOGIN, "applicant": 403, "colleague": 403, "stranger": 403,
                    "reviewer": 403, "idle_reviewer": 403, "funder": 403, "editor": 403, "viewer": 403,
                    "signer": 403, "conflicted_reviewer": 403, "domain_reviewer": 403}

# url template -> {persona: status}; personas not named get `default`.
GET_MATRIX: dict[str, dict[str, int]] = {
    "/dashboard": {"default": OK, "anonymous": LOGIN},
    "/applications": {"default": OK, "anonymous": LOGIN},  # one's own cities' applications; empty for others
    "/applications/{application_a}": {"default": 404, "anonymous": LOGIN, "applicant": OK, "colleague": OK,
                                      "reviewer": OK, "staff": OK, "admin": OK, "editor": OK, "viewer": OK,
                                      "signer": OK},
    # The team (names identify the city): not for reviewers.
    "/applications/{application_a}/team": {"default": 404, "anonymous": LOGIN, "applicant": OK, "colleague": OK,
                                           "reviewer": 403, "staff": OK, "admin": OK, "editor": OK, "viewer": OK,
                                           "signer": OK},
    # Eligibility (the program asks questions here): for people who may apply for a city.
    "/programs/{program_slug}/eligibility": {"default": 403, "anonymous": LOGIN, "applicant": OK, "colleague": OK,
                                             "stranger": OK, "signer": OK},
    "/applications/{application_b}": {"default": 404, "anonymous": LOGIN, "stranger": OK, "staff": OK, "admin": OK},
    "/applications/{application_a}/files/{file_a}": {"default": 404, "anonymous": LOGIN, "applicant": OK,
                                                      "colleague": OK, "reviewer": OK, "staff": OK, "admin": OK,
                                                      "editor": OK, "viewer": OK, "signer": OK},
    # Documents of an application: whoever may view it (reviewers get the blind copy); strangers 404.
    "/applications/{application_a}/application.pdf": {"default": 404, "anonymous": LOGIN, "applicant": OK,
                                                      "colleague": OK, "reviewer": OK, "staff": OK, "admin": OK,
                                                      "editor": OK, "viewer": OK, "signer": OK},
    "/applications/{application_b}/application.pdf": {"default": 404, "anonymous": LOGIN, "stranger": 409,
                                                      "staff": 409, "admin": 409},  # a draft has no receipt yet
    "/applications/{application_a}/answers.md": {"default": 404, "anonymous": LOGIN, "applicant": OK,
                                                 "colleague": OK, "reviewer": OK, "staff": OK, "admin": OK,
                                                 "editor": OK, "viewer": OK, "signer": OK},
    "/applications/{application_b}/answers.docx": {"default": 404, "anonymous": LOGIN, "stranger": OK, "staff": OK,
                                                   "admin": OK},
    # Public, like the program page (a draft program's: 404, tests/applications/export/test_export.py).
    "/programs/{program_slug}/form.pdf": {"default": OK},
    "/reviews": {"default": OK, "anonymous": LOGIN},  # one's own assignments; empty for others
    "/reviews/{assignment}": {"default": 404, "anonymous": LOGIN, "reviewer": OK},
    "/staff": {"default": 403, "anonymous": LOGIN, "staff": OK, "admin": OK},
    "/staff/programs/{program}": {"default": 403, "anonymous": LOGIN, "staff": OK, "admin": OK},
    "/staff/applications/{application_a}": {"default": 403, "anonymous": LOGIN, "staff": OK, "admin": OK},
    "/staff/applications/{application_a}/decision": {"default": 404, "anonymous": LOGIN, "staff": OK, "admin": OK,
                                                     "applicant": 403, "colleague": 403, "reviewer": 403,
                                                     "editor": 403, "viewer": 403, "signer": 403},
    "/staff/applications/{application_a}/deadline": {"default": 404, "anonymous": LOGIN, "staff": OK, "admin": OK,
                                                     "applicant": 403, "colleague": 403, "reviewer": 403,
                                                     "editor": 403, "viewer": 403, "signer": 403},
    "/admin/outbox": {"default": 403, "anonymous": LOGIN, "admin": OK},
    # Awards and reports belong to the city (the signer is a member of city A; editor and viewer are not).
    "/awards/{award}": {"default": 404, "anonymous": LOGIN, "applicant": OK, "colleague": OK, "staff": OK,
                        "admin": OK, "signer": OK},
    "/awards/{award}/letter.pdf": {"default": 404, "anonymous": LOGIN, "applicant": OK, "colleague": OK,
                                   "staff": OK, "admin": OK, "signer": OK},
    "/reports/{report}": {"default": 404, "anonymous": LOGIN, "applicant": OK, "colleague": OK, "staff": OK,
                          "admin": OK, "signer": OK},
    "/funder": {"default": 403, "anonymous": LOGIN, "funder": OK, "other_funder": OK},
    "/funder/programs/{program}": {"default": 403, "anonymous": LOGIN, "funder": OK, "other_funder": 404},
    # Review panels (i4-panels): staff of the program set them up; a panel's own pages are for its members only.
    "/staff/programs/{program}/panel": {"default": 403, "anonymous": LOGIN, "staff": OK, "admin": OK},
    "/staff/programs/{program}/panel/members": {"default": 403, "anonymous": LOGIN, "staff": OK, "admin": OK},
    "/panels": {"default": OK, "anonymous": LOGIN},  # one's own panels; empty for others
    # (conflicted_reviewer and domain_reviewer sit on `panel` too: conflicts hide applications, not the panel.)
    "/panels/{panel}/applications": {"default": 404, "anonymous": LOGIN, "reviewer": OK, "idle_reviewer": OK,
                                     "conflicted_reviewer": OK, "domain_reviewer": OK},
    "/panels/{panel}/profile": {"default": 404, "anonymous": LOGIN, "reviewer": OK, "idle_reviewer": OK,
                                "conflicted_reviewer": OK, "domain_reviewer": OK},
    # Panel assignment and progress (i4-publish): the program's staff and admins; other networks' staff 404
    # (test_panel_assignment.py), everyone else signed in 403.
    "/staff/programs/{program}/panel/assignment": {"default": 403, "anonymous": LOGIN, "staff": OK, "admin": OK},
    "/staff/programs/{program}/panel/progress": {"default": 403, "anonymous": LOGIN, "staff": OK, "admin": OK},
    # The panel's ranking, reviewer statistics and meeting (issue 4): the program's staff only; those who take
    # part in the program otherwise (its reviewers, funders, applicant cities, application teams) get 403.
    **{f"/staff/programs/{{program}}/panel/{page}": dict(PANEL_STAFF_ONLY, staff=OK, admin=OK)
       for page in ("ranking", "reviewers", "meeting")},
    # Review panels: conflicts and blindness (i4-blind). Conflicted reviewers hold assignments on application_a
    # (the rows above give them the default 404 on each of its routes); their review pages are 404 too.
    "/reviews/{conflicted_reviewer_assignment}": {"default": 404, "anonymous": LOGIN},
    "/reviews/{domain_reviewer_assignment}": {"default": 404, "anonymous": LOGIN},
    "/reviews/{blind_assignment}": {"default": 404, "anonymous": LOGIN, "blind_reviewer": OK},
    "/applications/{blind_application}": {"default": 404, "anonymous": LOGIN, "blind_reviewer": OK, "staff": OK,
                                          "admin": OK},
    "/applications/{blind_application}/team": {"default": 404, "anonymous": LOGIN, "blind_reviewer": 403,
                                               "staff": OK, "admin": OK},
    "/applications/{blind_application}/files/{blind_file}": {"default": 404, "anonymous": LOGIN,
                                                              "blind_reviewer": OK, "staff": OK, "admin": OK},
    # A file of a field marked identifying: not there for the blind reviewer.
    "/applications/{blind_application}/files/{blind_letter}": {"default": 404, "anonymous": LOGIN, "staff": OK,
                                                                "admin": OK},
    "/applications/{blind_application}/application.pdf": {"default": 404, "anonymous": LOGIN,
                                                          "blind_reviewer": OK, "staff": OK, "admin": OK},
    "/applications/{blind_application}/answers.md": {"default": 404, "anonymous": LOGIN, "blind_reviewer": OK,
                                                     "staff": OK, "admin": OK},
    "/applications/{blind_application}/answers.docx": {"default": 404, "anonymous": LOGIN, "blind_reviewer": OK,
                                                       "staff": OK, "admin": OK},
    "/staff/programs/{program}/panel/scores.csv": {"default": 403, "anonymous": LOGIN, "staff": OK, "admin": OK},
    "/staff/programs/{program}/panel/scores.csv?blind=1": {"default": 403, "anonymous": LOGIN, "staff": OK,
                                                           "admin": OK},
    "/reviews/export.csv": {"default": OK, "anonymous": LOGIN},  # one's own reviews; empty for others
    # The decision board (i5-decisions): the program's staff and admins; everyone else signed in 403.
    "/staff/programs/{program}/decisions": {"default": 403, "anonymous": LOGIN, "staff": OK, "admin": OK},
    # Acceptance, payouts, ledger and pledges (issue 5, i5-tranches). The award is not accepted: no countersigned
    # letter exists for anyone; the return from Stripe shows the award page to whoever may view it.
    "/awards/{award}/acceptance": {"default": 404, "anonymous": LOGIN, "applicant": OK, "colleague": OK,
                                   "staff": OK, "admin": OK, "signer": OK},
    "/awards/{award}/countersigned.pdf": {"default": 404, "anonymous": LOGIN},
    "/awards/{award}/payouts/return": {"default": 404, "anonymous": LOGIN, "applicant": OK, "colleague": OK,
                                       "staff": OK, "admin": OK, "signer": OK},
    "/staff/programs/{program}/ledger": {"default": 403, "anonymous": LOGIN, "staff": OK, "admin": OK},
    "/funder/programs/{program}/pledge": {"default": 403, "anonymous": LOGIN, "funder": OK, "other_funder": 404},
}

# Unsafe requests, sent with a valid CSRF token but no other input: access is checked before anything else.
# "input" means the persona got past the access check (an error about the input, or the action done).
POST_MATRIX: dict[str, dict[str, int | str]] = {
    "/programs/{program_slug}/apply": {"default": 403, "anonymous": LOGIN, "applicant": "input",
                                       "colleague": "input", "stranger": "input", "signer": "input"},
    "/programs/{program_slug}/eligibility": {"default": 403, "anonymous": LOGIN, "applicant": "input",
                                             "colleague": "input", "stranger": "input", "signer": "input"},
    # Only the owner changes the team; members of it and colleagues in the city get 403.
    "/applications/{application_a}/team/invitations": {"default": 404, "anonymous": LOGIN, "applicant": "input",
                                                       "colleague": 403, "reviewer": 403, "staff": 403,
                                                       "admin": 403, "editor": 403, "viewer": 403, "signer": 403},
    "/applications/{application_a}/team/invitations/{invitation}/revoke": {
        "default": 404, "anonymous": LOGIN, "applicant": "input", "colleague": 403, "reviewer": 403, "staff": 403,
        "admin": 403, "editor": 403, "viewer": 403, "signer": 403},
    "/applications/{application_a}/team/members/{viewer}/role": {
        "default": 404, "anonymous": LOGIN, "applicant": "input", "colleague": 403, "reviewer": 403, "staff": 403,
        "admin": 403, "editor": 403, "viewer": 403, "signer": 403},
    "/applications/{application_a}/team/signer": {
        "default": 404, "anonymous": LOGIN, "applicant": "input", "colleague": 403, "reviewer": 403, "staff": 403,
        "admin": 403, "editor": 403, "viewer": 403, "signer": 403},
    # On a member made afresh for each persona: a successful removal removes it.
    "/applications/{application_a}/team/members/{spare_member}/remove": {
        "default": 404, "anonymous": LOGIN, "applicant": "input", "colleague": 403, "reviewer": 403, "staff": 403,
        "admin": 403, "editor": 403, "viewer": 403, "signer": 403},
    # Program staff may read a city's application but never write it.
    "/applications/{application_b}": {"default": 404, "anonymous": LOGIN, "stranger": "input", "staff": 403,
                                      "admin": 403},
    "/applications/{application_b}/submit": {"default": 404, "anonymous": LOGIN, "stranger": "input", "staff": 403,
                                             "admin": 403},
    # Autosave answers a signed-out page with 401 and a sign-in prompt (the page keeps the typing); presence
    # with 204 (nothing to show).
    "/applications/{application_b}/autosave": {"default": 404, "anonymous": 401, "stranger": "input", "staff": 403,
                                               "admin": 403},
    "/applications/{application_a}/presence": {"default": 404, "anonymous": 204, "applicant": "input",
                                               "colleague": "input", "editor": "input", "viewer": "input",
                                               "signer": "input", "reviewer": "input", "staff": "input",
                                               "admin": "input"},
    "/applications/{application_b}/files": {"default": 404, "anonymous": LOGIN, "stranger": "input", "staff": 403,
                                            "admin": 403},
    "/applications/{application_a}/files/{file_a}/delete": {"default": 404, "anonymous": LOGIN,
                                                             "applicant": "input", "colleague": 403,
                                                             "reviewer": 403, "staff": 403, "admin": 403,
                                                             "editor": "input", "viewer": 403, "signer": "input"},
    "/applications/{application_b}/withdraw": {"default": 404, "anonymous": LOGIN, "stranger": "input", "staff": 403,
                                               "admin": 403},
    "/applications/{application_a}/withdraw": {"default": 404, "anonymous": LOGIN, "applicant": "input",
                                               "colleague": 403, "reviewer": 403, "staff": 403, "admin": 403,
                                               "editor": "input", "viewer": 403, "signer": "input"},
    "/reviews/{assignment}": {"default": 404, "anonymous": LOGIN, "reviewer": "input"},
    "/reviews/{assignment}/submit": {"default": 404, "anonymous": LOGIN, "reviewer": "input"},
    # Scoring autosave (htmx): the reviewer's own assignment only; conflicted reviewers get 404 (test_scoring.py).
    "/reviews/{assignment}/autosave": {"default": 404, "anonymous": LOGIN, "reviewer": "input"},
    "/staff/programs/{program}/invitations": {"default": 403, "anonymous": LOGIN, "staff": "input",
                                              "admin": "input"},
    "/staff/applications/{application_a}/assignments": {"default": 403, "anonymous": LOGIN, "staff": "input",
                                                        "admin": "input"},
    "/staff/applications/{application_a}/decision": {"default": 404, "anonymous": LOGIN, "staff": "input",
                                                     "admin": "input", "applicant": 403, "colleague": 403,
                                                     "reviewer": 403, "editor": 403, "viewer": 403, "signer": 403},
    "/reports/{report}": {"default": 404, "anonymous": LOGIN, "applicant": "input", "colleague": "input",
                          "staff": 403, "admin": 403, "signer": "input"},
    "/staff/programs/{program}/grace": {"default": 403, "anonymous": LOGIN, "staff": "input", "admin": "input"},
    "/staff/applications/{application_a}/extension": {"default": 404, "anonymous": LOGIN, "staff": "input",
                                                      "admin": "input", "applicant": 403, "colleague": 403,
                                                      "reviewer": 403, "editor": 403, "viewer": 403, "signer": 403},
    "/staff/applications/{application_a}/reopen": {"default": 404, "anonymous": LOGIN, "staff": "input",
                                                   "admin": "input", "applicant": 403, "colleague": 403,
                                                   "reviewer": 403, "editor": 403, "viewer": 403, "signer": 403},
    "/staff/applications/{application_a}/restore": {"default": 404, "anonymous": LOGIN, "staff": "input",
                                                    "admin": "input", "applicant": 403, "colleague": 403,
                                                    "reviewer": 403, "editor": 403, "viewer": 403, "signer": 403},
    # Review panels (i4-panels). Criteria, invitations and panelists that a successful post changes are made
    # afresh for each persona (`panel_spares`).
    "/staff/programs/{program}/panel": {"default": 403, "anonymous": LOGIN, "staff": "input", "admin": "input"},
    "/staff/programs/{program}/panel/criteria": {"default": 403, "anonymous": LOGIN, "staff": "input",
                                                 "admin": "input"},
    "/staff/programs/{program}/panel/criteria/{spare_criterion}": {"default": 403, "anonymous": LOGIN,
                                                                   "staff": "input", "admin": "input"},
    "/staff/programs/{program}/panel/criteria/{spare_criterion}/move": {"default": 403, "anonymous": LOGIN,
                                                                        "staff": "input", "admin": "input"},
    "/staff/programs/{program}/panel/criteria/{spare_criterion}/delete": {"default": 403, "anonymous": LOGIN,
                                                                          "staff": "input", "admin": "input"},
    "/staff/programs/{program}/panel/invitations": {"default": 403, "anonymous": LOGIN, "staff": "input",
                                                    "admin": "input"},
    "/staff/programs/{program}/panel/invitations/{spare_panel_invitation}/resend": {
        "default": 403, "anonymous": LOGIN, "staff": "input", "admin": "input"},
    "/staff/programs/{program}/panel/invitations/{spare_panel_invitation}/revoke": {
        "default": 403, "anonymous": LOGIN, "staff": "input", "admin": "input"},
    "/staff/programs/{program}/panel/members/{idle_reviewer}": {"default": 403, "anonymous": LOGIN,
                                                                "staff": "input", "admin": "input"},
    "/staff/programs/{program}/panel/members/{spare_panelist}/remove": {"default": 403, "anonymous": LOGIN,
                                                                        "staff": "input", "admin": "input"},
    "/staff/programs/{program}/panel/conflicts": {"default": 403, "anonymous": LOGIN, "staff": "input",
                                                  "admin": "input"},
    # Closing then reopening (in this order) leaves the panel open for the rows after these.
    "/staff/programs/{program}/panel/close": {"default": 403, "anonymous": LOGIN, "staff": "input", "admin": "input"},
    "/staff/programs/{program}/panel/reopen": {"default": 403, "anonymous": LOGIN, "staff": "input", "admin": "input"},
    "/panels/{panel}/profile": {"default": 404, "anonymous": LOGIN, "reviewer": "input", "idle_reviewer": "input",
                                "conflicted_reviewer": "input", "domain_reviewer": "input"},
    "/panels/{panel}/applications/{application_a}/preference": {"default": 404, "anonymous": LOGIN,
                                                                "reviewer": "input", "idle_reviewer": "input"},
    "/panels/{panel}/applications/{application_a}/conflict": {"default": 404, "anonymous": LOGIN,
                                                              "reviewer": "input", "idle_reviewer": "input"},
    # Panel assignment and progress (i4-publish).
    "/staff/programs/{program}/panel/assignment/compute": {"default": 403, "anonymous": LOGIN, "staff": "input",
                                                          "admin": "input"},
    "/staff/programs/{program}/panel/assignment/pairs": {"default": 403, "anonymous": LOGIN, "staff": "input",
                                                        "admin": "input"},
    "/staff/programs/{program}/panel/assignment/pairs/remove": {"default": 403, "anonymous": LOGIN,
                                                               "staff": "input", "admin": "input"},
    "/staff/programs/{program}/panel/assignment/publish": {"default": 403, "anonymous": LOGIN, "staff": "input",
                                                          "admin": "input"},
    "/staff/programs/{program}/panel/progress/remind": {"default": 403, "anonymous": LOGIN, "staff": "input",
                                                       "admin": "input"},
    "/staff/programs/{program}/panel/progress/remind-all": {"default": 403, "anonymous": LOGIN, "staff": "input",
                                                           "admin": "input"},
    # The panel meeting's actions (issue 4): as the panel pages.
    **{f"/staff/programs/{{program}}/panel/meeting{tail}": dict(PANEL_STAFF_ONLY, staff="input", admin="input")
       for tail in ("/share", "/applications/{application_a}", "/applications/{application_a}/pull-back",
                    "/finalise")},
    # Review panels (i4-blind): a conflicted reviewer cannot save or submit the review of their assignment.
    "/reviews/{conflicted_reviewer_assignment}": {"default": 404, "anonymous": LOGIN},
    "/reviews/{conflicted_reviewer_assignment}/submit": {"default": 404, "anonymous": LOGIN},
    "/reviews/{domain_reviewer_assignment}": {"default": 404, "anonymous": LOGIN},
    "/reviews/{domain_reviewer_assignment}/submit": {"default": 404, "anonymous": LOGIN},
    "/applications/{blind_application}/presence": {"default": 404, "anonymous": 204, "blind_reviewer": "input",
                                                   "staff": "input", "admin": "input"},
    # Last, and on an assignment made afresh for each persona: a successful delete removes it.
    "/staff/assignments/{spare_assignment}/delete": {"default": 403, "anonymous": LOGIN, "staff": "input",
                                                     "admin": "input"},
    # Stripe's webhook: no session, no CSRF; anything without Stripe's signature is refused
    # (tests/payments/test_webhooks.py).
    "/webhooks/stripe": {"default": 400},
    # The decision board (i5-decisions): drafts, bulk decisions and the release, as the board itself.
    **{f"/staff/programs/{{program}}/decisions{tail}": {"default": 403, "anonymous": LOGIN, "staff": "input",
                                                       "admin": "input"}
       for tail in ("/applications/{application_a}", "/bulk", "/release")},
    # Acceptance, tranches, payouts, pledges (issue 5, i5-tranches). The team's named signer answers the award;
    # Stripe is not configured here, so the owner's onboarding and the funder's payment answer 503.
    "/awards/{award}/acceptance": {"default": 404, "anonymous": LOGIN, "applicant": 403, "colleague": 403,
                                   "staff": 403, "admin": 403, "signer": "input"},
    "/awards/{award}/tranches": {"default": 404, "anonymous": LOGIN, "applicant": 403, "colleague": 403,
                                 "signer": 403, "staff": "input", "admin": "input"},
    "/awards/{award}/tranches/{tranche}/send": {"default": 404, "anonymous": LOGIN, "applicant": 403,
                                                "colleague": 403, "signer": 403, "staff": "input", "admin": "input"},
    # Sending an unanswered transfer again (issue 11): past the access check, Stripe is not configured here.
    "/awards/{award}/tranches/{tranche}/retry": {"default": 404, "anonymous": LOGIN, "applicant": 403,
                                                 "colleague": 403, "signer": 403, "staff": 503, "admin": 503},
    "/awards/{award}/tranches/{tranche}/manual": {"default": 404, "anonymous": LOGIN, "applicant": 403,
                                                  "colleague": 403, "signer": 403, "staff": "input",
                                                  "admin": "input"},
    "/awards/{award}/payouts/onboard": {"default": 404, "anonymous": LOGIN, "applicant": 503, "colleague": 403,
                                        "signer": 403, "staff": 403, "admin": 403},
    "/staff/reports/{report}/approve": {"default": 404, "anonymous": LOGIN, "applicant": 403, "colleague": 403,
                                        "signer": 403, "staff": "input", "admin": "input"},
    "/funder/programs/{program}/pledge": {"default": 403, "anonymous": LOGIN, "funder": 503, "other_funder": 404},
}

PUBLIC_OR_SELF = {  # routes every persona may use: public pages, sign-in, tokens checked by the route itself
    "/", "/programs", "/programs/{slug:str}", "/login", "/logout", "/register", "/reset", "/reset/{token:str}",
    "/invitations/{token:str}", "/team-invitations/{token:str}", "/static/{file_path:path}", "/vendor/htmx/{file_path:path}",
    "/vendor/uswds/{file_path:path}",
    # two-factor sign-in: the pending sign-in's own step, and each user's own factors (tests/security/test_two_factor_*)
    "/login/two-factor", "/login/two-factor/passkey-options", "/account/security", "/account/security/totp",
    "/account/security/totp/confirm", "/account/security/totp/remove", "/account/security/recovery-codes",
    "/account/security/passkeys/options", "/account/security/passkeys",
    "/account/security/passkeys/{passkey_id:int}/remove", "/vendor/simplewebauthn/{file_path:path}",
}


@pytest.fixture
async def objects(portal, world):
    """The world plus an award with a report and a stored file on city A's application."""
    ids = dict(world.ids)
    settings = portal.state.settings
    stored = store(settings.files_dir, "applications", PDF_BYTES, "application/pdf")
    ids["file_a"] = await add_file(world["application_a"], world["applicant"], stored_name=stored.stored_name)
    ids["award"] = await make_award(world["application_a"], world["staff"])
    ids["report"] = await make_report(ids["award"], world["program"])
    ids["tranche"] = await make_tranche(ids["award"])  # i5-tranches
    ids["program_slug"] = "healthy-babies"
    await set_eligibility(world["program"])
    ids |= await build_team(world)
    ids["spare"] = await make_user("spare@partner.org")
    rows = await TeamInvitation.insert(TeamInvitation(
        token_hash="0" * 64, application=world["application_a"], email="invited@partner.org", role="viewer",
        invited_by=world["applicant"], created_at=clock.now(), expires_at=clock.now())).returning(TeamInvitation.id)
    ids["invitation"] = rows[0]["id"]
    ids |= await build_review_cases(world, settings.files_dir)
    return ids


async def panel_spares(objects) -> dict[str, int]:
    """A criterion, a pending reviewer invitation and a panel member, new each time (i4-panels)."""
    from portal.accounts.tables import Invitation
    from portal.programs.tables import Criterion
    from tests.factories.reviews import add_panel_member

    last = await Criterion.select(Criterion.position).where(Criterion.program == objects["program"]).order_by(
        Criterion.position, ascending=False).first()
    criterion = await Criterion.insert(Criterion(program=objects["program"], position=last["position"] + 1,
                                                 name="Spare", weight=1)).returning(Criterion.id)
    n = await Invitation.count()
    invitation = await Invitation.insert(Invitation(
        token_hash=f"{n:064d}", email=f"invitee{n}@experts.org", role="reviewer", program_id=objects["program"],
        created_at=clock.now(), expires_at=clock.now() + timedelta(days=1))).returning(Invitation.id)
    panelist = await make_user(f"panelist{n}@experts.org")
    await add_panel_member(objects["panel"], objects["program"], panelist)
    return {"spare_criterion": criterion[0]["id"], "spare_panel_invitation": invitation[0]["id"],
            "spare_panelist": panelist}


@pytest.fixture
async def sign_in(as_persona, make_client):
    """A client for any persona of the matrix: the world's, the team's and the review cases'."""

    async def client_for(key: str):
        emails = TEAM_PERSONAS | REVIEW_PERSONAS
        if key not in emails:
            return await as_persona(key)
        client = await make_client()
        await client.login(emails[key], PASSWORD)
        return client

    return client_for


def expected(table: dict[str, dict], url: str, persona: str):
    row = table[url]
    return row.get(persona, row["default"])


async def test_get_routes_for_every_persona(sign_in, objects):
    clients = {key: await sign_in(key) for key in MATRIX_KEYS}
    outcomes, wanted = [], []
    for template in GET_MATRIX:
        url = template.format(**objects)
        for persona, client in clients.items():
            response = await client.get(url)
            outcomes.append((template, persona, response.status_code))
            wanted.append((template, persona, expected(GET_MATRIX, template, persona)))
            if response.status_code == LOGIN:
                assert response.headers["location"].startswith("/login"), (template, persona)
    mismatches = [(o, w[2]) for o, w in zip(outcomes, wanted) if o != w]
    assert not mismatches, "\n".join(map(str, mismatches))


async def test_unsafe_routes_for_every_persona(sign_in, objects):
    outcomes, wanted = [], []
    for template in POST_MATRIX:
        url = template.format(**objects, spare_assignment=0, spare_member=objects["spare"], spare_criterion=0,
                              spare_panel_invitation=0, spare_panelist=0)
        for persona in MATRIX_KEYS:
            client = await sign_in(persona)  # a fresh client each time: some posts change state
            if "{spare_assignment}" in template:
                await Assignment.delete().where(Assignment.reviewer == objects["idle_reviewer"])
                spare = await assign(objects["application_a"], objects["idle_reviewer"], objects["staff"])
                url = template.format(spare_assignment=spare)
            if "{spare_member}" in template:
                await TeamMember.delete().where(TeamMember.user == objects["spare"])
                await add_team_member(objects["application_a"], objects["spare"], "viewer")
            if "{spare_criterion}" in template or "{spare_panel_" in template or "{spare_panelist}" in template:
                url = template.format(**objects, **await panel_spares(objects))
            response = await client.post(url, {})
            want = expected(POST_MATRIX, template, persona)
            got = response.status_code
            if want == "input":
                got = "input" if got not in (401, 403, 404, 405) and got < 500 else got
            outcomes.append((template, persona, got))
            wanted.append((template, persona, want))
    mismatches = [(o, w[2]) for o, w in zip(outcomes, wanted) if o != w]
    assert not mismatches, "\n".join(map(str, mismatches))


async def test_every_route_is_in_the_matrix(portal):
    listed = {t for t in GET_MATRIX} | {t for t in POST_MATRIX} | PUBLIC_OR_SELF
    normalised = set()
    for template in listed:
        normalised.add(_shape(template))
    missing = []
    for route in portal.routes:
        if _shape(route.path) not in normalised:
            missing.append(route.path)
    assert missing == []


def _shape(path: str) -> str:
    """`/applications/{application_id:int}` and `/applications/{application_a}` both become `/applications/{}`."""
    import re

    return re.sub(r"\{[^}]+\}", "{}", path)


async def test_public_pages_answer_everyone(sign_in, objects):
    for persona in MATRIX_KEYS:
        client = await sign_in(persona)
        for url in ("/programs", "/programs/healthy-babies"):
            assert (persona, url, (await client.get(url)).status_code) == (persona, url, OK)
        assert (persona, (await client.get("/programs/no-such-program")).status_code) == (persona, 404)


# Letters (issue 5, i5-letters): the program's staff only, as the staff program page. The world has no letter
# batch or letter, so an id (the award's) names none and staff get 404 there after the access check.
GET_MATRIX.update({
    "/staff/programs/{program}/letters": {"default": 403, "anonymous": LOGIN, "staff": OK, "admin": OK},
    "/staff/programs/{program}/letters/batches/{award}": {"default": 403, "anonymous": LOGIN, "staff": 404,
                                                          "admin": 404},
    "/staff/programs/{program}/letters/files/{award}/letter.pdf": {"default": 403, "anonymous": LOGIN,
                                                                   "staff": 404, "admin": 404},
})
POST_MATRIX.update({
    f"/staff/programs/{{program}}/letters/{tail}": {"default": 403, "anonymous": LOGIN, "staff": "input",
                                                     "admin": "input"}
    for tail in ("templates", "preview", "batches")
})

# The outbox (issue 11): requeueing failed mail is for administrators only (the empty form names no email: 404).
POST_MATRIX.update({
    "/admin/outbox/requeue": {"default": 403, "anonymous": LOGIN, "admin": 404},
    "/admin/outbox/requeue-failed": {"default": 403, "anonymous": LOGIN, "admin": "input"},
})

# A program's undelivered email (issue 11): its staff only, as the staff program page; "send again" with the
# empty form names no email (404 after the access check). Reviewers never see it, blind panel or not.
GET_MATRIX.update({
    "/staff/programs/{program}/undelivered": {"default": 403, "anonymous": LOGIN, "staff": OK, "admin": OK},
})
POST_MATRIX.update({
    "/staff/programs/{program}/undelivered/send-again": {"default": 403, "anonymous": LOGIN, "staff": 404,
                                                         "admin": 404},
    "/staff/programs/{program}/undelivered/send-all-again": {"default": 403, "anonymous": LOGIN, "staff": "input",
                                                             "admin": "input"},
})
