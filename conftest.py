# eventlet must patch the standard library before anything imports sockets or
# threads (nameko, kombu, pymongo), or tests hang.
#
# The browser tests are the exception: Playwright runs its own asyncio loop and waits for
# its driver process, which eventlet's green threads never wake. They need no eventlet
# (every service runs in its own process), so they run in a pytest process of their own,
# with THIDUA_BROWSER_TESTS=1; `make test` runs both.
import os
import warnings

BROWSER_RUN = os.environ.get("THIDUA_BROWSER_TESTS") == "1"

if BROWSER_RUN:
    collect_ignore = ["tests/unit", "tests/integration", "tests/e2e", "tests/faults"]
else:
    collect_ignore = ["tests/browser"]
    warnings.filterwarnings("ignore", message="\\s*Eventlet is deprecated")

    import eventlet  # noqa: E402

    eventlet.monkey_patch()
