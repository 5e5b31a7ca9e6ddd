"""kill -9 at random moments of an import, then rerun: exactly one record per input row."""

from __future__ import annotations

import collections
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from migrate_helpers import ops, people, rows

import vtorm
from vtorm.testing import Emulator

ROWS = 150


def test_kill_9_anywhere_then_rerun_leaves_one_record_per_row(
    crm: Emulator, client: vtorm.Client, tmp_path: Path
) -> None:
    source = tmp_path / "people.jsonl"
    source.write_text("".join(json.dumps(p) + "\n" for p in people(ROWS)), encoding="utf-8")
    report = tmp_path / "report.json"
    env = {**os.environ, "VTIGER_URL": crm.url, "VTIGER_USERNAME": crm.username,
           "VTIGER_ACCESS_KEY": crm.access_key}  # fmt: skip
    command = [sys.executable, "-m", "vtorm", "import", "Contacts", "--in", str(source),
               "--key", "email", "--journal", str(tmp_path / "people.journal"),
               "--workers", "4", "--quiet", "--report", str(report)]  # fmt: skip
    # Each create takes a few ms on the server: kills land while creates are in
    # flight, so some were carried out after the journal said "pending".
    crm.inject("delay", operation="create", times=None, delay=0.004)
    rng = random.Random()
    kills = []
    for _ in range(3):
        stop_at = len(ops(crm, "create")) + rng.randint(5, 35)
        kills.append(stop_at)
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 30
        while (len(ops(crm, "create")) < stop_at and process.poll() is None
               and time.monotonic() < deadline):  # fmt: skip
            time.sleep(0.001)
        process.kill()
        process.wait()
    pending = sqlite3.connect(tmp_path / "people.journal").execute(
        "SELECT count(*) FROM entries WHERE state = 'pending'").fetchone()[0]
    # The kills cut creates short: the journal holds announced creates it never saw confirmed.
    assert pending > 0, kills
    time.sleep(0.05)  # the server finishes the requests the killed process left in flight
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (kills, done.stdout, done.stderr)
    counts = json.loads(report.read_text())
    assert counts["rejected"] == counts["in_doubt"] == 0, (kills, counts)
    per_email = collections.Counter(r["email"] for r in rows(client, "Contacts", "email"))
    assert len(per_email) == ROWS, kills
    assert set(per_email.values()) == {1}, (kills, per_email.most_common(3))
    # A create was sent once per row, plus once per create the kills cut short before it reached
    # the server: never more creates carried out than rows.
    assert len(rows(client, "Contacts")) == ROWS
