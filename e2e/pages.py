"""Page objects: what a person does on each page, found by `data-testid`, role and label.

Each object wraps a Playwright `Page` whose context has the live portal as its base URL.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect


def tick(input_: Locator) -> None:
    """Check a USWDS checkbox or radio as a person does, by clicking its label: USWDS moves the input itself
    off screen and draws the box in the label, so Playwright cannot click the input."""
    input_id = input_.get_attribute("id")
    input_.page.locator(f'label[for="{input_id}"]').click()
    expect(input_).to_be_checked()


class PortalPage:
    """What every page has: the header navigation and the error summary of a form."""

    path = "/"

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self):
        self.page.goto(self.path)
        return self

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1)

    @property
    def error_summary(self) -> Locator:
        return self.page.get_by_test_id("error-summary")

    @property
    def sign_out_button(self) -> Locator:
        return self.page.get_by_test_id("sign-out")

    @property
    def sign_in_link(self) -> Locator:
        return self.page.get_by_test_id("nav-sign-in")

    def sign_out(self) -> "SignInPage":
        self.sign_out_button.click()
        self.page.wait_for_url("**/login?signed_out=1")
        return SignInPage(self.page)


class SignInPage(PortalPage):
    path = "/login"

    @property
    def email(self) -> Locator:
        return self.page.get_by_label("Email address")

    @property
    def password(self) -> Locator:
        return self.page.get_by_label("Password")

    @property
    def submit_button(self) -> Locator:
        return self.page.get_by_test_id("sign-in")

    def sign_in(self, email: str, password: str) -> "DashboardPage":
        self.open()
        self.email.fill(email)
        self.password.fill(password)
        self.submit_button.click()
        self.page.wait_for_url(re.compile(r".*/(dashboard|login/two-factor.*)$"))
        if "/login/two-factor" in self.page.url:  # staff built by tests/factories have an authenticator app
            return TwoFactorStepPage(self.page).type_code()
        return DashboardPage(self.page)

    def submit_empty(self) -> "SignInPage":
        self.open()
        self.submit_button.click()
        expect(self.error_summary).to_be_visible()
        return self


class TwoFactorStepPage(PortalPage):
    """The second step of sign-in: a code, a recovery code or a passkey."""

    path = "/login/two-factor"

    @property
    def passkey_button(self) -> Locator:
        return self.page.get_by_test_id("passkey-sign-in")

    def type_code(self) -> "DashboardPage":
        """The current code of the authenticator app the factories give staff (tests/factories: give_totp)."""
        from portal.accounts.two_factor import services
        from tests.factories import STAFF_TOTP_SECRET

        code = services.totp_code_at(STAFF_TOTP_SECRET, services._current_step())
        self.page.get_by_label("Code from your authenticator app").fill(code)
        self.page.get_by_test_id("two-factor-submit").click()
        self.page.wait_for_url("**/dashboard")
        return DashboardPage(self.page)

    def use_passkey(self) -> "DashboardPage":
        self.passkey_button.click()
        self.page.wait_for_url("**/dashboard")
        return DashboardPage(self.page)


class AccountSecurityPage(PortalPage):
    path = "/account/security"

    @property
    def passkeys(self) -> Locator:
        return self.page.get_by_test_id("passkey-list")

    def add_passkey(self, name: str) -> "AccountSecurityPage":
        self.page.get_by_label("Name for this passkey").fill(name)
        self.page.get_by_test_id("passkey-add").click()
        self.page.wait_for_url("**/account/security?added=passkey")
        return self


class RegisterPage(PortalPage):
    path = "/register"

    def register(self, name: str, email: str, password: str) -> "DashboardPage":
        self.open()
        self.page.get_by_label("Full name").fill(name)
        self.page.get_by_label("Email address").fill(email)
        self.page.locator("#field-password").fill(password)
        self.page.locator("#field-password_confirm").fill(password)
        self.page.get_by_test_id("register").click()
        self.page.wait_for_url("**/dashboard")
        return DashboardPage(self.page)


class ProgramsPage(PortalPage):
    path = "/programs"

    @property
    def cards(self) -> Locator:
        return self.page.get_by_test_id("program-card")

    def open_program(self, index: int = 0) -> "ProgramPage":
        card = self.cards.nth(index)
        card.get_by_role("heading").get_by_role("link").click()
        self.page.wait_for_url("**/programs/*")
        return ProgramPage(self.page)

    def first_program_path(self) -> str:
        href = self.cards.first.get_by_role("heading").get_by_role("link").get_attribute("href")
        assert href, "the first program card has no link"
        return href


class ProgramPage(PortalPage):
    def __init__(self, page: Page, slug: str = "") -> None:
        super().__init__(page)
        self.path = f"/programs/{slug}"

    @property
    def deadline(self) -> Locator:
        return self.page.get_by_test_id("deadline")

    @property
    def start_application_button(self) -> Locator:
        return self.page.get_by_test_id("start-application")


class DashboardPage(PortalPage):
    path = "/dashboard"

    @property
    def empty_notice(self) -> Locator:
        return self.page.get_by_test_id("dashboard-empty")


# ---------------------------------------------------------------------------------------------------------
# The journey: applicant, staff, reviewer, funder (e2e/test_journey.py)

class ApplicationPage(PortalPage):
    """An application as its city sees it: the form while a draft, the receipt once submitted."""

    def __init__(self, page: Page, application_id: int | None = None) -> None:
        super().__init__(page)
        self.path = f"/applications/{application_id}" if application_id else page.url

    @property
    def application_id(self) -> int:
        return int(self.page.url.split("/applications/")[1].split("?")[0].split("#")[0])

    @property
    def form(self) -> Locator:
        return self.page.get_by_test_id("application-form")

    @property
    def status(self) -> Locator:
        return self.page.get_by_test_id("application-status")

    @property
    def notice(self) -> Locator:
        return self.page.get_by_test_id("notice")

    @property
    def receipt_number(self) -> Locator:
        return self.page.get_by_test_id("receipt-number")

    def field(self, key: str) -> Locator:
        """The input of a form field, by the id formfields.html gives it."""
        return self.page.locator(f"#field-{key}")

    def answer(self, key: str) -> Locator:
        return self.page.get_by_test_id(f"answer-{key}")

    @property
    def step_heading(self) -> Locator:
        return self.page.get_by_test_id("step-heading")

    def step(self, key: str) -> Locator:
        """A step of the step indicator (a section of the form, or "review")."""
        return self.page.get_by_test_id(f"step-{key}")

    def go_to_step(self, key: str) -> "ApplicationPage":
        self.step(key).get_by_role("link").click()
        self.page.wait_for_url(f"**/applications/*?step={key}")
        return self

    def row_input(self, key: str, row: int, sub: str) -> Locator:
        """An input of a row of a budget table or a repeating group (rows count from 0)."""
        return self.page.locator(f"#field-{key}-{row}-{sub}")

    def add_row(self, key: str) -> None:
        self.page.get_by_test_id(f"field-{key}").locator("[data-add-row]").click()

    def settle(self) -> "ApplicationPage":
        """Wait until autosave has sent what was typed (as a person would see "Saved at" before moving on).

        Known race (reported to the lead): a Save pressed while autosaves are pending or in flight posts the page's
        version, so a field autosaved meanwhile with other values is reported as changed by someone else (409)."""
        self.page.wait_for_function(
            """() => { const form = document.querySelector("form[data-autosave-url]");
                       const saver = form && form.__autosaver;
                       return !saver || (Object.keys(saver.timers).length === 0
                                         && !Object.values(saver.inFlight).some(Boolean)); }""",
            timeout=10_000)
        return self

    def save_draft(self) -> "ApplicationPage":
        """The step's Save button: the page comes back on the same step."""
        self.settle()
        self.page.get_by_test_id("save-draft").click()
        self.page.wait_for_url("**/applications/*?done=saved*")
        return self

    def save_and_continue(self) -> "ApplicationPage":
        self.settle()
        self.page.get_by_test_id("save-continue").click()
        self.page.wait_for_url("**/applications/*?done=saved&step=*")
        return self

    def upload(self, key: str, path: str) -> "ApplicationPage":
        self.field(key).set_input_files(path)
        self.page.get_by_test_id(f"upload-{key}").click()
        self.page.wait_for_url("**/applications/*?done=uploaded*")
        return self

    def sign(self, full_name: str) -> "ApplicationPage":
        """The signer's typed name and the ticked attestation (only the authorised signer sees them)."""
        self.page.locator("#field-signature_name").fill(full_name)
        tick(self.page.locator("#field-signature_attest"))
        return self

    def submit(self, signer: str = "") -> "ApplicationPage":
        """Submit from the review step (going there first); with `signer`, sign with that full name first."""
        if not self.page.get_by_test_id("submit-application").count():
            self.go_to_step("review")
        if signer:
            self.sign(signer)
        self.page.get_by_test_id("submit-application").click()
        self.page.wait_for_url("**/applications/*?done=submitted")
        return self

    def open_team(self) -> "TeamPage":
        self.page.get_by_test_id("team-link").click()
        self.page.wait_for_url("**/applications/*/team")
        return TeamPage(self.page)


class EligibilityPage(PortalPage):
    """A program's eligibility questions, before a draft exists."""

    def choose(self, question: str, option: str) -> "EligibilityPage":
        """Answer a yes/no or choice question by its label and the option's label (radios or a select)."""
        group = self.page.get_by_role("group", name=question)
        if group.count():
            tick(group.get_by_label(option, exact=True))
        else:
            self.page.get_by_label(question).select_option(label=option)
        return self

    def fill(self, question: str, value: str) -> "EligibilityPage":
        self.page.get_by_label(question).fill(value)
        return self

    def check(self) -> "ApplicationPage":
        """Eligible: the draft opens."""
        self.page.get_by_test_id("check-eligibility").click()
        self.page.wait_for_url(re.compile(r"/applications/\d+$"))
        return ApplicationPage(self.page)


class TeamPage(PortalPage):
    """An application's team: members, pending invitations, the authorised signer."""

    @property
    def members(self) -> Locator:
        return self.page.get_by_test_id("team-members")

    @property
    def pending(self) -> Locator:
        return self.page.get_by_test_id("pending-invitations")

    @property
    def signer(self) -> Locator:
        return self.page.get_by_test_id("signer-name")

    @property
    def notice(self) -> Locator:
        return self.page.get_by_test_id("notice")

    def invite(self, email: str, role_label: str = "Editor") -> "TeamPage":
        self.page.get_by_label("Email address").fill(email)
        tick(self.page.get_by_role("radio", name=re.compile(f"^{role_label}")))
        self.page.get_by_test_id("send-invitation").click()
        self.page.wait_for_url("**/team?done=invited")
        return self

    def name_signer(self, option_label: str) -> "TeamPage":
        self.page.get_by_label(re.compile("^Who is authorised to sign")).select_option(label=option_label)
        self.page.get_by_test_id("name-signer").click()
        self.page.wait_for_url("**/team?done=signer")
        return self


class StaffHomePage(PortalPage):
    path = "/staff"

    def program_row(self, title: str) -> Locator:
        return self.page.get_by_test_id("staff-program-row").filter(has_text=title)

    def open_program(self, title: str) -> "StaffProgramPage":
        self.program_row(title).get_by_role("link", name=title).click()
        self.page.wait_for_url("**/staff/programs/*")
        return StaffProgramPage(self.page)


class StaffProgramPage(PortalPage):
    """A program's applications by rank, with their weighted mean scores."""

    @property
    def rows(self) -> Locator:
        return self.page.get_by_test_id("staff-application-row")

    def row(self, city_name: str) -> Locator:
        return self.rows.filter(has_text=city_name)

    def weighted_means(self) -> list[float | None]:
        """Every row's weighted mean, None where there is no score yet."""
        texts = self.page.get_by_test_id("weighted-mean").all_inner_texts()
        return [float(t) if t.strip().replace(".", "", 1).isdigit() else None for t in texts]

    def open_application(self, city_name: str) -> "StaffApplicationPage":
        self.row(city_name).get_by_role("link").click()
        self.page.wait_for_url("**/staff/applications/*")
        return StaffApplicationPage(self.page)


class StaffApplicationPage(PortalPage):
    """One application for staff: scores, reviews, and the reviewers assigned."""

    @property
    def score_summary(self) -> Locator:
        return self.page.get_by_test_id("score-summary")

    @property
    def assignments(self) -> Locator:
        return self.page.get_by_test_id("assignment")

    def assign(self, reviewer_label: str) -> "StaffApplicationPage":
        self.page.get_by_label("Assign a reviewer").select_option(label=reviewer_label)
        self.page.get_by_test_id("assign").click()
        expect(self.assignments.filter(has_text=reviewer_label.split(" (")[0])).to_be_visible()
        return self

    def decide(self) -> "DecisionPage":
        self.page.get_by_test_id("decide").click()
        self.page.wait_for_url("**/staff/applications/*/decision")
        return DecisionPage(self.page)


class DecisionPage(PortalPage):
    @property
    def facts(self) -> Locator:
        return self.page.get_by_test_id("decision-facts")

    @property
    def decision_made(self) -> Locator:
        return self.page.get_by_test_id("decision-made")

    def award(self, dollars: str) -> "AwardPage":
        """Award the amount with the prefilled conditions and dates; the portal shows the new award."""
        self.page.get_by_label("Amount (US dollars)").fill(dollars)
        self.page.get_by_test_id("award-submit").click()
        self.page.wait_for_url(re.compile(r"/awards/\d+$"))
        return AwardPage(self.page)


class ReviewsPage(PortalPage):
    path = "/reviews"

    def row(self, title: str) -> Locator:
        return self.page.get_by_test_id("review-row").filter(has_text=title)

    def open_review(self, title: str) -> "ReviewPage":
        self.row(title).get_by_role("link", name=title).click()
        self.page.wait_for_url("**/reviews/*")
        return ReviewPage(self.page)


class ReviewPage(PortalPage):
    """One assignment: the application read-only beside the scoring form."""

    @property
    def application(self) -> Locator:
        return self.page.get_by_test_id("application-answers")

    @property
    def criteria(self) -> Locator:
        return self.page.get_by_test_id("criterion")

    @property
    def status(self) -> Locator:
        return self.page.get_by_test_id("review-status")

    def score(self, criterion: str, value: int, comment: str) -> "ReviewPage":
        fieldset = self.criteria.filter(has=self.page.get_by_text(criterion, exact=True))
        tick(fieldset.get_by_label(str(value), exact=True))
        fieldset.get_by_label(f"Comment on {criterion}").fill(comment)
        return self

    def submit(self, overall_comment: str) -> "ReviewPage":
        self.page.get_by_label("Comments for staff only").fill(overall_comment)
        self.page.get_by_test_id("submit-review").click()
        expect(self.status).to_have_text("Submitted")
        return self


class AwardPage(PortalPage):
    @property
    def amount(self) -> Locator:
        return self.page.get_by_test_id("award-amount")

    @property
    def status(self) -> Locator:
        return self.page.get_by_test_id("award-status")

    @property
    def reports(self) -> Locator:
        return self.page.get_by_test_id("award-reports")

    @property
    def award_id(self) -> int:
        return int(re.search(r"/awards/(\d+)", self.page.url).group(1))

    @property
    def acceptance_record(self) -> Locator:
        return self.page.get_by_test_id("acceptance-record")

    def tranche_status(self, position: int) -> Locator:
        return self.page.get_by_test_id(f"tranche-{position}").get_by_test_id("tranche-status")

    def set_schedule(self, tranches: list[tuple[str, str, str]]) -> "AwardPage":
        """Staff: the payment schedule, rows of (dollars, when it is paid by its label, report label or "")."""
        form = self.page.get_by_test_id("schedule-form")
        for n, (dollars, when, report) in enumerate(tranches, start=1):
            form.locator(f"#field-amount_{n}").fill(dollars)
            form.locator(f"#field-trigger_{n}").select_option(label=when)
            if report:
                form.locator(f"#field-report_kind_{n}").select_option(label=report)
        form.get_by_test_id("save-schedule").click()
        self.page.wait_for_url(re.compile(r"/awards/\d+#tranches$"))
        return self

    def open_acceptance(self) -> "AcceptancePage":
        self.page.get_by_test_id("answer-award").click()
        self.page.wait_for_url("**/awards/*/acceptance")
        return AcceptancePage(self.page)

    def open_report(self, kind: str) -> "ReportPage":
        self.reports.get_by_role("link", name=f"{kind} report").click()
        self.page.wait_for_url("**/reports/*")
        return ReportPage(self.page)


class ReportPage(PortalPage):
    """A follow-up report: the form while a draft, the answers once submitted."""

    @property
    def status(self) -> Locator:
        return self.page.get_by_test_id("report-status")

    @property
    def notice(self) -> Locator:
        return self.page.get_by_test_id("notice")

    def field(self, key: str) -> Locator:
        return self.page.locator(f"#field-{key}")

    def submit(self) -> "ReportPage":
        self.page.get_by_test_id("submit-report").click()
        self.page.wait_for_url("**/reports/*?done=submitted")
        return self


class FunderPage(PortalPage):
    """The funder summary: one section of figures per program the organisation funds."""

    path = "/funder"

    def program(self, title: str) -> Locator:
        return self.page.get_by_test_id("funder-program").filter(
            has=self.page.get_by_role("heading", name=title))

    def figures(self, title: str) -> dict[str, str]:
        section = self.program(title)
        return {key: section.get_by_test_id(key).inner_text().strip()
                for key in ("applications", "awards", "awarded", "reports", "pledged")}

    def open_program(self, title: str) -> "FunderProgramPage":
        self.program(title).get_by_role("heading", name=title).get_by_role("link").click()
        self.page.wait_for_url("**/funder/programs/*")
        return FunderProgramPage(self.page)


class FunderProgramPage(PortalPage):
    @property
    def awards_by_city(self) -> Locator:
        return self.page.get_by_test_id("awards-by-city")

    def award_row(self, city_name: str) -> Locator:
        return self.awards_by_city.get_by_role("row").filter(has_text=city_name)

    def money(self) -> dict[str, str]:
        """Where the program's money is (the ledger): committed, released, paid, failed, received."""
        return {key: self.page.get_by_test_id(f"money-{key}").inner_text().strip()
                for key in ("committed", "released", "paid", "failed", "received")}


class DeadlineBox:
    """A deadline as templates/components/deadline.html shows it: the program's zone, UTC, the viewer's own
    time (added by the script) and the countdown."""

    def __init__(self, root: Locator) -> None:
        self.root = root

    @property
    def local(self) -> Locator:
        return self.root.locator("time")

    @property
    def utc(self) -> Locator:
        return self.root.locator("[data-deadline-other]")

    @property
    def your_time(self) -> Locator:
        return self.root.get_by_test_id("your-time")

    @property
    def countdown(self) -> Locator:
        return self.root.locator("[data-countdown-text]")

    @property
    def announcer(self) -> Locator:
        return self.root.locator("[data-countdown-live]")


# ---------------------------------------------------------------------------------------------------------
# Issue 5: the decision board, the acceptance, payouts and tranches (e2e/test_award_journey.py)

class DecisionBoardPage(PortalPage):
    """A program round's decision board: a draft decision per application, then the release."""

    def __init__(self, page: Page, program_id: int | None = None) -> None:
        super().__init__(page)
        self.path = f"/staff/programs/{program_id}/decisions"

    @property
    def board(self) -> Locator:
        return self.page.get_by_test_id("decision-board")

    @property
    def done(self) -> Locator:
        return self.page.get_by_test_id("done")

    def row(self, city_name: str) -> Locator:
        return self.page.get_by_test_id("decision-row").filter(has_text=city_name)

    def draft(self, city_name: str, outcome: str, dollars: str = "") -> Locator:
        """Save one application's draft (Award, Decline or Waitlist, by its label) through HTMX; returns the row
        once the board came back saying "Draft saved."."""
        row = self.row(city_name)
        row.get_by_label("Decision", exact=True).select_option(label=outcome)
        if dollars:
            row.get_by_label("Amount", exact=True).fill(dollars)
        row.get_by_test_id("save-decision").click()
        row = self.row(city_name)
        expect(row.get_by_test_id("saved")).to_have_text("Draft saved.")
        return row

    def release(self, confirm: tuple[str, ...] = ()) -> "DecisionBoardPage":
        """Release the round, ticking the confirmations named by their labels (over the budget, before the
        deadline, too few reviews) first."""
        for label in confirm:
            tick(self.page.get_by_label(label, exact=True))
        self.page.get_by_test_id("release-submit").click()
        expect(self.done).to_contain_text("The round's decisions are released")
        return self


class AcceptancePage(PortalPage):
    """The signer's answer to an award: the letter, typed name, title and agreement."""

    @property
    def letter_link(self) -> Locator:
        return self.page.get_by_role("link", name=re.compile("^Read the award letter"))

    def accept(self, full_name: str, title: str) -> "AwardPage":
        form = self.page.get_by_test_id("accept-form")
        form.get_by_label("Your full name, as your signature").fill(full_name)
        form.get_by_label("Your title").fill(title)
        tick(form.locator("#field-agree"))
        form.get_by_test_id("accept").click()
        self.page.wait_for_url(re.compile(r"/awards/\d+$"))
        return AwardPage(self.page)


class PledgePage(PortalPage):
    """A funder's pledge (templates/payments/pledges/pledge.html): the figures, "Pay", then Stripe's card Element (in
    the tests, localstripe's mock Element: five plain inputs) and "Confirm payment" with a live status line."""

    @property
    def pay(self) -> Locator:
        return self.page.get_by_test_id("pay-pledge")

    @property
    def card_element(self) -> Locator:
        return self.page.get_by_test_id("card-element")

    @property
    def status(self) -> Locator:
        return self.page.get_by_test_id("pledge-card-status")

    @property
    def received(self) -> Locator:
        return self.page.get_by_test_id("pledge-received")

    def type_card(self, number: str, month: str = "12", year: str = "30", cvc: str = "123",
                  postal_code: str = "12345") -> None:
        """Type into the card Element as a person would, over what was typed before."""
        fields = self.card_element.locator("input")
        for index, value in enumerate((number, month, year, cvc, postal_code)):
            fields.nth(index).fill("")
            fields.nth(index).press_sequentially(value)

    def confirm(self) -> None:
        self.page.get_by_test_id("confirm-payment").click()
