"""vtorm.Client against the embedded CRM, over HTTP: every operation, success and failure."""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
import requests

import vtorm
import vtorm.transport
from vtorm.features import BROKEN_ON_8
from vtorm.testing import Emulator, InProcessTransport


@pytest.fixture
def client(crm: Emulator) -> Iterator[vtorm.Client]:
    with vtorm.Client(crm.url, crm.username, crm.access_key, backoff=0.001) as c:
        yield c


@pytest.fixture
def sync_crm() -> Iterator[Emulator]:
    with Emulator(quirks=None) as emulator:
        yield emulator


def ops(crm: Emulator) -> list[str]:
    return [name for name, _ in crm.calls]


def params_of(crm: Emulator, operation: str) -> list[dict[str, str]]:
    return [params for name, params in crm.calls if name == operation]


def new_contact(client: vtorm.Client, lastname: str = "Smith", **values: Any) -> dict[str, Any]:
    return client.create(
        "Contacts", {"lastname": lastname, "assigned_user_id": client.user_id or "19x1", **values}
    )


class Recorder:
    """A response hook keeping every prepared request the client sent."""

    def __init__(self, session: requests.Session) -> None:
        self.requests: list[requests.PreparedRequest] = []
        session.hooks["response"].append(self.hook)

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.requests.append(response.request)

    def last(self, operation: str) -> requests.PreparedRequest:
        for request in reversed(self.requests):
            body = request.body or ""
            text = body if isinstance(body, str) else body.decode(errors="replace")
            where = f"{request.url}&{text}&"
            multipart = f'name="operation"\r\n\r\n{operation}\r\n'
            if f"operation={operation}&" in where or multipart in text:
                return request
        raise AssertionError(f"no {operation} request sent")


# -- construction, URL, login ------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/", "/webservice.php", "/webservice.php/"])
def test_url_may_be_base_or_endpoint(crm: Emulator, suffix: str) -> None:
    base = crm.url.removesuffix("/webservice.php")
    client = vtorm.Client(base + suffix, crm.username, crm.access_key)
    assert client.url == crm.url
    assert client.login().user_id == "19x1"
    client.close()


@pytest.mark.parametrize("path", ["/crm", "/crm/webservice.php", "/crm/xwebservice.php"])
def test_a_url_that_is_not_the_endpoint_says_the_url_is_probably_wrong(
    crm: Emulator, path: str
) -> None:
    base = crm.url.removesuffix("/webservice.php")
    client = vtorm.Client(base + path, crm.username, crm.access_key, backoff=0.001)
    recorder = Recorder(client.session)
    with pytest.raises(vtorm.ProtocolError) as caught:
        client.login()
    client.close()
    assert caught.value.status == 404
    assert f"HTTP 404 (not found) for {client.url}: the URL is probably wrong" in str(
        caught.value
    )
    assert len(recorder.requests) == 1  # a wrong URL does not heal: not retried
    assert crm.calls == []  # the web service saw nothing


def test_constructor_refuses_empty_credentials(crm: Emulator) -> None:
    with pytest.raises(ValueError, match="access_key"):
        vtorm.Client(crm.url, crm.username, "")
    with pytest.raises(ValueError, match="username"):
        vtorm.Client(crm.url, "", crm.access_key)
    with pytest.raises(ValueError, match="max_retries"):
        vtorm.Client(crm.url, crm.username, crm.access_key, max_retries=-1)


def test_a_given_requests_session_is_used_and_left_open(crm: Emulator) -> None:
    session = requests.Session()
    recorder = Recorder(session)
    client = vtorm.Client(crm.url, crm.username, crm.access_key, session=session)
    assert client.session is session
    client.list_types()
    client.close()
    assert [r.method for r in recorder.requests] == ["GET", "POST", "GET", "POST"]
    # Not closed: its pooled connection is still there (a session's close() empties the pool).
    assert len(session.get_adapter(crm.url).poolmanager.pools) == 1  # type: ignore[attr-defined]


def test_a_session_and_a_transport_are_not_both_taken(crm: Emulator) -> None:
    with pytest.raises(ValueError, match="session or a transport"):
        vtorm.Client(
            crm.url,
            crm.username,
            crm.access_key,
            session=requests.Session(),
            transport=InProcessTransport(crm),
        )


def test_login_returns_session_facts(client: vtorm.Client, crm: Emulator) -> None:
    assert client.vtiger_version is None
    assert client.user_id is None
    result = client.login()
    assert isinstance(result, vtorm.LoginResult)
    assert result.user_id == "19x1"
    assert result.version == "0.22"
    assert result.vtiger_version == "8.4.0"
    assert len(result.session_name) > 8
    assert client.vtiger_version == "8.4.0"
    assert client.user_id == "19x1"
    assert ops(crm) == ["getchallenge", "login"]
    # The md5 handshake: the access key itself never travels.
    assert "accessKey" not in params_of(crm, "login")[0]


def test_login_is_lazy_and_happens_once(client: vtorm.Client, crm: Emulator) -> None:
    assert crm.calls == []
    assert not client.logged_in
    client.list_types()
    client.list_types()
    assert ops(crm) == ["getchallenge", "login", "listtypes", "listtypes"]
    assert client.logged_in


def test_login_sends_no_session_name(client: vtorm.Client, crm: Emulator) -> None:
    recorder = Recorder(client.session)
    client.login()
    client.login()
    for request in recorder.requests:
        assert "sessionName" not in (request.url or "") + str(request.body or "")


def test_wrong_access_key_raises_authentication_error(crm: Emulator) -> None:
    client = vtorm.Client(crm.url, crm.username, "not-the-key")
    with pytest.raises(vtorm.AuthenticationError) as caught:
        client.list_types()
    assert caught.value.code == "INVALID_USER_CREDENTIALS"
    assert caught.value.operation == "login"
    assert caught.value.message == "Invalid username or password"  # the server's words
    # A password where the access key belongs is the usual mistake: say so.
    text = str(caught.value)
    assert "access key, not the password" in text
    assert "My Preferences" in text
    assert "not-the-key" not in text
    assert ops(crm) == ["getchallenge", "login"]  # no retry storm on a refused login


@pytest.mark.parametrize("url", ["127.0.0.1:8088", "crm.example.com/vtiger", "localhost:80"])
def test_url_without_scheme_fails_at_once_with_a_hint(url: str) -> None:
    with pytest.raises(ValueError, match="http:// or https://") as caught:
        vtorm.Client(url, "admin", "key")
    assert f"'https://{url}'" in str(caught.value)


def test_unknown_user_raises_access_denied_on_challenge(crm: Emulator) -> None:
    client = vtorm.Client(crm.url, "nobody", crm.access_key)
    with pytest.raises(vtorm.AccessDeniedError) as caught:
        client.login()
    assert caught.value.operation == "getchallenge"
    # A refused login like any other, which says that the name is what is wrong.
    assert isinstance(caught.value, vtorm.UnknownUserError)
    assert isinstance(caught.value, vtorm.AuthenticationError)
    assert str(caught.value) == (
        "ACCESS_DENIED: username does not exists during getchallenge. The CRM has no active "
        "user of this name: check the user name (VTIGER_USERNAME); it is the user's login "
        "name, such as admin"
    )
    assert caught.value.message == "username does not exists"


def test_a_duplicate_says_which_rule_refused_it(client: vtorm.Client) -> None:
    client.create("Accounts", {"accountname": "Initrode", "assigned_user_id": "19x1"})
    with pytest.raises(vtorm.DuplicateError) as caught:
        client.create("Accounts", {"accountname": "initrode ", "assigned_user_id": "19x1"})
    assert caught.value.message == "Duplicate(s) detected!"
    assert str(caught.value).startswith("0: Duplicate(s) detected! during create. Another record")
    assert "Accounts.accountname" in str(caught.value)


def test_an_unknown_operation_in_doubt_quotes_the_answer_once(client: vtorm.Client) -> None:
    # The embedded CRM has no wsapp_* operations: HTTP 500 with an empty body, a POST
    # that may have run, so in doubt; the status and the body are quoted once.
    with pytest.raises(vtorm.InDoubtError) as caught:
        client.call("wsapp_register", method="POST", type="vtigerCRM", synctype="user")
    assert str(caught.value).count("(HTTP 500, body: '')") == 1
    assert str(caught.value).endswith("(HTTP 500, body: '')")


def test_logout_ends_the_session_and_next_call_logs_in(client: vtorm.Client, crm: Emulator) -> None:
    first = client.login()
    client.logout()
    assert not client.logged_in
    assert ops(crm)[-1] == "logout"
    # The old session is really gone on the server.
    stale = vtorm.Client(crm.url, crm.username, crm.access_key)
    stale.session.close()
    response = requests.get(
        crm.url, params={"operation": "listtypes", "sessionName": first.session_name}, timeout=5
    )
    assert response.json()["error"]["code"] == "INVALID_SESSIONID"
    client.list_types()
    assert ops(crm).count("login") == 2


def test_logout_without_login_sends_nothing(client: vtorm.Client, crm: Emulator) -> None:
    client.logout()
    assert crm.calls == []


def test_logout_of_dead_session_is_quiet(client: vtorm.Client, crm: Emulator) -> None:
    client.login()
    crm.expire_sessions()
    client.logout()
    assert not client.logged_in
    assert ops(crm).count("login") == 1


def test_extend_session(client: vtorm.Client, crm: Emulator) -> None:
    login = client.login()
    extended = client.extend_session()
    assert extended.session_name == login.session_name
    assert extended.user_id == "19x1"
    assert extended.vtiger_version == "8.4.0"
    assert params_of(crm, "extendsession") == [{}]


def test_extend_session_of_dead_session_logs_in_again(client: vtorm.Client, crm: Emulator) -> None:
    old = client.login()
    crm.expire_sessions()
    extended = client.extend_session()
    assert extended.session_name != old.session_name
    assert ops(crm)[-4:] == ["extendsession", "getchallenge", "login", "extendsession"]


def test_context_manager_logs_out(crm: Emulator) -> None:
    with vtorm.Client(crm.url, crm.username, crm.access_key) as client:
        client.list_types()
    assert ops(crm)[-1] == "logout"
    assert not client.logged_in


# -- how parameters travel --------------------------------------------------


def test_get_operations_use_the_query_string(client: vtorm.Client) -> None:
    recorder = Recorder(client.session)
    record = new_contact(client)
    client.retrieve(record["id"])
    request = recorder.last("retrieve")
    assert request.method == "GET"
    assert f"id={record['id']}" in (request.url or "")
    assert "sessionName=" in (request.url or "")
    assert not request.body


def test_post_operations_use_a_form_body(client: vtorm.Client) -> None:
    recorder = Recorder(client.session)
    new_contact(client, "Body")
    request = recorder.last("create")
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "element" not in (request.url or "")
    assert "sessionName=" in str(request.body)
    assert "elementType=Contacts" in str(request.body)


def test_element_is_json_text_with_lists_as_they_are(client: vtorm.Client, crm: Emulator) -> None:
    element = {
        "lastname": "O'Brien & Søn",
        "assigned_user_id": "19x1",
        "cf_interests": ["Sports", "Music"],
    }
    client.create("Contacts", element)
    sent = params_of(crm, "create")[0]
    assert sent["elementType"] == "Contacts"
    assert json.loads(sent["element"]) == element


def test_values_that_are_not_json_are_refused_before_sending(
    client: vtorm.Client, crm: Emulator
) -> None:
    with pytest.raises(vtorm.ValidationError, match="element"):
        client.create("Contacts", {"lastname": "X", "birthday": datetime.date(2000, 1, 1)})
    assert "create" not in ops(crm)


# -- schema -----------------------------------------------------------------


def test_list_types(client: vtorm.Client) -> None:
    types = client.list_types()
    assert {"Contacts", "Accounts", "Leads", "HelpDesk"} <= set(types)
    assert all(isinstance(name, str) for name in types)


def test_list_types_by_field_type(client: vtorm.Client, crm: Emulator) -> None:
    with_picklists = client.list_types(["picklist"])
    assert "Contacts" in with_picklists
    assert json.loads(params_of(crm, "listtypes")[0]["fieldTypeList"]) == ["picklist"]


def test_describe_is_cached_per_client(client: vtorm.Client, crm: Emulator) -> None:
    first = client.describe("Contacts")
    assert first["name"] == "Contacts"
    assert first["idPrefix"] == "12"
    assert any(f["name"] == "lastname" for f in first["fields"])
    first["fields"].clear()  # a caller's mutation must not reach the cache
    second = client.describe("Contacts")
    assert second["fields"]
    assert ops(crm).count("describe") == 1
    client.describe("Accounts")
    assert ops(crm).count("describe") == 2


def test_clear_cache(client: vtorm.Client, crm: Emulator) -> None:
    client.describe("Contacts")
    client.describe("Accounts")
    client.clear_cache("Contacts")
    client.describe("Accounts")
    client.describe("Contacts")
    assert ops(crm).count("describe") == 3
    client.clear_cache()
    client.describe("Accounts")
    assert ops(crm).count("describe") == 4


def test_describe_unknown_module(client: vtorm.Client) -> None:
    with pytest.raises(vtorm.AccessDeniedError) as caught:
        client.describe("NoSuchModule")
    assert caught.value.operation == "describe"


# -- records ----------------------------------------------------------------


def test_create_returns_the_stored_record(client: vtorm.Client) -> None:
    record = new_contact(client, "Müller", firstname="José")
    assert record["id"].startswith("12x")
    assert record["lastname"] == "Müller"
    assert record["firstname"] == "José"
    assert record["assigned_user_id"] == "19x1"


def test_create_missing_mandatory_field(client: vtorm.Client) -> None:
    with pytest.raises(vtorm.MandatoryFieldError) as caught:
        client.create("Contacts", {"firstname": "No", "assigned_user_id": "19x1"})
    assert caught.value.code == "MANDATORY_FIELDS_MISSING"
    assert caught.value.operation == "create"
    assert "lastname" in caught.value.message


def test_create_unknown_module(client: vtorm.Client) -> None:
    with pytest.raises(vtorm.AccessDeniedError):
        client.create("NoSuchModule", {"name": "x"})


def test_retrieve(client: vtorm.Client) -> None:
    record = new_contact(client, "Retrieved")
    again = client.retrieve(record["id"])
    assert again["id"] == record["id"]
    assert again["lastname"] == "Retrieved"


def test_retrieve_unknown_and_malformed_ids(client: vtorm.Client) -> None:
    with pytest.raises(vtorm.AccessDeniedError) as caught:
        client.retrieve("12x999999")
    assert caught.value.operation == "retrieve"
    with pytest.raises(vtorm.InvalidIdError):
        client.retrieve("12x")


def test_update_is_a_full_update(client: vtorm.Client) -> None:
    record = new_contact(client, "Before", title="Old")
    record["lastname"] = "After"
    updated = client.update(record)
    assert updated["lastname"] == "After"
    assert updated["title"] == "Old"
    assert client.retrieve(record["id"])["lastname"] == "After"


def test_update_needs_every_mandatory_field(client: vtorm.Client) -> None:
    record = new_contact(client)
    with pytest.raises(vtorm.MandatoryFieldError) as caught:
        client.update({"id": record["id"], "title": "Only title"})
    assert caught.value.operation == "update"


def test_revise_changes_only_what_is_sent(client: vtorm.Client) -> None:
    record = new_contact(client, "Kept", title="Old")
    revised = client.revise({"id": record["id"], "title": "New"})
    assert revised["title"] == "New"
    assert revised["lastname"] == "Kept"


def test_revise_without_id(client: vtorm.Client) -> None:
    with pytest.raises(vtorm.InvalidIdError) as caught:
        client.revise({"title": "x"})
    assert caught.value.operation == "revise"


def test_delete(client: vtorm.Client) -> None:
    record = new_contact(client, "Doomed")
    assert client.delete(record["id"]) is None
    with pytest.raises(vtorm.AccessDeniedError):
        client.retrieve(record["id"])
    with pytest.raises(vtorm.AccessDeniedError) as caught:
        client.delete(record["id"])
    assert caught.value.operation == "delete"


def test_query(client: vtorm.Client) -> None:
    new_contact(client, "Alpha")
    new_contact(client, "Beta")
    rows = client.query("SELECT lastname FROM Contacts ORDER BY lastname;")
    assert [row["lastname"] for row in rows] == ["Alpha", "Beta"]
    assert all(row["id"].startswith("12x") for row in rows)


def test_query_errors(client: vtorm.Client) -> None:
    with pytest.raises(vtorm.QuerySyntaxError) as caught:
        client.query("SELECT * FROM Contacts;;")
    assert caught.value.operation == "query"
    with pytest.raises(vtorm.AccessDeniedError):
        client.query("SELECT nosuchfield FROM Contacts;")


# -- sync -------------------------------------------------------------------


def test_sync_without_quirks(sync_crm: Emulator) -> None:
    client = vtorm.Client(sync_crm.url, sync_crm.username, sync_crm.access_key)
    created = new_contact(client, "Synced")
    page = client.sync("Contacts", 0)
    assert client.features.sync is True
    assert isinstance(page, vtorm.SyncResult)
    assert [row["id"] for row in page.updated] == [created["id"]]
    assert page.deleted == []
    assert page.more is False
    assert page.last_modified_time > 0
    # 0 makes the real server fail; vtorm sends 1, which means the same.
    assert params_of(sync_crm, "sync")[0] == {"elementType": "Contacts", "modifiedTime": "1"}

    client.delete(created["id"])
    after = client.sync("Contacts", page.last_modified_time - 1)
    assert created["id"] in after.deleted


@pytest.mark.parametrize(
    "since",
    [
        1_000_000,
        1_000_000.75,
        datetime.datetime(1970, 1, 12, 13, 46, 40, tzinfo=datetime.timezone.utc),
        datetime.datetime(
            1970, 1, 12, 14, 46, 40, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
        ),
    ],
)
def test_sync_modified_time_forms(sync_crm: Emulator, since: Any) -> None:
    client = vtorm.Client(sync_crm.url, sync_crm.username, sync_crm.access_key)
    client.sync("Accounts", since)
    assert params_of(sync_crm, "sync")[-1]["modifiedTime"] == "1000000"


@pytest.mark.parametrize("since", [datetime.datetime(2026, 1, 1), -5, True, "yesterday"])
def test_sync_refuses_bad_modified_time(client: vtorm.Client, crm: Emulator, since: Any) -> None:
    with pytest.raises(vtorm.ValidationError, match="modified_time"):
        client.sync("Accounts", since)
    assert "sync" not in ops(crm)


def test_sync_on_stock_84_is_a_clear_error_without_retries(
    client: vtorm.Client, crm: Emulator
) -> None:
    assert client.features.sync is None
    with pytest.raises(vtorm.UnsupportedOperationError) as caught:
        client.sync("Accounts", 1)
    error = caught.value
    assert isinstance(error, vtorm.ProtocolError)
    assert error.status == 500
    assert error.operation == "sync"
    assert "known bug" in str(error)
    assert "modifiedtime" in str(error)
    assert ops(crm).count("sync") == 1
    assert client.features.sync is False


def test_sync_once_known_broken_is_refused_without_a_request(
    client: vtorm.Client, crm: Emulator
) -> None:
    with pytest.raises(vtorm.UnsupportedOperationError):
        client.sync("Accounts", 1)
    with pytest.raises(vtorm.UnsupportedOperationError) as caught:
        client.sync("Contacts", 1)
    assert "not sent" in str(caught.value)
    assert "client.features.sync is False" in str(caught.value)
    assert "modifiedtime" in str(caught.value)
    assert caught.value.sent is False and "(HTTP 500" not in str(caught.value)  # no answer to quote
    assert ops(crm).count("sync") == 1


def test_features_declared_up_front_skip_finding_out(crm: Emulator) -> None:
    declared = vtorm.Features(sync=False, retrieve_inventory=False)
    client = vtorm.Client(crm.url, crm.username, crm.access_key, features=declared)
    assert client.features is declared
    with pytest.raises(vtorm.UnsupportedOperationError, match=r"features\.sync"):
        client.sync("Accounts", 1)
    with pytest.raises(vtorm.UnsupportedOperationError, match="use retrieve instead"):
        client.retrieve_inventory("4x1")
    assert crm.calls == []  # not even a login


def test_a_server_declared_able_gets_its_500s_retried(crm: Emulator) -> None:
    client = vtorm.Client(
        crm.url, crm.username, crm.access_key, backoff=0.001, features=vtorm.Features(sync=True)
    )
    with pytest.raises(vtorm.ProtocolError) as caught:
        client.sync("Accounts", 1)
    assert not isinstance(caught.value, vtorm.UnsupportedOperationError)
    assert "gave up after 4 attempts" in str(caught.value)
    assert ops(crm).count("sync") == 4
    assert client.features.sync is True


def test_each_client_learns_for_itself(client: vtorm.Client, crm: Emulator) -> None:
    with pytest.raises(vtorm.UnsupportedOperationError):
        client.sync("Accounts", 1)
    other = vtorm.Client(crm.url, crm.username, crm.access_key)
    assert other.features.sync is None
    with pytest.raises(vtorm.UnsupportedOperationError):
        other.sync("Accounts", 1)
    assert ops(crm).count("sync") == 2


def test_broken_operations_are_features() -> None:
    names = {field.name for field in attrs.fields(vtorm.Features)}
    assert set(BROKEN_ON_8) <= names


def test_sync_unknown_module(sync_crm: Emulator) -> None:
    client = vtorm.Client(sync_crm.url, sync_crm.username, sync_crm.access_key)
    with pytest.raises(vtorm.AccessDeniedError) as caught:
        client.sync("NoSuchModule", 1)
    assert caught.value.operation == "sync"


# -- related records, leads, files, inventory --------------------------------


def new_account(client: vtorm.Client, name: str = "Acme") -> dict[str, Any]:
    return client.create("Accounts", {"accountname": name, "assigned_user_id": "19x1"})


def test_related_types(client: vtorm.Client) -> None:
    related = client.related_types("Accounts")
    assert "Contacts" in related["types"]
    assert "information" in related


def test_related_types_unknown_module(client: vtorm.Client) -> None:
    with pytest.raises(vtorm.AccessDeniedError):
        client.related_types("NoSuchModule")


def test_retrieve_and_query_related(client: vtorm.Client, crm: Emulator) -> None:
    account = new_account(client)
    contact = new_contact(client, "Related", account_id=account["id"])
    new_contact(client, "Unrelated")
    rows = client.retrieve_related(account["id"], "Contacts", "Contacts")
    assert [row["id"] for row in rows] == [contact["id"]]
    found = client.query_related("SELECT lastname FROM Contacts;", account["id"], "Contacts")
    assert [row["lastname"] for row in found] == ["Related"]
    # The trailing ';' the server refuses here was removed.
    assert params_of(crm, "query_related")[0]["query"] == "SELECT lastname FROM Contacts"


def test_retrieve_related_bad_id(client: vtorm.Client) -> None:
    with pytest.raises(vtorm.AccessDeniedError) as caught:
        client.retrieve_related("11x999999", "Contacts", "Contacts")
    assert caught.value.operation == "retrieve_related"


def test_add_related(client: vtorm.Client, crm: Emulator) -> None:
    potential = client.create(
        "Potentials",
        {
            "potentialname": "Deal",
            "closingdate": "2027-01-31",
            "sales_stage": "Prospecting",
            "assigned_user_id": "19x1",
        },
    )
    contact = new_contact(client, "Buyer")
    assert client.add_related(potential["id"], contact["id"], "Contacts") is None
    assert params_of(crm, "add_related")[0] == {
        "sourceRecordId": potential["id"],
        "relatedRecordId": contact["id"],
        "relationIdLabel": "Contacts",
    }
    rows = client.retrieve_related(potential["id"], "Contacts", "Contacts")
    assert contact["id"] in [row["id"] for row in rows]


def test_add_related_bad_source(client: vtorm.Client) -> None:
    contact = new_contact(client)
    with pytest.raises(vtorm.VtigerError) as caught:
        client.add_related("13x999999", contact["id"], "Contacts")
    assert caught.value.operation == "add_related"


def test_convert_lead(client: vtorm.Client, crm: Emulator) -> None:
    lead = client.create(
        "Leads", {"lastname": "Lead", "company": "Lead Co", "assigned_user_id": "19x1"}
    )
    created = client.convert_lead(
        lead["id"],
        {"Accounts": {"accountname": "Lead Co"}, "Contacts": {"lastname": "Lead"}},
    )
    assert created["Accounts"].startswith("11x")
    assert created["Contacts"].startswith("12x")
    element = json.loads(params_of(crm, "convertlead")[0]["element"])
    assert element["leadId"] == lead["id"]
    assert element["assignedTo"] == "19x1"
    assert element["entities"]["Contacts"] == {
        "create": True,
        "name": "Contacts",
        "lastname": "Lead",
    }
    assert client.retrieve(created["Contacts"])["lastname"] == "Lead"


def test_convert_lead_bad_id(client: vtorm.Client) -> None:
    with pytest.raises(vtorm.AccessDeniedError) as caught:
        client.convert_lead("10x999999", {"Contacts": {"lastname": "X"}})
    assert caught.value.operation == "convertlead"


def test_create_with_a_file_and_files_retrieve(client: vtorm.Client) -> None:
    recorder = Recorder(client.session)
    content = "Hello, Vtiger! Ünïcödé ✓\n".encode()
    document = client.create(
        "Documents",
        {"notes_title": "Spec", "assigned_user_id": "19x1", "filelocationtype": "I"},
        files={"filename": ("spec.txt", content, "text/plain")},
    )
    request = recorder.last("create")
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    assert document["filename"] == "spec.txt"
    # files_retrieve takes the attachment's id, not the document's.
    files = client.files_retrieve(document["imageattachmentids"])
    assert [(f["filename"], f["filetype"], f["filesize"]) for f in files] == [
        ("spec.txt", "text/plain", len(content))
    ]
    assert base64.b64decode(files[0]["filecontents"]) == content


def test_files_retrieve_bad_id(client: vtorm.Client) -> None:
    with pytest.raises(vtorm.RecordNotFoundError) as caught:
        client.files_retrieve("15x999999")
    assert caught.value.operation == "files_retrieve"


def test_retrieve_inventory_on_stock_84(client: vtorm.Client, crm: Emulator) -> None:
    with pytest.raises(vtorm.UnsupportedOperationError, match="known bug") as caught:
        client.retrieve_inventory("4x999999")
    assert caught.value.status == 500
    assert client.features.retrieve_inventory is False
    with pytest.raises(vtorm.UnsupportedOperationError, match="not sent"):
        client.retrieve_inventory("4x999999")
    assert ops(crm).count("retrieve_inventory") == 1


def test_retrieve_inventory_without_quirks(sync_crm: Emulator) -> None:
    client = vtorm.Client(sync_crm.url, sync_crm.username, sync_crm.access_key)
    account = new_account(client)
    product = client.create("Products", {"productname": "Widget", "assigned_user_id": "19x1"})
    line = {"productid": product["id"], "quantity": "2", "listprice": "10.00"}
    quote = client.create(
        "Quotes",
        {
            "subject": "Offer",
            "quotestage": "Created",
            "account_id": account["id"],
            "bill_street": "1 Main St",
            "ship_street": "1 Main St",
            "assigned_user_id": "19x1",
            **line,
            "LineItems": [line],
        },
    )
    record = client.retrieve_inventory(quote["id"])
    assert client.features.retrieve_inventory is True
    assert record["id"] == quote["id"]
    assert record["subject"] == "Offer"
    assert isinstance(record["LineItems"], list)
    assert params_of(sync_crm, "retrieve_inventory") == [{"id": quote["id"]}]


# -- call -------------------------------------------------------------------


def test_call_uses_the_registered_method(client: vtorm.Client) -> None:
    recorder = Recorder(client.session)
    record = new_contact(client, "Called")
    assert client.call("retrieve", id=record["id"])["lastname"] == "Called"
    assert recorder.last("retrieve").method == "GET"
    revised = client.call("revise", element={"id": record["id"], "title": "Via call"})
    assert revised["title"] == "Via call"
    assert recorder.last("revise").method == "POST"


def test_call_with_the_wrong_method_reaches_the_server_as_asked(client: vtorm.Client) -> None:
    record = new_contact(client)
    # The server reads a GET operation's id from the query string only.
    with pytest.raises(vtorm.VtigerError):
        client.call("retrieve", method="POST", id=record["id"])


def test_call_unknown_operation(client: vtorm.Client, crm: Emulator) -> None:
    with pytest.raises(vtorm.ProtocolError) as caught:
        client.call("nosuchop")
    assert caught.value.status == 500
    assert caught.value.excerpt == ""
    assert ops(crm).count("nosuchop") == client.max_retries + 1


def test_call_refuses_odd_methods(client: vtorm.Client) -> None:
    with pytest.raises(ValueError, match="GET"):
        client.call("retrieve", method="PUT", id="12x1")


# -- event hooks -----------------------------------------------------------------


def test_event_hooks_see_every_attempt_and_every_answer(crm: Emulator) -> None:
    seen: list[str] = []
    client = vtorm.Client(
        crm.url,
        crm.username,
        crm.access_key,
        backoff=0.001,
        event_hooks={"request": [lambda r: seen.append(f"> {r.operation}")]},
    )
    client.event_hooks["response"].append(
        lambda r: seen.append(f"< {r.request.operation} {r.status}")
    )
    client.login()
    crm.inject("drop", operation="listtypes")
    client.list_types()
    assert seen == [
        "> getchallenge",
        "< getchallenge 200",
        "> login",
        "< login 200",
        "> listtypes",  # dropped: no answer
        "> listtypes",
        "< listtypes 200",
    ]


def test_event_hooks_get_the_wire_form(client: vtorm.Client) -> None:
    requests_seen: list[vtorm.transport.Request] = []
    client.event_hooks["request"].append(requests_seen.append)
    client.login()
    challenge, login = requests_seen
    assert challenge.method == "GET"
    assert challenge.url == f"{client.url}?operation=getchallenge&username=admin"
    assert login.method == "POST"
    assert login.content.startswith(b"operation=login&username=admin&accessKey=")


def test_event_hooks_refuse_unknown_events(crm: Emulator) -> None:
    with pytest.raises(ValueError, match="'answer'"):
        vtorm.Client(crm.url, crm.username, crm.access_key, event_hooks={"answer": []})


def test_proxies_come_from_the_environment_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The session does not rescan the environment per request; it is read at construction.
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "internal.example")
    proxied = vtorm.Client("https://crm.example.com", "admin", "key")
    direct = vtorm.Client("https://internal.example", "admin", "key")
    assert proxied.session.proxies.get("https") == "http://proxy.example:3128"
    assert "https" not in direct.session.proxies
    assert proxied.session.trust_env is False
