"""The test run removes the vhosts that an isolated platform of a killed run left on the broker,
and only those: a platform whose process is alive keeps its own."""
import os
import subprocess
import sys

import pytest
import requests

from scripts import launcher

pytestmark = pytest.mark.integration


def vhosts(management):
    return {v["name"] for v in requests.get(f"{management}/api/vhosts", auth=("guest", "guest"), timeout=20).json()}


def test_the_vhost_of_a_platform_whose_process_is_gone_is_removed_and_a_live_ones_kept():
    management = launcher.default_management_uri()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()     # a pid no process has any more
    stale, live = f"iso-{gone}-0123456789", f"iso-{os.getpid()}-0123456789"
    for vhost in (stale, live):
        launcher.create_vhost(vhost, management)
    try:
        launcher.remove_stale_vhosts(management)
        left = vhosts(management)
        assert stale not in left and live in left
    finally:
        for vhost in (stale, live) if stale in vhosts(management) else (live,):
            launcher.delete_vhost(vhost, management)


def test_a_management_api_that_does_not_answer_stops_the_run_with_what_to_do():
    with pytest.raises(SystemExit, match="management API does not answer"):
        launcher.remove_stale_vhosts(f"http://127.0.0.1:{launcher.free_port()}")
