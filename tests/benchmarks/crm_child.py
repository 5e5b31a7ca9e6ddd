"""An embedded CRM in a child process, for benchmarks: its work does not share our interpreter lock.

``crm_in_child(linger=0.03, contacts=20000)`` yields ``(url, username,
access_key)`` of an emulator serving in another Python process until the
block ends, with that many Contacts stored first (``lastname``
``Reader 000001``... : written straight into its store, not over HTTP);
``create_delay`` makes every create answer that many seconds late (a remote
CRM's latency).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator

# The child: start the CRM, say where it is, serve until stdin closes.
_CHILD = """
import json, sys
from vtorm.testing import Emulator
crm = Emulator(linger=float(sys.argv[1]))
store = crm.state.store
with store.lock:
    store.conn.execute("BEGIN")
    for i in range(int(sys.argv[2])):
        values = {
            "lastname": f"Reader {i:06}",
            "firstname": "Ann",
            "email": f"reader{i}@example.com",
            "assigned_user_id": "19x1",
        }
        store.insert("Contacts", values, "19x1")
    store.conn.execute("COMMIT")
crm.start()
if float(sys.argv[3]):
    crm.inject("delay", operation="create", times=None, delay=float(sys.argv[3]))
print(json.dumps([crm.url, crm.username, crm.access_key]), flush=True)
sys.stdin.read()
crm.stop()
"""


@contextlib.contextmanager
def crm_in_child(
    linger: float = 0.0, contacts: int = 0, create_delay: float = 0.0
) -> Iterator[tuple[str, str, str]]:
    """``(url, username, access_key)`` of an emulator with ``linger`` in a child process."""
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(linger), str(contacts), str(create_delay)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        url, username, access_key = json.loads(child.stdout.readline())
        yield url, username, access_key
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=10)
