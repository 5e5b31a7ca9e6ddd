"""The wire form of a call: built once, byte for byte what requests would send."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from vtorm.transport import build_request, endpoint_url

URL = "https://crm.example.com/webservice.php"
TRICKY = {
    "operation": "query",
    "query": "SELECT * FROM Contacts WHERE lastname = 'O''Brien & Søn' AND email LIKE '%+1@x';",
    "element": '{"a":"b c=d;e/f?g#h","emoji":"😀"}',
    "sessionName": "4740d4a26b0b873688800",
}

field_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
fields_strategy = st.dictionaries(st.text(min_size=1, max_size=10), field_text, max_size=5)


def test_get_carries_the_fields_in_the_query_string() -> None:
    request = build_request("GET", URL, TRICKY, timeout=5, operation="query")
    assert request.method == "GET"
    assert request.url == requests.Request("GET", URL, params=TRICKY).prepare().url
    assert request.content == b""
    assert request.headers == {}
    assert request.timeout == 5
    assert request.operation == "query"


def test_post_carries_the_fields_in_a_form_body() -> None:
    request = build_request("POST", URL, TRICKY, timeout=5, operation="create")
    prepared = requests.Request("POST", URL, data=TRICKY).prepare()
    assert request.url == URL
    assert request.content == str(prepared.body).encode()
    assert request.headers == {"Content-Type": "application/x-www-form-urlencoded"}


@given(fields_strategy)
def test_any_fields_encode_as_requests_encodes_them(fields: dict[str, str]) -> None:
    get = build_request("GET", URL, fields, timeout=1, operation="x")
    post = build_request("POST", URL, fields, timeout=1, operation="x")
    assert get.url == requests.Request("GET", URL, params=fields).prepare().url
    body = requests.Request("POST", URL, data=fields).prepare().body or ""
    assert post.content == (body.encode() if isinstance(body, str) else body)


def test_a_base_url_with_a_query_string_keeps_it() -> None:
    request = build_request(
        "GET", URL + "?tenant=a", {"operation": "listtypes"}, timeout=1, operation="listtypes"
    )
    assert request.url == URL + "?tenant=a&operation=listtypes"


def test_files_make_a_multipart_body() -> None:
    content = "Hello, Vtiger! Ünïcödé ✓\n".encode()
    request = build_request(
        "POST",
        URL,
        {"operation": "create", "element": '{"notes_title":"Spec"}'},
        files={"filename": ("spec.txt", content, "text/plain"), "other": ("b.bin", b"\x00\xff")},
        timeout=5,
        operation="create",
    )
    kind = request.headers["Content-Type"]
    assert kind.startswith("multipart/form-data; boundary=")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + kind.encode() + b"\r\n\r\n" + request.content
    )
    parts = {
        part.get_param("name", header="content-disposition"): part for part in message.iter_parts()
    }
    assert parts["operation"].get_payload(decode=True) == b"create"
    assert parts["element"].get_payload(decode=True) == b'{"notes_title":"Spec"}'
    assert parts["filename"].get_filename() == "spec.txt"
    assert parts["filename"].get_content_type() == "text/plain"
    assert parts["filename"].get_payload(decode=True) == content
    assert parts["other"].get_filename() == "b.bin"
    assert parts["other"].get_payload(decode=True) == b"\x00\xff"


def test_files_need_a_post() -> None:
    with pytest.raises(ValueError, match="POST"):
        build_request("GET", URL, {}, files={"f": ("a", b"")}, timeout=1, operation="retrieve")


# -- the endpoint URL --------------------------------------------------------------


@pytest.mark.parametrize(
    "given_url",
    [
        "https://crm.example.com",
        "https://crm.example.com/",
        "https://crm.example.com/webservice.php",
        "https://crm.example.com/webservice.php/",
        "  https://crm.example.com  ",
    ],
)
def test_the_endpoint_of_a_base_url_or_of_itself(given_url: str) -> None:
    assert endpoint_url(given_url) == "https://crm.example.com/webservice.php"


def test_a_crm_below_a_path_keeps_it() -> None:
    assert endpoint_url("http://host:8080/vtiger") == "http://host:8080/vtiger/webservice.php"


@pytest.mark.parametrize(
    ("given_url", "suggestion"),
    [
        ("127.0.0.1:8088", "https://127.0.0.1:8088"),
        ("localhost:8088", "https://localhost:8088"),
        ("crm.example.com", "https://crm.example.com"),
        ("ftp://crm.example.com", "https://crm.example.com"),
        ("http://", "https://"),
    ],
)
def test_a_url_without_http_or_https_is_refused_with_a_hint(
    given_url: str, suggestion: str
) -> None:
    with pytest.raises(ValueError, match="http:// or https://") as caught:
        endpoint_url(given_url)
    assert repr(given_url) in str(caught.value)
    assert repr(suggestion) in str(caught.value)
