"""Keeps the platform's services running for ``make run``, as compose's ``restart:`` and
Kubernetes do in a deployment.

Each service is its own process. One that exits (a crash, a kill, an outage it could not ride
out) is started again after a backoff — 1 s, doubling up to 30 s, and back to 1 s once it has
stayed up for a minute — with a line saying so in ``.run/logs/supervisor.log``. SIGTERM (``make
stop``) stops every service within its grace period, then the supervisor itself.

    python -m scripts.supervisor '["ranking", ["nameko", "run", ...]]' ...   # one JSON pair per service;
                                                                            # ``python -m scripts.launcher run`` starts it
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

FIRST_DELAY, MAX_DELAY, STABLE_AFTER = 1.0, 30.0, 60.0


class Backoff:
    """How long to wait before the next start of a process that has just exited."""

    def __init__(self, first=FIRST_DELAY, most=MAX_DELAY, stable_after=STABLE_AFTER):
        self.first, self.most, self.stable_after = first, most, stable_after
        self.delay = first

    def after_exit(self, ran_for):
        if ran_for >= self.stable_after:
            self.delay = self.first      # it had been fine for a while: this is a new failure
        wait = self.delay
        self.delay = min(self.delay * 2, self.most)
        return wait


class Supervisor:
    def __init__(self, commands, run_dir, log, cwd=None, env=None, clock=time.monotonic):
        self.commands, self.run_dir, self.log = commands, Path(run_dir), log
        self.cwd, self.env, self.clock = cwd, env, clock
        self.processes, self.started_at, self.due = {}, {}, {}
        self.backoff = {name: Backoff() for name in commands}
        self.stopping = False

    def say(self, message):
        self.log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} supervisor: {message}\n")
        self.log.flush()

    def start(self, name):
        logs = open(self.run_dir / "logs" / f"{name}.log", "ab")
        process = subprocess.Popen(self.commands[name], cwd=self.cwd, env=self.env, stdout=logs,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[name], self.started_at[name] = process, self.clock()
        (self.run_dir / f"{name}.pid").write_text(str(process.pid))
        return process

    def check(self):
        """Restart what has exited, once its backoff has passed. Returns the restarts made."""
        restarted = []
        now = self.clock()
        for name, process in list(self.processes.items()):
            code = process.poll()
            if code is not None and name not in self.due:
                wait = self.backoff[name].after_exit(now - self.started_at[name])
                self.due[name] = now + wait
                self.say(f"{name} (pid {process.pid}) exited with code {code}; starting it again in {wait:.0f} s")
            if name in self.due and now >= self.due[name] and not self.stopping:
                del self.due[name]
                self.say(f"{name} started again (pid {self.start(name).pid})")
                restarted.append(name)
        return restarted

    def stop(self, grace=15.0):
        self.stopping = True
        for process in self.processes.values():
            _signal(process.pid, signal.SIGTERM)
        deadline = self.clock() + grace
        while any(p.poll() is None for p in self.processes.values()) and self.clock() < deadline:
            time.sleep(0.1)
        for name, process in self.processes.items():
            if process.poll() is None:
                self.say(f"{name} ignored SIGTERM for {grace:.0f} s; killing it")
                _signal(process.pid, signal.SIGKILL)
                process.wait()
            (self.run_dir / f"{name}.pid").unlink(missing_ok=True)
        self.say("stopped every service")

    def run(self, interval=0.5):
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "stopping", True))
        for name in self.commands:
            self.say(f"{name} started (pid {self.start(name).pid})")
        while not self.stopping:
            self.check()
            time.sleep(interval)
        self.stop()


def _signal(pid, number):
    try:
        os.killpg(pid, number)
    except ProcessLookupError:
        pass


def main(argv):
    commands = dict(json.loads(arg) for arg in argv)   # each argument: ["name", ["command", ...]]
    run_dir = Path(os.environ.get("THIDUA_RUN_DIR", ".run"))
    (run_dir / "logs").mkdir(parents=True, exist_ok=True)
    with open(run_dir / "logs" / "supervisor.log", "a") as log:
        Supervisor(commands, run_dir, log).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
