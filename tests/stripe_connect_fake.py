"""A local fake of Stripe's Connect API (accounts, account links, transfers and their reversals) for the tests,
which localstripe lacks, following Stripe's documented request and response shapes:

- requests are form-encoded with nested keys (`metadata[tranche]=7`, `capabilities[transfers][requested]=true`,
  `expand[0]=x`), authenticated by `Authorization: Bearer sk_...` (or Basic with the key as user name);
- objects carry `object`, an id with Stripe's prefix (acct_, tr_, trr_), `created` (epoch seconds) and
  `livemode: false`; lists are `{"object": "list", "data": [...], "has_more": ..., "url": ...}`, newest first;
- errors are `{"error": {"type", "message", "code", "param"}}` with 400 (invalid request), 401, 402, 404
  (resource_missing) or 409;
- idempotency (https://docs.stripe.com/api/idempotent_requests): a POST with an `Idempotency-Key` that was
  already used with the same method, path and parameters gets the first response again, with the header
  `Idempotent-Replayed: true`; with other parameters, 400 `idempotency_error`; while the first is still running,
  409. Results are saved once the endpoint began executing (a request failing parameter validation saves none).

Every other path (PaymentIntents, events, `/_config/...`) is forwarded to localstripe, behind the same
idempotency layer, so the portal's one `STRIPE_API_BASE` reaches both (production: api.stripe.com for both).

Stripe.js, for the browser tests: `GET /js.stripe.com/v3/` serves localstripe's mock Stripe.js (its card Element
is five plain inputs: number, exp_month, exp_year, cvc, postal_code) followed by tests/stripe_js_fake.js, both in
one block (localstripe declares a top-level `class Element`, which would hide the DOM's `Element` from the page's
other scripts and break htmx), which replaces its `confirmCardPayment` (localstripe's only does the 3-D Secure step of an intent already confirmed on
the server) with what the real Stripe.js does: `POST /v1/payment_intents/{id}/confirm` with the publishable key
(`key=pk_...`), the intent's `client_secret` and `payment_method_data[type]=card` plus the card. The fake answers
that request as Stripe does for a publishable key: 401 without a `pk_` key, 400 if the client secret is not the
intent's, 400 `payment_intent_unexpected_state` if the intent cannot be confirmed; then it makes the
PaymentMethod in localstripe, sets it on the intent and confirms it there (localstripe's confirm takes no
`payment_method`), and answers with the intent; a declined card gets 402 `card_error` with the intent in the
error, as Stripe answers. localstripe then sends its signed `payment_intent.succeeded` (or `payment_failed`)
webhook. Cards: 4242424242424242 succeeds; 4000000000000002 (and Stripe's other declined-at-charge test cards)
is declined: localstripe declines 4000000000000002 only when attaching it to a customer, so the fake gives
localstripe its own declined-when-charged card 4000000000000341 instead (the PaymentMethod's last4 then reads
0341); cards that need 3-D Secure (4000002760003184) go through localstripe's own authentication dialog. After
a decline Stripe lets the same intent be confirmed again with another card; localstripe does not (its intent
keeps the failed charge), so the fake clears that failed charge in localstripe's store (tests/stripe_servers.py
always runs the two in one process). Responses carry CORS headers for the browser's origin, as Stripe's
API does for publishable-key requests.

For the browser tests (a fake in a process of its own, tests/stripe_servers.py `python -m`): with `hosted_base`
set, an AccountLink's URL is a page of the fake (`/_connect/onboarding/{token}`) with a "Finish onboarding"
button that completes onboarding and sends the browser to the link's `return_url`, as Stripe's hosted onboarding
does; and `deliver_events_to(url, secret)` posts each event, signed as Stripe signs webhooks, to the portal.

Test controls (Python methods, the server runs in the test's event loop): `complete_onboarding(acct)`,
`fail_next_transfer(code)`, `hold_next_transfer()` (the transfer is made, then the response waits: a test cancels
the caller there to simulate a crash after the remote call), `events` (the Stripe events each change produced,
with the object's snapshot at that moment, for the webhook tests) and `transfers`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import ClientSession, web

API_VERSION = "2026-10-28.clover"
CONNECT_PATHS = re.compile(r"^/v1/(accounts|account_links|transfers)(/|$)")
STRIPE_JS_OVERRIDE = Path(__file__).with_name("stripe_js_fake.js")
PUBLISHABLE_KEY_PATHS = re.compile(  # requests Stripe.js makes with `key=pk_...` in the body instead of sk_ auth
    r"^/v1/(tokens|sources|payment_intents/\w+/(confirm|_authenticate)|setup_intents/\w+/(confirm|cancel))$")
INTERNAL_KEY = "sk_test_connect_fake_internal"
"""The fake's own key for what it asks of localstripe on a publishable-key request (localstripe takes any sk_)."""
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
DECLINED_AT_CHARGE = ("4000000000000002", "4000000000009995", "4000000000009987", "4000000000009979",
                      "4000000000000069", "4000000000000127", "4000000000000119")
"""Stripe's test cards that are declined when charged; localstripe declines them only when attached."""
LOCALSTRIPE_DECLINED = "4000000000000341"
"""localstripe's card that attaches but is declined when charged."""
INSUFFICIENT_FUNDS = ("You have insufficient available funds in your Stripe account. Try adding funds directly to "
                      "your available balance by creating Charges using the 4000000000000077 test card.")


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(18).replace('-', 'A').replace('_', 'B')[:24]}"


class StripeError(Exception):
    def __init__(self, status: int, type_: str, message: str, code: str | None = None, param: str | None = None,
                 save: bool = True) -> None:
        super().__init__(message)
        self.status, self.type, self.message, self.code, self.param = status, type_, message, code, param
        self.save = save
        """Whether an idempotent request that failed so is saved and replayed (it began executing)."""

    def response(self) -> web.Response:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        error["request_log_url"] = ""
        return web.json_response({"error": error}, status=self.status)


def missing(param: str) -> StripeError:
    return StripeError(400, "invalid_request_error", f"Missing required param: {param}.", "parameter_missing",
                       param, save=False)


def invalid(param: str, message: str) -> StripeError:
    return StripeError(400, "invalid_request_error", message, "parameter_invalid_integer"
                       if "integer" in message else "parameter_invalid_string", param, save=False)


def no_such(kind: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(404, "invalid_request_error", f"No such {kind}: '{object_id}'", "resource_missing", param,
                       save=False)


def parse_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding into nested dicts and lists: a[b][c]=1, a[0]=x or a[]=x."""
    root: dict[str, Any] = {}
    for raw_key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+|\[\]", raw_key)
        parts = [p if p != "[]" else "" for p in parts]
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, list):
                if last:
                    node.append(value)
                    break
                node.append({})
                node = node[-1]
                continue
            nxt_is_list = not last and (parts[i + 1] == "" or parts[i + 1].isdigit())
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, [] if nxt_is_list else {})
    return root


def api_key_of(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "").split(" ")
    if len(header) != 2:
        return None
    scheme, value = header
    if scheme == "Basic":
        try:
            value = base64.b64decode(value).decode().split(":")[0]
        except ValueError:
            return None
    elif scheme != "Bearer":
        return None
    return value if value.startswith("sk_") and len(value) > 5 else None


def to_int(params: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise missing(name)
        return None
    if not isinstance(raw, str) or not re.fullmatch(r"-?\d+", raw):
        raise invalid(name, f"Invalid integer: {raw}")
    return int(raw)


@dataclass
class Hold:
    created: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    transfer_id: str = ""


@dataclass
class Saved:
    fingerprint: str
    status: int = 0
    body: bytes = b""
    content_type: str = "application/json"
    done: bool = False


class ConnectFake:
    """The fake's state and its aiohttp application."""

    def __init__(self, localstripe_url: str, hosted_base: str = "") -> None:
        self.localstripe_url = localstripe_url.rstrip("/")
        self.hosted_base = hosted_base.rstrip("/")
        """Where AccountLinks send the browser: empty, connect.stripe.com (never opened); else this fake's page."""
        self._links: dict[str, dict[str, str]] = {}
        self._webhook: tuple[str, str] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()
        self.accounts: dict[str, dict[str, Any]] = {}
        self.transfers: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.available_cents = 10**10  # the platform's available balance
        self._next_transfer_error: str | None = None
        self._hold: Hold | None = None
        self._saved: dict[tuple[str, str], Saved] = {}
        self.requests: list[tuple[str, str, str]] = []  # (method, path, idempotency key) of every request
        self.app = web.Application(middlewares=[self._auth, self._idempotency])
        self.app.on_response_prepare.append(self._cors)
        self.app.router.add_get("/js.stripe.com/v3/", self.stripe_js)
        self.app.router.add_post("/v1/payment_intents/{id}/confirm", self.confirm_payment_intent)
        self.app.router.add_post("/v1/accounts", self.create_account)
        self.app.router.add_get("/v1/accounts/{id}", self.retrieve_account)
        self.app.router.add_post("/v1/account_links", self.create_account_link)
        self.app.router.add_post("/v1/transfers", self.create_transfer)
        self.app.router.add_get("/v1/transfers", self.list_transfers)
        self.app.router.add_get("/v1/transfers/{id}", self.retrieve_transfer)
        self.app.router.add_post("/v1/transfers/{id}", self.update_transfer)
        self.app.router.add_post("/v1/transfers/{id}/reversals", self.create_reversal)
        self.app.router.add_get("/_connect/onboarding/{token}", self.hosted_onboarding)
        self.app.router.add_post("/_connect/onboarding/{token}", self.finish_hosted_onboarding)
        self.app.router.add_route("*", "/{tail:.*}", self.forward)
        self._session: ClientSession | None = None

    # -- test controls ------------------------------------------------------------------------------------------

    def reset(self) -> None:
        self.accounts.clear()
        self.transfers.clear()
        self.events.clear()
        self.requests.clear()
        self._saved.clear()
        self.available_cents = 10**10
        self._next_transfer_error = None
        if self._hold:
            self._hold.release.set()
        self._hold = None

    def complete_onboarding(self, account_id: str) -> None:
        """What Stripe does when the grantee finishes the hosted onboarding."""
        account = self.accounts[account_id]
        account.update(details_submitted=True, charges_enabled=True, payouts_enabled=True,
                       capabilities={"transfers": "active"})
        self._event("account.updated", account)

    def deliver_events_to(self, url: str, secret: str) -> None:
        """From now on, post every event to `url` as Stripe delivers webhooks: JSON, signed with `secret` in
        the Stripe-Signature header."""
        self._webhook = (url, secret)

    def fail_next_transfer(self, code: str = "balance_insufficient") -> None:
        self._next_transfer_error = code

    def hold_next_transfer(self) -> Hold:
        self._hold = Hold()
        return self._hold

    # -- middleware -------------------------------------------------------------------------------------------

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith(("/_config/", "/js.stripe.com/", "/_connect/")):
            return await handler(request)
        if request.method == "POST" and PUBLISHABLE_KEY_PATHS.match(request.path) and api_key_of(request) is None:
            return await handler(request)  # Stripe.js: the publishable key is checked by the handler (or localstripe)
        if api_key_of(request) is None:
            return StripeError(401, "invalid_request_error",
                               "You did not provide an API key. You need to provide your API key in the "
                               "Authorization header, using Bearer auth.").response()
        return await handler(request)

    @web.middleware
    async def _idempotency(self, request: web.Request, handler: Any) -> web.StreamResponse:
        key = request.headers.get("Idempotency-Key", "")
        self.requests.append((request.method, request.path, key))
        if request.method != "POST" or not key:
            return await self._run(request, handler)
        if len(key) > 255:
            return StripeError(400, "invalid_request_error", "Idempotency keys can be at most 255 characters.",
                               param="Idempotency-Key").response()
        body = await request.text()
        params = parse_form(body)
        fingerprint = json.dumps([request.method, request.path, params], sort_keys=True)
        slot = (api_key_of(request) or "", key)
        saved = self._saved.get(slot)
        if saved is not None:
            if saved.fingerprint != fingerprint:
                return StripeError(
                    400, "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters they were first "
                    f"used with. Try using a key other than '{key}' if you meant to execute a different request.",
                ).response()
            if not saved.done:
                return StripeError(409, "idempotency_error", "There is currently another in-progress request "
                                   "using this Stripe-Idempotency-Key. Please try again later.",
                                   "idempotency_key_in_use").response()
            return web.Response(status=saved.status, body=saved.body, content_type=saved.content_type,
                                headers={"Idempotent-Replayed": "true", "Idempotency-Key": key})
        saved = self._saved[slot] = Saved(fingerprint)
        response = await self._run(request, handler, saved)
        if saved.done:
            assert isinstance(response, web.Response)
            saved.status, saved.body = response.status, response.body  # type: ignore[assignment]
            saved.content_type = response.content_type
            response.headers["Idempotency-Key"] = key
        else:
            del self._saved[slot]  # failed validation: nothing saved, the key may be used again
        return response

    async def _run(self, request: web.Request, handler: Any, saved: Saved | None = None) -> web.StreamResponse:
        """The handler's response; marks `saved` done if its result is to be kept for the idempotency key."""
        try:
            response = await handler(request)
        except StripeError as error:
            if saved is not None:
                saved.done = error.save
            return error.response()
        if saved is not None:  # forwarded requests: keep what began executing (not a 400 of validation)
            saved.done = response.status < 400 or response.status == 402
        return response

    # -- Connect: accounts ------------------------------------------------------------------------------------

    def _event(self, type_: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> None:
        data: dict[str, Any] = {"object": json.loads(json.dumps(obj))}
        if previous:
            data["previous_attributes"] = previous
        event = {
            "id": new_id("evt"), "object": "event", "api_version": API_VERSION, "created": int(time.time()),
            "data": data, "livemode": False, "pending_webhooks": 1,
            "request": {"id": new_id("req"), "idempotency_key": None}, "type": type_,
        }
        self.events.append(event)
        if self._webhook is not None:
            task = asyncio.get_running_loop().create_task(self._deliver(event, *self._webhook))
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, event: dict[str, Any], url: str, secret: str) -> None:
        """One webhook delivery, a moment after the change (as Stripe's are), retried a few times if refused."""
        import stripe

        payload = json.dumps(event)
        if self._session is None:
            self._session = ClientSession()
        for attempt in range(5):
            await asyncio.sleep(0.2 * (attempt + 1))
            headers = {"Content-Type": "application/json",
                       "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(payload, secret)}
            try:
                async with self._session.post(url, data=payload, headers=headers) as response:
                    if response.status < 300:
                        return
            except OSError:
                pass

    async def create_account(self, request: web.Request) -> web.Response:
        params = parse_form(await request.text())
        controller = params.get("controller") or {}
        dashboard = ((controller.get("stripe_dashboard") or {}).get("type") if isinstance(controller, dict) else None)
        kind = params.get("type") or ("express" if dashboard == "express" else "custom" if dashboard == "none"
                                      else "standard")
        if kind not in ("express", "standard", "custom"):
            raise invalid("type", "Invalid type: must be one of express, standard, or custom")
        requested = {name: ("inactive" if (value or {}).get("requested") == "true" else "unrequested")
                     for name, value in (params.get("capabilities") or {}).items()}
        account = {
            "id": new_id("acct"), "object": "account", "type": kind, "country": params.get("country", "US"),
            "email": params.get("email"), "default_currency": "usd", "created": int(time.time()),
            "charges_enabled": False, "payouts_enabled": False, "details_submitted": False,
            "capabilities": requested, "metadata": params.get("metadata") or {},
            "business_type": params.get("business_type"), "livemode": False,
            "controller": {"type": "application", "is_controller": True,
                           "stripe_dashboard": {"type": dashboard or kind}},
            "requirements": {"currently_due": ["external_account", "tos_acceptance.date"], "disabled_reason":
                             "requirements.past_due", "eventually_due": [], "past_due": [], "errors": []},
        }
        self.accounts[account["id"]] = account
        return web.json_response(account)

    async def retrieve_account(self, request: web.Request) -> web.Response:
        account = self.accounts.get(request.match_info["id"])
        if account is None:
            raise StripeError(404, "invalid_request_error",
                              f"No such account: '{request.match_info['id']}'", "resource_missing", "account")
        return web.json_response(account)

    async def create_account_link(self, request: web.Request) -> web.Response:
        params = parse_form(await request.text())
        for name in ("account", "type"):
            if not params.get(name):
                raise missing(name)
        if params["type"] not in ("account_onboarding", "account_update"):
            raise invalid("type", "Invalid type: must be one of account_onboarding or account_update")
        if params["account"] not in self.accounts:
            raise no_such("account", params["account"], "account")
        for name in ("refresh_url", "return_url"):
            if params.get(name) and not re.match(r"^https?://", params[name]):
                raise invalid(name, "Not a valid URL")
        created = int(time.time())
        token = secrets.token_urlsafe(12)
        url = f"https://connect.stripe.com/setup/e/{params['account']}/{token}"
        if self.hosted_base:
            url = f"{self.hosted_base}/_connect/onboarding/{token}"
            self._links[token] = {"account": params["account"], "return_url": params.get("return_url") or "",
                                  "refresh_url": params.get("refresh_url") or ""}
        return web.json_response({"object": "account_link", "created": created, "expires_at": created + 300,
                                  "url": url})

    async def hosted_onboarding(self, request: web.Request) -> web.Response:
        """Stripe's hosted onboarding, in one button: the page an AccountLink sends the grantee to."""
        link = self._links.get(request.match_info["token"])
        if link is None:
            return web.Response(status=404, text="This onboarding link has expired.")
        import html

        account = html.escape(link["account"])
        return web.Response(content_type="text/html", text=(
            "<!doctype html><html lang='en'><head><title>Stripe test onboarding</title></head><body><main>"
            f"<h1>Stripe test onboarding</h1><p>Connected account {account} (a local test double).</p>"
            "<form method='post'><button type='submit'>Finish onboarding</button></form></main></body></html>"))

    async def finish_hosted_onboarding(self, request: web.Request) -> web.Response:
        link = self._links.pop(request.match_info["token"], None)
        if link is None:
            return web.Response(status=404, text="This onboarding link has expired.")
        self.complete_onboarding(link["account"])
        raise web.HTTPSeeOther(link["return_url"] or "/")

    # -- Connect: transfers -----------------------------------------------------------------------------------

    async def create_transfer(self, request: web.Request) -> web.Response:
        params = parse_form(await request.text())
        amount = to_int(params, "amount")
        currency = params.get("currency")
        destination = params.get("destination")
        if not currency:
            raise missing("currency")
        if not destination:
            raise missing("destination")
        assert amount is not None
        if amount < 1:
            raise invalid("amount", "This value must be greater than or equal to 1.")
        account = self.accounts.get(destination)
        if account is None:
            raise StripeError(400, "invalid_request_error", f"No such destination: '{destination}'",
                              "resource_missing", "destination", save=False)
        # From here the endpoint is executing: its result is saved for the idempotency key, errors included.
        if account["capabilities"].get("transfers") != "active":
            raise StripeError(400, "invalid_request_error",
                              "Your destination account needs to have at least one of the following capabilities "
                              "enabled: transfers, crypto_transfers, legacy_payments", "insufficient_capabilities_"
                              "for_transfer", "destination")
        error, self._next_transfer_error = self._next_transfer_error, None
        if error == "balance_insufficient" or amount > self.available_cents:
            raise StripeError(400, "invalid_request_error", INSUFFICIENT_FUNDS, "balance_insufficient")
        if error:
            raise StripeError(402, "invalid_request_error", f"The transfer failed: {error}", error)
        self.available_cents -= amount
        transfer_id = new_id("tr")
        transfer = {
            "id": transfer_id, "object": "transfer", "amount": amount, "amount_reversed": 0,
            "balance_transaction": new_id("txn"), "created": int(time.time()), "currency": currency.lower(),
            "description": params.get("description"), "destination": destination,
            "destination_payment": new_id("py"), "livemode": False, "metadata": params.get("metadata") or {},
            "reversals": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                          "url": f"/v1/transfers/{transfer_id}/reversals"},
            "reversed": False, "source_transaction": None, "source_type": "card",
            "transfer_group": params.get("transfer_group"),
        }
        self.transfers[transfer_id] = transfer
        self._event("transfer.created", transfer)
        hold, self._hold = self._hold, None
        if hold is not None:  # the transfer exists; the caller never hears of it unless the test lets it
            hold.transfer_id = transfer_id
            hold.created.set()
            await hold.release.wait()
        return web.json_response(transfer)

    def _transfer(self, transfer_id: str) -> dict[str, Any]:
        transfer = self.transfers.get(transfer_id)
        if transfer is None:
            raise no_such("transfer", transfer_id)
        return transfer

    async def retrieve_transfer(self, request: web.Request) -> web.Response:
        return web.json_response(self._transfer(request.match_info["id"]))

    async def update_transfer(self, request: web.Request) -> web.Response:
        transfer = self._transfer(request.match_info["id"])
        params = parse_form(await request.text())
        previous: dict[str, Any] = {}
        if "description" in params:
            previous["description"] = transfer["description"]
            transfer["description"] = params["description"] or None
        if "metadata" in params:
            previous["metadata"] = dict(transfer["metadata"])
            for key, value in (params["metadata"] or {}).items():
                if value == "":
                    transfer["metadata"].pop(key, None)
                else:
                    transfer["metadata"][key] = value
        self._event("transfer.updated", transfer, previous)
        return web.json_response(transfer)

    async def create_reversal(self, request: web.Request) -> web.Response:
        transfer = self._transfer(request.match_info["id"])
        params = parse_form(await request.text())
        remaining = transfer["amount"] - transfer["amount_reversed"]
        amount = to_int(params, "amount", required=False)
        amount = remaining if amount is None else amount
        if amount < 1 or amount > remaining:
            raise StripeError(400, "invalid_request_error",
                              f"Transfer {transfer['id']} has only {remaining} cents left to reverse.",
                              "transfer_reversal_amount_exceeds_remaining", "amount", save=False)
        reversal = {"id": new_id("trr"), "object": "transfer_reversal", "amount": amount,
                    "created": int(time.time()), "currency": transfer["currency"], "transfer": transfer["id"],
                    "metadata": params.get("metadata") or {}, "balance_transaction": new_id("txn")}
        self.available_cents += amount
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] >= transfer["amount"]
        transfer["reversals"]["data"].insert(0, reversal)
        transfer["reversals"]["total_count"] += 1
        self._event("transfer.reversed", transfer)
        return web.json_response(reversal)

    async def list_transfers(self, request: web.Request) -> web.Response:
        limit = to_int(dict(request.query), "limit", required=False) or 10
        if not 1 <= limit <= 100:
            raise invalid("limit", "This value must be between 1 and 100.")
        items = sorted(self.transfers.values(), key=lambda t: t["created"], reverse=True)
        destination = request.query.get("destination")
        if destination:
            items = [t for t in items if t["destination"] == destination]
        after = request.query.get("starting_after")
        if after:
            ids = [t["id"] for t in items]
            if after not in ids:
                raise no_such("transfer", after, "starting_after")
            items = items[ids.index(after) + 1:]
        return web.json_response({"object": "list", "data": items[:limit], "has_more": len(items) > limit,
                                  "url": "/v1/transfers"})

    # -- Stripe.js: the browser's requests --------------------------------------------------------------------------

    @staticmethod
    async def _cors(request: web.Request, response: web.StreamResponse) -> None:
        origin = request.headers.get("Origin")
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"

    async def stripe_js(self, request: web.Request) -> web.Response:
        """localstripe's mock Stripe.js, then tests/stripe_js_fake.js (a `confirmCardPayment` like Stripe's)."""
        status, script = await self._localstripe("GET", "/js.stripe.com/v3/", raw=True)
        if status != 200:
            raise StripeError(502, "api_error", "localstripe did not serve its Stripe.js")
        # In a block: localstripe's top-level `class Element` would otherwise replace the DOM's `Element` for every
        # script of the page (htmx's `instanceof Element` checks then fail and its swaps break).
        text = "{\n" + script + "\n" + STRIPE_JS_OVERRIDE.read_text() + "\n}\n"
        return web.Response(text=text, content_type="application/javascript", headers={"Cache-Control": "no-store"})

    async def _localstripe(self, method: str, path: str, data: dict[str, str] | None = None, *,
                           raw: bool = False) -> tuple[int, Any]:
        if self._session is None:
            self._session = ClientSession()
        async with self._session.request(method, self.localstripe_url + path, data=data,
                                         headers={"Authorization": f"Bearer {INTERNAL_KEY}"}) as upstream:
            return upstream.status, (await upstream.text() if raw else await upstream.json(content_type=None))

    async def confirm_payment_intent(self, request: web.Request) -> web.StreamResponse:
        """`POST /v1/payment_intents/{id}/confirm`. With a secret key (the server), forwarded to localstripe as
        before. With the publishable key and the client secret (Stripe.js in the browser), answered here as Stripe
        does: the card in `payment_method_data` becomes a PaymentMethod set on the intent, which is confirmed."""
        if api_key_of(request) is not None:
            return await self.forward(request)
        params = parse_form(await request.text())
        key = params.get("key")
        if not isinstance(key, str) or not key.startswith("pk_") or len(key) <= 5:
            raise StripeError(401, "invalid_request_error", "You did not provide an API key. You need to provide "
                              "your publishable key as `key` (Stripe.js does).", save=False)
        intent_id = request.match_info["id"]
        status, intent = await self._localstripe("GET", f"/v1/payment_intents/{intent_id}")
        if status != 200:
            raise no_such("payment_intent", intent_id, "intent")
        secret = params.get("client_secret")
        if not isinstance(secret, str) or not secrets.compare_digest(secret, intent["client_secret"]):
            raise StripeError(400, "invalid_request_error", "The client_secret provided does not match the "
                              "client_secret associated with the PaymentIntent.", param="client_secret", save=False)
        if intent["status"] not in CONFIRMABLE:
            raise StripeError(400, "invalid_request_error", "This PaymentIntent's status is "
                              f"{intent['status']}: it cannot be confirmed.", "payment_intent_unexpected_state",
                              save=False)
        method_data = params.get("payment_method_data")
        card = method_data.get("card") if isinstance(method_data, dict) else None
        if not isinstance(card, dict) or method_data.get("type") != "card":
            raise missing("payment_method_data[type]")
        number = str(card.get("number", "")).replace(" ", "")
        form = {"type": "card", "card[number]": LOCALSTRIPE_DECLINED if number in DECLINED_AT_CHARGE else number,
                **{f"card[{name}]": str(card.get(name, "")) for name in ("exp_month", "exp_year", "cvc")}}
        postal = ((method_data.get("billing_details") or {}).get("address") or {}).get("postal_code")
        if postal:
            form["billing_details[address][postal_code]"] = str(postal)
        status, method = await self._localstripe("POST", "/v1/payment_methods", form)
        if status != 200:
            raise StripeError(402, "card_error", "Your card's details are incomplete or incorrect.",
                              "incorrect_number", "payment_method_data[card]", save=False)
        self._forget_failed_charge(intent_id)
        status, body = await self._localstripe("POST", f"/v1/payment_intents/{intent_id}",
                                               {"payment_method": method["id"]})
        if status != 200:
            return web.json_response(body, status=status)
        status, body = await self._localstripe("POST", f"/v1/payment_intents/{intent_id}/confirm")
        if status == 402:  # declined: Stripe answers with a card_error that carries the intent
            _, intent = await self._localstripe("GET", f"/v1/payment_intents/{intent_id}")
            error = body.get("error") or {}
            return web.json_response({"error": {
                "type": "card_error", "code": error.get("code") or "card_declined", "decline_code": "generic_decline",
                "message": error.get("message") or "Your card was declined.", "charge": error.get("charge"),
                "payment_intent": intent, "payment_method": method}}, status=402)
        return web.json_response(body, status=status)

    @staticmethod
    def _forget_failed_charge(intent_id: str) -> None:
        """Let localstripe confirm an intent again after a decline, as Stripe does (see the module docstring)."""
        try:
            from localstripe.resources import store
        except ImportError:
            return
        intent = store.get(f"payment_intent:{intent_id}")
        charge = getattr(intent, "latest_charge", None)
        if charge is not None and getattr(charge, "status", None) == "failed":
            intent.latest_charge = None

    # -- everything else: localstripe ---------------------------------------------------------------------------

    async def forward(self, request: web.Request) -> web.Response:
        if self._session is None:
            self._session = ClientSession()
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() in ("authorization", "content-type", "stripe-version", "stripe-account")}
        body = await request.read()
        async with self._session.request(request.method, self.localstripe_url + request.path_qs, data=body,
                                         headers=headers) as upstream:
            payload = await upstream.read()
            return web.Response(status=upstream.status, body=payload,
                                content_type=upstream.content_type or "application/json")

    async def close(self) -> None:
        if self._hold:
            self._hold.release.set()
        if self._session is not None:
            await self._session.close()
