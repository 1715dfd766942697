"""Sign-in, registration, sign-out, password reset and invitations."""

from __future__ import annotations

from litestar import Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.params import FromPath

from portal.accounts import forms, services
from portal.accounts.forms import safe_next
from portal.accounts.two_factor import controllers as two_factor
from portal.core.errors import Invalid
from portal.web.auth import actor, current_user
from portal.web.forms import read_form, text
from portal.web.render import redirect, render
from portal.web.sessions import PortalRequest, state_of


@get("/login", name="accounts:login")
async def login_page(request: PortalRequest) -> Response[str]:
    if state_of(request).user:
        return redirect(request, safe_next(request.query_params.get("next", "")))
    return render(request, "accounts/login.html", {"values": {}, "errors": {}, "next": request.query_params.get("next", "")})


@post("/login", name="accounts:login-post")
async def login(request: PortalRequest) -> Response[str]:
    data = await read_form(request)
    target = safe_next(text(data, "next", 500))
    try:
        values = forms.sign_in(data)
        settings = request.app.state.settings
        user_id = await services.authenticate(actor(request), values["email"], values["password"],
                                              free_failures=settings.login_attempts_per_15min,
                                              address_failures=settings.login_failures_per_address_15min)
    except Invalid as exc:
        return render(request, "accounts/login.html", {"values": {"email": text(data, "email", 320)},
                                                       "errors": exc.errors, "next": target}, status_code=422)
    if await two_factor.needs_second_step(user_id):  # the session is authenticated only after the second step
        return await two_factor.second_step_redirect(request, user_id, target)
    await state_of(request).sign_in(user_id)
    return redirect(request, target)


@post("/logout", name="accounts:logout")
async def logout(request: PortalRequest) -> Response[str]:
    await services.record_sign_out(actor(request))
    await state_of(request).sign_out()
    return redirect(request, "/login?signed_out=1")


@get("/register", name="accounts:register")
async def register_page(request: PortalRequest) -> Response[str]:
    return render(request, "accounts/register.html", {"values": {}, "errors": {},
                                                      "next": request.query_params.get("next", "")})


@post("/register", name="accounts:register-post")
async def register(request: PortalRequest) -> Response[str]:
    data = await read_form(request)
    try:
        values = await forms.registration(data)
        user_id = await services.register_user(actor(request), values["name"], values["email"], values["password"],
                                               request.app.state.settings.public_url)
    except Invalid as exc:
        kept = {k: text(data, k, 320) for k in ("name", "email")}
        return render(request, "accounts/register.html", {"values": kept, "errors": exc.errors,
                                                          "next": text(data, "next", 500)}, status_code=422)
    if user_id is not None:  # None: the email has an account, whose owner was emailed; answer the same
        await state_of(request).sign_in(user_id)
    return redirect(request, safe_next(text(data, "next", 500)))


@get("/reset", name="accounts:reset-request")
async def reset_request_page(request: PortalRequest) -> Response[str]:
    return render(request, "accounts/reset_request.html", {"values": {}, "errors": {}, "sent": False})


@post("/reset", name="accounts:reset-request-post")
async def reset_request(request: PortalRequest) -> Response[str]:
    data = await read_form(request)
    try:
        email = forms.email_only(data)
    except Invalid as exc:
        return render(request, "accounts/reset_request.html",
                      {"values": {"email": text(data, "email", 320)}, "errors": exc.errors, "sent": False}, status_code=422)
    send = await services.request_password_reset(actor(request), email)
    response = render(request, "accounts/reset_request.html", {"values": {}, "errors": {}, "sent": True})
    if send:  # after the response: whether the account exists must not show in its time
        response.background = BackgroundTask(services.send_password_reset, actor(request), email,
                                             request.app.state.settings.public_url)
    return response


@get("/reset/{token:str}", name="accounts:reset")
async def reset_page(request: PortalRequest, token: FromPath[str]) -> Response[str]:
    valid = await services.find_reset(token) is not None
    return render(request, "accounts/reset.html", {"token": token, "valid": valid, "errors": {}},
                  status_code=200 if valid else 404)


@post("/reset/{token:str}", name="accounts:reset-post")
async def reset(request: PortalRequest, token: FromPath[str]) -> Response[str]:
    data = await read_form(request)
    try:
        password = await forms.new_password(data, await services.reset_owner_words(token))
    except Invalid as exc:
        return render(request, "accounts/reset.html", {"token": token, "valid": True, "errors": exc.errors}, status_code=422)
    user_id = await services.reset_password(actor(request), token, password)
    if await two_factor.needs_second_step(user_id):  # a reset link proves the email, not the second factor
        return await two_factor.second_step_redirect(request, user_id, "/dashboard")
    await state_of(request).sign_in(user_id)
    return redirect(request, "/dashboard")


@get("/invitations/{token:str}", name="accounts:invitation")
async def invitation_page(request: PortalRequest, token: FromPath[str]) -> Response[str]:
    invitation = await services.find_invitation(token)
    if invitation is None:
        return render(request, "accounts/invitation.html", {"invitation": None, "token": token}, status_code=404)
    return render(request, "accounts/invitation.html", {"invitation": invitation, "token": token})


@post("/invitations/{token:str}", name="accounts:invitation-accept")
async def invitation_accept(request: PortalRequest, token: FromPath[str]) -> Response[str]:
    user = current_user(request)
    accepted = await services.accept_invitation(actor(request), token, user.id, user.email)
    # The user's roles changed: a fresh session id, as at every privilege change.
    await state_of(request).sign_in(user.id)
    if accepted.panel_id:  # a new panel member: say what they can take on
        return redirect(request, f"/panels/{accepted.panel_id}/profile?joined=1")
    return redirect(request, "/dashboard")


ROUTES = [login_page, login, logout, register_page, register, reset_request_page, reset_request, reset_page, reset,
          invitation_page, invitation_accept]
