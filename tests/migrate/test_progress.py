"""Progress: a tqdm bar with rate and time left on a terminal, quiet lines elsewhere."""

from __future__ import annotations

import io

from vtorm.migrate.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_with_rate_and_time_left() -> None:
    screen = Terminal()
    progress = Progress("import Contacts", stream=screen)
    assert progress.is_bar
    progress.set_total(200)
    progress.update(100)
    progress.close()
    shown = screen.getvalue()
    assert "import Contacts" in shown and "100/200" in shown
    assert "row/s" in shown and "<" in shown  # tqdm's "elapsed<remaining"


def test_a_file_gets_one_line_per_thousand_rows_and_the_last() -> None:
    log = io.StringIO()
    progress = Progress("copy Accounts", stream=log)
    assert not progress.is_bar
    progress.set_total(2500)  # no bar: nothing to do
    for _ in range(2500):
        progress.update()
    progress.close()
    lines = log.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines] == [
        "copy Accounts: 1000 rows", "copy Accounts: 2000 rows", "copy Accounts: 2500 rows"
    ]  # fmt: skip
    assert all(line.endswith("/s)") for line in lines)


def test_disabled_shows_nothing() -> None:
    screen = Terminal()
    progress = Progress("x", stream=screen, enabled=False)
    progress.update(5000)
    progress.note("hello")
    progress.close()
    assert screen.getvalue() == ""
