"""getchallenge, login, logout and extendsession."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from vtorm.testing.operations.base import Context, WsError, operation
from vtorm.testing.state import API_VERSION, VTIGER_VERSION

AUTH_REQUIRED = WsError("AUTHENTICATION_REQUIRED", "Authencation required")


@operation("getchallenge", method="GET", session=False)
def getchallenge(ctx: Context, params: Mapping[str, str]) -> Any:
    """A login token for the user; it lives 300 s and replaces the user's previous one."""
    name = params.get("username")
    if not name:
        raise WsError("ACCESS_DENIED", "No username given")
    user = ctx.crm.user_by_name(name)
    if user is None:
        raise WsError("ACCESS_DENIED", "username does not exists")
    token, now, expires = ctx.crm.challenge(user)
    return {"token": token, "serverTime": int(now), "expireTime": int(expires)}


@operation("login", method="POST", session=False)
def login(ctx: Context, params: Mapping[str, str]) -> Any:
    """Open a session: ``accessKey`` must be md5(token + access key) in lower-case hex."""
    user = ctx.crm.user_by_name(params.get("username") or "")
    token = ctx.crm.live_token(user) if user is not None else None
    if user is None or token is None:
        raise WsError("INVALID_AUTH_TOKEN", "Specified token is invalid or expired")
    expected = hashlib.md5((token + user.access_key).encode()).hexdigest()
    if params.get("accessKey") != expected or not user.active:
        raise WsError("INVALID_USER_CREDENTIALS", "Invalid username or password")
    session = ctx.crm.open_session(user)
    return {
        "username": user.user_name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "time_zone": "UTC",
        "hour_format": "12",
        "date_format": "yyyy-mm-dd",
        "is_admin": "on" if user.is_admin else "off",
        "call_duration": "5",
        "other_event_duration": "5",
        "sessionName": session.name,
        "userId": user.wsid,
        "version": API_VERSION,
        "vtigerVersion": VTIGER_VERSION,
    }


@operation("logout", method="POST", session=True)
def logout(ctx: Context, params: Mapping[str, str]) -> Any:
    """End the session. Sent via GET the server refuses and the session lives on."""
    if ctx.method != "POST":
        raise WsError("OPERATION_NOT_SUPPORTED", "Permission to perform the operation is denied")
    if ctx.session_name:
        ctx.crm.close_session(ctx.session_name)
    return {"message": "successfull"}


@operation("extendsession", method="POST", session=False)
def extendsession(ctx: Context, params: Mapping[str, str]) -> Any:
    """Answer the live session again (the web UI's cookie is not emulated)."""
    if ctx.method != "POST":
        raise AUTH_REQUIRED
    session = ctx.crm.session(ctx.session_name) if ctx.session_name else None
    if session is None:
        raise WsError("AUTHENTICATION_FAILURE", "Authencation Failed")
    user = ctx.crm.users[session.user_id]
    return {
        "sessionName": session.name,
        "userId": user.wsid,
        "version": API_VERSION,
        "vtigerVersion": VTIGER_VERSION,
    }
