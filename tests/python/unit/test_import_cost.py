"""``import kubeflow.trainer`` leaves the network stack of the standard library unloaded.

A notebook kernel imports the SDK first thing; urllib.request alone pulls in http.client, ssl
and email (tens of milliseconds). Only a training pod reporting progress needs them
(update_trainjob_status imports them on its first call), so the import must not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
NETWORK_MODULES = ("urllib.request", "http.client", "ssl", "email.parser")

PROBE = f"""
import json, sys
import kubeflow.trainer
print(json.dumps([m for m in {NETWORK_MODULES!r} if m in sys.modules]))
"""


def test_import_loads_no_network_module() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert json.loads(out) == []
