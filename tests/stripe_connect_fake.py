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
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import ClientSession, web

API_VERSION = "2026-10-28.clover"
CONNECT_PATHS = re.compile(r"^/v1/(accounts|account_links|transfers)(/|$)")
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
