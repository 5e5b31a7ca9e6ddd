"""getchallenge, login, logout, extendsession and sessions, against recorded answers."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from emulator_wire import Wire, assert_recorded_error, assert_recorded_shape, recorded

from vtorm.testing import Emulator


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def test_getchallenge_token_and_times(wire: Wire) -> None:
    body = wire.get("getchallenge", username="admin", session=False)
    assert_recorded_shape(body["result"], "getchallenge.json")
    result = body["result"]
    assert result["expireTime"] - result["serverTime"] == 300
    assert isinstance(result["token"], str) and result["token"]


def test_getchallenge_errors(wire: Wire) -> None:
    assert_recorded_error(wire.get("getchallenge", session=False), "getchallenge-no-username.json")
    assert_recorded_error(
        wire.get("getchallenge", username="nosuchuser", session=False),
        "getchallenge-unknown-user.json",
    )
    # Registered as GET: sent as POST it finds no username.
    assert_recorded_error(
        wire.post("getchallenge", username="admin", session=False), "getchallenge-POST.json"
    )


def test_login_success_shape(crm: Emulator) -> None:

    wire = Wire(crm)
    body = wire.login()
    assert body["success"] is True
    assert_recorded_shape(body["result"], "login-success.json")
    assert body["result"]["userId"] == "19x1"
    assert body["result"]["vtigerVersion"] == "8.4.0"
    assert body["result"]["version"] == "0.22"


def _token(wire: Wire, username: str = "admin") -> str:
    token: str = wire.get("getchallenge", username=username, session=False)["result"]["token"]
    return token


def test_login_errors(wire: Wire) -> None:
    key = wire.crm.access_key
    token = _token(wire)
    assert_recorded_error(
        wire.post("login", username="admin", session=False), "login-missing-accesskey.json"
    )
    assert_recorded_error(
        wire.post("login", username="admin", accessKey=key, session=False),
        "login-plain-accesskey.json",
    )
    assert_recorded_error(
        wire.post("login", username="admin", accessKey=_md5(token + key).upper(), session=False),
        "login-uppercase-md5.json",
    )
    assert_recorded_error(
        wire.post("login", username="admin", accessKey=_md5(token + "wrongkey"), session=False),
        "login-wrong-accesskey.json",
    )
    assert_recorded_error(
        wire.post("login", username="nosuchuser", accessKey=_md5(token + key), session=False),
        "login-unknown-user.json",
    )
    # Registered as POST: sent as GET it reads no username and finds no token.
    assert_recorded_error(
        wire.get("login", username="admin", accessKey=_md5(token + key), session=False),
        "login-GET.json",
    )


def test_token_reusable_and_user_name_case_insensitive(wire: Wire) -> None:
    key = wire.crm.access_key
    token = _token(wire)
    first = wire.post("login", username="admin", accessKey=_md5(token + key), session=False)
    again = wire.post("login", username="ADMIN", accessKey=_md5(token + key), session=False)
    assert first["success"] and again["success"]
    assert_recorded_shape(again["result"], "login-reused-token.json")
    assert again["result"]["username"] == "admin"
    assert first["result"]["sessionName"] != again["result"]["sessionName"]


def test_new_challenge_invalidates_previous_token(wire: Wire) -> None:
    key = wire.crm.access_key
    old = _token(wire)
    _token(wire)
    body = wire.post("login", username="admin", accessKey=_md5(old + key), session=False)
    # The old digest no longer matches the user's one live token.
    assert body["error"]["code"] == "INVALID_USER_CREDENTIALS"


def test_token_expires_after_300_seconds(wire: Wire) -> None:
    key = wire.crm.access_key
    token = _token(wire)
    wire.crm.state.advance(301)
    body = wire.post("login", username="admin", accessKey=_md5(token + key), session=False)
    assert body["error"]["code"] == "INVALID_AUTH_TOKEN"


def test_second_user_logs_in_with_own_key(crm: Emulator) -> None:

    other = crm.state.user_by_name("jdoe")
    assert other is not None and other.active
    wire = Wire(crm)
    body = wire.login("jdoe", other.access_key)
    assert body["success"] is True
    assert body["result"]["userId"] == f"19x{other.id}"
    assert body["result"]["is_admin"] == "off"
    assert wire.login("jdoe", crm.access_key)["error"]["code"] == "INVALID_USER_CREDENTIALS"


def test_stale_session_name_breaks_getchallenge(wire: Wire) -> None:
    body = wire.get("getchallenge", username="admin", sessionName="deadbeef0123456789abc")
    assert body["error"]["code"] == "INVALID_SESSIONID"


def test_session_errors(wire: Wire) -> None:
    live = wire.session_name
    wire.session_name = "deadbeef0123456789abc"
    assert_recorded_error(wire.get("retrieve", id="19x1"), "session-invalid-retrieve.json")
    assert_recorded_error(wire.get("listtypes"), "session-invalid-listtypes.json")
    assert_recorded_error(
        wire.get("query", query="SELECT * FROM Contacts;"), "session-invalid-query.json"
    )
    assert_recorded_error(
        wire.post("create", elementType="Contacts", element={"lastname": "x"}),
        "session-invalid-create.json",
    )
    assert_recorded_error(
        wire.get("retrieve", id="19x1", session=False), "session-missing-retrieve.json"
    )
    wire.session_name = ""
    assert_recorded_error(wire.get("retrieve", id="19x1"), "session-empty-string.json")
    wire.session_name = "null"
    assert_recorded_error(wire.get("retrieve", id="19x1"), "session-null-string.json")
    wire.session_name = live
    assert wire.get("retrieve", id="19x1")["success"] is True


def test_expire_sessions(wire: Wire) -> None:
    assert wire.get("listtypes")["success"] is True
    wire.crm.expire_sessions()
    assert_recorded_error(wire.get("listtypes"), "session-invalid-listtypes.json")
    assert wire.login()["success"] is True
    assert wire.get("listtypes")["success"] is True


def test_logout(wire: Wire) -> None:
    # Registered as POST: via GET it is refused and the session lives on.
    assert_recorded_error(wire.get("logout"), "logout-GET.json")
    assert wire.get("retrieve", id="19x1")["success"] is True
    assert wire.post("logout") == recorded("logout-success.json")
    assert_recorded_error(wire.get("retrieve", id="19x1"), "retrieve-after-logout.json")
    assert_recorded_error(wire.post("logout"), "logout-again.json")
    assert_recorded_error(wire.post("logout", session=False), "logout-no-session.json")


def test_extendsession(wire: Wire) -> None:
    body = wire.post("extendsession")
    assert body["success"] is True
    assert_recorded_shape(body["result"], "extendsession-with-session.json")
    assert body["result"]["sessionName"] == wire.session_name
    assert_recorded_error(wire.get("extendsession"), "extendsession-GET.json")
    assert_recorded_error(
        wire.post("extendsession", session=False), "extendsession-no-session.json"
    )
    wire.post("logout")
    assert_recorded_error(wire.post("extendsession"), "extendsession-after-logout.json")


def test_calls_are_recorded_without_secrets(wire: Wire) -> None:
    wire.get("retrieve", id="19x1")
    names = [name for name, _ in wire.crm.calls]
    assert names == ["getchallenge", "login", "retrieve"]
    for _, params in wire.crm.calls:
        assert "accessKey" not in params and "sessionName" not in params
    assert wire.crm.calls[-1][1] == {"id": "19x1"}
    assert wire.crm.access_key not in repr(wire.crm.calls)


# -- idle sessions and added users ------------------------------------------------------


def test_an_idle_session_ends_after_the_php_session_lifetime(wire: Wire) -> None:
    """By default a session unused for 1440 s (PHP's session.gc_maxlifetime) is gone."""
    state = wire.crm.state
    assert state.session_idle == 1440
    state.advance(1400)
    assert wire.get("retrieve", id="19x1")["success"]  # in use: the idle time starts again
    state.advance(1400)
    assert wire.get("retrieve", id="19x1")["success"]
    state.advance(1441)
    body = wire.get("retrieve", id="19x1")
    assert_recorded_error(body, "retrieve-after-logout.json")
    assert body["error"]["code"] == "INVALID_SESSIONID"
    assert wire.login()["success"]  # a new login works at once


def test_the_idle_lifetime_is_configurable() -> None:
    with Emulator(session_idle=60) as short:
        wire = Wire(short)
        assert wire.login()["success"]
        short.state.advance(61)
        assert wire.get("retrieve", id="19x1")["error"]["code"] == "INVALID_SESSIONID"
    with Emulator(session_idle=None) as endless:
        wire = Wire(endless)
        assert wire.login()["success"]
        endless.state.advance(10 * 86400)
        assert wire.get("retrieve", id="19x1")["success"]


def test_a_bad_idle_lifetime_is_refused() -> None:
    for bad in (0, -5):
        with pytest.raises(ValueError, match="session_idle"):
            Emulator(session_idle=bad)


def test_an_added_user_logs_in_and_owns_records(crm: Emulator) -> None:
    user = crm.add_user("sales1", first_name="Sam", last_name="Seller")
    assert user.wsid == "19x6"  # after the admin, the three groups and jdoe
    wire = Wire(crm)
    body = wire.login("sales1", user.access_key)
    assert body["success"] and body["result"]["userId"] == user.wsid
    assert body["result"]["is_admin"] == "off"
    contact = wire.create("Contacts", lastname="Owned", assigned_user_id=user.wsid)
    assert contact["assigned_user_id"] == user.wsid and contact["modifiedby"] == user.wsid
    retrieved = wire.get("retrieve", id=user.wsid)["result"]
    assert (retrieved["user_name"], retrieved["userlabel"]) == ("sales1", "Sam Seller")


def test_added_users_are_refused_twice_and_kept_in_a_db_file(tmp_path: Path) -> None:
    db = tmp_path / "crm.sqlite"
    with Emulator(db_path=db) as crm:
        user = crm.add_user("kept", is_admin=True)
        with pytest.raises(ValueError, match="exists already"):
            crm.add_user("KEPT")
    with Emulator(db_path=db) as again:
        found = again.state.user_by_name("kept")
        assert found is not None and found.access_key == user.access_key and found.is_admin
        assert Wire(again).login("kept", user.access_key)["success"]
