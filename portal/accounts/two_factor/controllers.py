"""The second step of sign-in (/login/two-factor) and the account security page (/account/security)."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import segno
from litestar import Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath

from portal.accounts.forms import safe_next
from portal.accounts.two_factor import queries, services
from portal.accounts.two_factor.records import ChallengeRecord
from portal.core.errors import Invalid
from portal.web.auth import actor, current_user, requires_user
from portal.web.forms import read_form, text
from portal.web.render import redirect, render
from portal.web.sessions import PortalRequest, state_of

PENDING_COOKIE = "portal_2fa"
STEP_PATH = "/login/two-factor"
SECURITY_PATH = "/account/security"


def _cookie_name(request: PortalRequest) -> str:
    return ("__Host-" if request.app.state.settings.secure_cookies else "") + PENDING_COOKIE


def _pending_cookie(request: PortalRequest, value: str, max_age: int) -> Cookie:
    return Cookie(key=_cookie_name(request), value=value, path="/", secure=request.app.state.settings.secure_cookies,
                  httponly=True, samesite="lax", max_age=max_age)


def webauthn_origin(request: PortalRequest) -> tuple[str, str]:
    """The relying party id and origin passkeys are bound to: the public URL in production; in development the
    address the browser used (a passkey cannot be bound to an IP address, so the demo is reached as localhost)."""
    settings = request.app.state.settings
    origin = settings.public_url if settings.production else f"{request.url.scheme}://{request.url.netloc}"
    return urlsplit(origin).hostname or "localhost", origin.rstrip("/")


# -- called by the sign-in controller, after the password was checked ---------------------------------------------

async def needs_second_step(user_id: int) -> bool:
    return await queries.has_second_factor(user_id)


async def second_step_redirect(request: PortalRequest, user_id: int, target: str) -> Response[str]:
    """Start the second step: remember the pending sign-in in a cookie and send the browser to the step's page."""
    token = await services.begin_second_step(actor(request), user_id)
    response = redirect(request, f"{STEP_PATH}?next={quote(target)}")
    response.set_cookie(_pending_cookie(request, token, int(services.SECOND_STEP_VALID_FOR.total_seconds())))
    return response


# -- the second step ----------------------------------------------------------------------------------------------

async def _step_context(request: PortalRequest, pending: ChallengeRecord, target: str,
                        errors: dict[str, str] | None = None) -> dict[str, object]:
    return {"next": target, "errors": errors or {}, "has_totp": await queries.has_totp(pending.user),
            "has_passkey": await queries.has_passkey(pending.user)}


def _target(value: str) -> str:
    return safe_next(value)


@get(STEP_PATH, name="two-factor:step")
async def step_page(request: PortalRequest) -> Response[str]:
    target = _target(request.query_params.get("next", ""))
    pending = await services.pending_sign_in(request.cookies.get(_cookie_name(request), ""))
    if pending is None:
        return redirect(request, "/login?next=" + quote(target))
    return render(request, "accounts/two_factor_step.html", await _step_context(request, pending, target))


@post(STEP_PATH, name="two-factor:step-post")
async def step(request: PortalRequest) -> Response[str]:
    data = await read_form(request)
    target = _target(text(data, "next", 500))
    token = request.cookies.get(_cookie_name(request), "")
    method = text(data, "method", 20)
    try:
        if method == "recovery_code":
            user_id = await services.complete_with_recovery_code(actor(request), token, text(data, "recovery_code", 40))
        elif method == "passkey":
            rp_id, origin = webauthn_origin(request)
            user_id = await services.complete_with_passkey(actor(request), token, text(data, "credential", 20_000),
                                                           rp_id, origin)
        else:
            user_id = await services.complete_with_totp(actor(request), token, text(data, "code", 20))
    except Invalid as exc:
        pending = await services.pending_sign_in(token)
        if pending is None:  # expired while answering
            return redirect(request, "/login?next=" + quote(target))
        return render(request, "accounts/two_factor_step.html",
                      await _step_context(request, pending, target, exc.errors), status_code=422)
    await state_of(request).sign_in(user_id)  # a new session id, as at every sign-in
    response = redirect(request, target)
    response.set_cookie(_pending_cookie(request, "", 0))
    return response


@post(STEP_PATH + "/passkey-options", name="two-factor:passkey-options")
async def step_passkey_options(request: PortalRequest) -> Response[str]:
    rp_id, _ = webauthn_origin(request)
    options = await services.passkey_sign_in_options(request.cookies.get(_cookie_name(request), ""), rp_id)
    return Response(content=options, media_type="application/json", headers={"Cache-Control": "no-store"})


# -- the account security page ------------------------------------------------------------------------------------

async def _security_context(request: PortalRequest, **extra: object) -> dict[str, object]:
    user = current_user(request)
    factors = await queries.factors_of(user.id)
    return {"factors": factors, "required": user.is_staff and request.app.state.settings.two_factor_required_for_staff,
            "has_factor": factors.totp == "confirmed" or bool(factors.passkeys), "errors": {}, **extra}


@get(SECURITY_PATH, name="two-factor:security", guards=[requires_user])
async def security_page(request: PortalRequest) -> Response[str]:
    return render(request, "accounts/security.html", await _security_context(request))


@post(SECURITY_PATH + "/totp", name="two-factor:totp-start", guards=[requires_user])
async def totp_start(request: PortalRequest) -> Response[str]:
    await services.start_totp_enrolment(actor(request))
    return redirect(request, SECURITY_PATH + "/totp")


@get(SECURITY_PATH + "/totp", name="two-factor:totp", guards=[requires_user])
async def totp_page(request: PortalRequest) -> Response[str]:
    return await _totp_form(request, {})


async def _totp_form(request: PortalRequest, errors: dict[str, str], status_code: int = 200) -> Response[str]:
    user = current_user(request)
    secret = await queries.pending_totp_secret(user.id)
    if secret is None:
        return redirect(request, SECURITY_PATH)
    uri = services.provisioning_uri(secret, user.email)
    qr = segno.make(uri, error="m").svg_inline(scale=5, title="QR code for your authenticator app")
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render(request, "accounts/two_factor_totp.html", {"qr": qr, "secret": grouped, "errors": errors},
                  status_code=status_code)


@post(SECURITY_PATH + "/totp/confirm", name="two-factor:totp-confirm", guards=[requires_user])
async def totp_confirm(request: PortalRequest) -> Response[str]:
    data = await read_form(request)
    try:
        codes = await services.confirm_totp(actor(request), text(data, "code", 20))
    except Invalid as exc:
        return await _totp_form(request, exc.errors, status_code=422)
    if codes:
        return render(request, "accounts/recovery_codes.html", {"codes": codes})
    return redirect(request, SECURITY_PATH + "?added=totp")


@post(SECURITY_PATH + "/totp/remove", name="two-factor:totp-remove", guards=[requires_user])
async def totp_remove(request: PortalRequest) -> Response[str]:
    await services.remove_totp(actor(request))
    return redirect(request, SECURITY_PATH + "?removed=totp")


@post(SECURITY_PATH + "/recovery-codes", name="two-factor:recovery-codes", guards=[requires_user])
async def recovery_codes(request: PortalRequest) -> Response[str]:
    codes = await services.regenerate_recovery_codes(actor(request))
    # Shown once, in the answer to this POST: only their hashes are kept.
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


@post(SECURITY_PATH + "/passkeys/options", name="two-factor:passkey-enrol-options", guards=[requires_user])
async def passkey_options(request: PortalRequest) -> Response[str]:
    rp_id, _ = webauthn_origin(request)
    options = await services.passkey_registration_options(actor(request), rp_id)
    return Response(content=options, media_type="application/json", headers={"Cache-Control": "no-store"})


@post(SECURITY_PATH + "/passkeys", name="two-factor:passkey-add", guards=[requires_user])
async def passkey_add(request: PortalRequest) -> Response[str]:
    data = await read_form(request)
    rp_id, origin = webauthn_origin(request)
    try:
        await services.add_passkey(actor(request), text(data, "credential", 20_000), text(data, "name", 100),
                                   rp_id, origin)
    except Invalid as exc:
        return render(request, "accounts/security.html", await _security_context(request, errors=exc.errors),
                      status_code=422)
    return redirect(request, SECURITY_PATH + "?added=passkey")


@post(SECURITY_PATH + "/passkeys/{passkey_id:int}/remove", name="two-factor:passkey-remove", guards=[requires_user])
async def passkey_remove(request: PortalRequest, passkey_id: FromPath[int]) -> Response[str]:
    await services.remove_passkey(actor(request), passkey_id)
    return redirect(request, SECURITY_PATH + "?removed=passkey")


ROUTES = [step_page, step, step_passkey_options, security_page, totp_start, totp_page, totp_confirm, totp_remove,
          recovery_codes, passkey_options, passkey_add, passkey_remove]
