"""``make run`` supervises its services: one that exits is started again, with backoff, and said so."""
import io
import sys
import time

from scripts.supervisor import Backoff, Supervisor


def test_the_backoff_doubles_up_to_its_cap_and_starts_over_after_a_stable_run():
    backoff = Backoff(first=1, most=30, stable_after=60)
    assert [backoff.after_exit(ran_for=2) for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert backoff.after_exit(ran_for=61) == 1


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def wait_exited(process, seconds=10):
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_process_that_exits_is_started_again_after_its_backoff_and_the_log_says_so(tmp_path):
    (tmp_path / "logs").mkdir()
    log, clock = io.StringIO(), Clock()
    supervisor = Supervisor({"ranking": [sys.executable, "-c", "import sys; sys.exit(3)"],
                             "gateway": [sys.executable, "-c", "import time; time.sleep(60)"]},
                            tmp_path, log, clock=clock)
    first = supervisor.start("ranking")
    supervisor.start("gateway")
    wait_exited(first)
    assert supervisor.check() == []                         # exited: due again in 1 s, not before
    assert "ranking (pid %d) exited with code 3; starting it again in 1 s" % first.pid in log.getvalue()
    clock.now += 1
    assert supervisor.check() == ["ranking"]
    second = supervisor.processes["ranking"]
    assert second.pid != first.pid and (tmp_path / "ranking.pid").read_text() == str(second.pid)
    wait_exited(second)
    supervisor.check()
    assert "starting it again in 2 s" in log.getvalue()     # a second quick exit waits longer
    gateway = supervisor.processes["gateway"]
    supervisor.stop(grace=5)
    assert gateway.poll() is not None and not (tmp_path / "gateway.pid").exists()
    assert "stopped every service" in log.getvalue()
