"""The retry policy: what is tried again is decided by the error's type and status alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import vtorm
from vtorm.operations import spec_for
from vtorm.retry import Backoff, may_heal, send_with_retries

NO_WAIT = Backoff(0.0, 0.0)


class Attempts:
    """An attempt that fails with the given errors, in order, then answers ``"done"``."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.count = 0

    def __call__(self) -> Any:
        self.count += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def run(operation: str, attempts: Callable[[], Any], retries: int = 3) -> Any:
    return send_with_retries(spec_for(operation), attempts, retries=retries, backoff=NO_WAIT)


def protocol(status: int, cls: type[vtorm.ProtocolError] = vtorm.ProtocolError) -> Exception:
    return cls("query: odd answer", status=status, excerpt="", operation="query")


# -- reads -------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        vtorm.ConnectError("refused"),
        vtorm.ConnectTimeout("slow to connect"),
        vtorm.ReadTimeout("slow to answer"),
        vtorm.ConnectionLost("hung up"),
        vtorm.TransportError("something below HTTP"),
        protocol(500),
        protocol(503),
        protocol(408),
        protocol(429),
        protocol(200),
    ],
    ids=lambda e: f"{type(e).__name__}-{getattr(e, 'status', '')}",
)
def test_a_read_is_tried_again_after_what_may_heal(error: Exception) -> None:
    attempts = Attempts(error, error)
    assert run("query", attempts) == "done"
    assert attempts.count == 3


@pytest.mark.parametrize(
    "error",
    [
        vtorm.TLSError("not trusted"),
        protocol(301),
        protocol(404),
        protocol(414),
        protocol(500, vtorm.UnsupportedOperationError),
    ],
    ids=lambda e: f"{type(e).__name__}-{getattr(e, 'status', '')}",
)
def test_what_does_not_heal_is_raised_at_once_unchanged(error: Exception) -> None:
    attempts = Attempts(error)
    with pytest.raises(type(error)) as caught:
        run("query", attempts)
    assert caught.value is error
    assert attempts.count == 1


def test_the_type_decides_not_the_message() -> None:
    # A lost connection whose text reads like a TLS failure is still retried.
    attempts = Attempts(vtorm.ConnectionLost("TLS handshake failed"))
    assert run("query", attempts) == "done"
    assert attempts.count == 2


def test_giving_up_keeps_the_type_and_says_how_often() -> None:
    attempts = Attempts(*[vtorm.ReadTimeout("query: no answer within 1 s")] * 5)
    with pytest.raises(vtorm.ReadTimeout) as caught:
        run("query", attempts, retries=2)
    assert str(caught.value) == "query: no answer within 1 s; gave up after 3 attempts"
    assert caught.value.sent is True
    assert caught.value.operation == "query"
    assert attempts.count == 3


def test_giving_up_on_odd_answers_keeps_status_and_excerpt() -> None:
    error = vtorm.ProtocolError("query: busy", status=503, excerpt="<html>", operation="query")
    with pytest.raises(vtorm.ProtocolError) as caught:
        run("query", Attempts(error, error), retries=1)
    assert caught.value.detail == "query: busy; gave up after 2 attempts"
    assert caught.value.status == 503
    assert caught.value.excerpt == "<html>"


def test_no_retries_means_one_attempt() -> None:
    attempts = Attempts(vtorm.ConnectionLost("hung up"))
    with pytest.raises(vtorm.ConnectionLost):
        run("query", attempts, retries=0)
    assert attempts.count == 1


# -- writes that must not happen twice ------------------------------------------------


@pytest.mark.parametrize("error", [vtorm.ConnectError("refused"), vtorm.ConnectTimeout("slow")])
def test_a_create_is_tried_again_when_nothing_was_sent(error: Exception) -> None:
    attempts = Attempts(error, error)
    assert run("create", attempts) == "done"
    assert attempts.count == 3


@pytest.mark.parametrize(
    "error",
    [
        vtorm.ReadTimeout("create: no answer within 1 s"),
        vtorm.ConnectionLost("create: connection lost"),
        vtorm.TransportError("create: something below HTTP"),
        protocol(500),
        protocol(200),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_create_that_may_have_happened_is_not_sent_again(error: Exception) -> None:
    attempts = Attempts(error)
    with pytest.raises(type(error)) as caught:
        run("create", attempts)
    assert "create was not sent again because the server may have carried it out" in str(
        caught.value
    )
    assert attempts.count == 1


def test_sent_may_be_overridden_on_the_error() -> None:
    attempts = Attempts(vtorm.ConnectionLost("proved unsent", sent=False))
    assert run("create", attempts) == "done"
    assert attempts.count == 2


def test_a_delete_whose_lost_answer_did_the_work_counts_as_done() -> None:
    gone = vtorm.AccessDeniedError("ACCESS_DENIED", "denied", "delete")
    attempts = Attempts(vtorm.ConnectionLost("delete: connection lost"), gone)
    assert run("delete", attempts) == {"status": "successful"}
    assert attempts.count == 2


def test_a_delete_of_a_missing_record_is_still_refused() -> None:
    gone = vtorm.AccessDeniedError("ACCESS_DENIED", "denied", "delete")
    with pytest.raises(vtorm.AccessDeniedError):
        run("delete", Attempts(gone))


def test_server_errors_are_not_retried() -> None:
    refused = vtorm.MandatoryFieldError("MANDATORY_FIELDS_MISSING", "lastname", "query")
    attempts = Attempts(refused)
    with pytest.raises(vtorm.MandatoryFieldError):
        run("query", attempts)
    assert attempts.count == 1
    assert not may_heal(refused)


def test_transport_error_classes_know_whether_they_sent() -> None:
    assert vtorm.TransportError("x").sent is True
    assert vtorm.TransportError("x", sent=False).sent is False
    assert [
        cls("x").sent for cls in (vtorm.ConnectError, vtorm.ConnectTimeout, vtorm.TLSError)
    ] == [False] * 3
    assert vtorm.ReadTimeout("x").sent is True
    assert vtorm.ConnectionLost("x").sent is True


def test_backoff_is_jittered_and_bounded() -> None:
    backoff = Backoff(0.1, 0.5)
    for attempt in range(8):
        ceiling = min(0.5, 0.1 * 2**attempt)
        delays = [backoff.delay(attempt) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len({backoff.delay(3) for _ in range(20)}) > 1


# -- writes in doubt --------------------------------------------------------------------


def write(operation: str, attempts: Callable[[], Any], retries: int = 3) -> Any:
    params = {"element": {"id": "12x5", "lastname": "Smith"}}
    return send_with_retries(spec_for(operation), attempts, retries=retries, backoff=NO_WAIT,
                             params=params)


@pytest.mark.parametrize("operation", ["create", "revise", "update", "delete", "add_related",
                                       "convertlead"])
@pytest.mark.parametrize("status", [200, 201])
def test_a_write_answered_with_a_page_not_the_envelope_is_in_doubt_at_once(
    operation: str, status: int
) -> None:
    # 8.4 answers a write naming a missing owner with restricted-file text,
    # after writing: sending it again cannot help, even for revise or delete.
    attempts = Attempts(protocol(status), protocol(status))
    with pytest.raises(vtorm.InDoubtError) as caught:
        write(operation, attempts)
    assert attempts.count == 1
    error = caught.value
    assert isinstance(error, vtorm.ProtocolError) and error.status == status
    assert error.operation == operation
    assert error.params == {"element": {"id": "12x5", "lastname": "Smith"}}
    assert error.element == {"id": "12x5", "lastname": "Smith"}
    assert error.at.tzinfo is not None
    assert isinstance(error.cause, vtorm.ProtocolError) and error.__cause__ is error.cause
    assert f"{operation} was not sent again because the server may have carried it out" in str(
        error
    )


@pytest.mark.parametrize("operation", ["revise", "update", "delete"])
def test_a_repeatable_write_is_retried_on_a_lost_answer(operation: str) -> None:
    attempts = Attempts(vtorm.ConnectionLost("hung up"), protocol(502))
    assert write(operation, attempts) == "done"
    assert attempts.count == 3


@pytest.mark.parametrize(
    "error",
    [vtorm.ReadTimeout("slow"), vtorm.ConnectionLost("hung up"), protocol(500)],
    ids=lambda e: type(e).__name__,
)
def test_a_repeatable_write_that_never_got_an_answer_is_in_doubt(error: Exception) -> None:
    attempts = Attempts(*[error] * 4)
    with pytest.raises(vtorm.InDoubtError) as caught:
        write("revise", attempts)
    assert attempts.count == 4
    assert isinstance(caught.value, type(error))  # code catching the cause still does
    assert "4 attempts" in str(caught.value)


def test_an_earlier_lost_answer_keeps_a_write_in_doubt_whatever_comes_last() -> None:
    attempts = Attempts(vtorm.ConnectionLost("hung up"), *[vtorm.ConnectError("refused")] * 3)
    with pytest.raises(vtorm.InDoubtError) as caught:
        write("revise", attempts)
    assert isinstance(caught.value, vtorm.ConnectError)
    attempts = Attempts(vtorm.ConnectionLost("hung up"), protocol(404))
    with pytest.raises(vtorm.InDoubtError):
        write("update", attempts)


@pytest.mark.parametrize(
    "error",
    [vtorm.ConnectError("refused"), vtorm.TLSError("not trusted"), protocol(404), protocol(301)],
    ids=lambda e: f"{type(e).__name__}-{getattr(e, 'status', '')}",
)
def test_a_write_that_never_reached_the_crm_is_not_in_doubt(error: Exception) -> None:
    attempts = Attempts(*[error] * 4)
    with pytest.raises(type(error)) as caught:
        write("revise", attempts)
    assert not isinstance(caught.value, vtorm.InDoubtError)


def test_a_read_answered_with_a_page_is_retried_and_never_in_doubt() -> None:
    attempts = Attempts(*[protocol(200)] * 4)
    with pytest.raises(vtorm.ProtocolError) as caught:
        run("query", attempts)
    assert not isinstance(caught.value, vtorm.InDoubtError)
    assert attempts.count == 4


def test_an_unknown_post_is_a_write_and_a_get_is_not() -> None:
    assert spec_for("frobnicate", "POST").writes
    assert not spec_for("frobnicate").writes
    assert not spec_for("login").writes and not spec_for("logout").writes
