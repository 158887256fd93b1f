# eventlet must patch the standard library before anything imports sockets or
# threads (nameko, kombu, pymongo), or tests hang.
import warnings

warnings.filterwarnings("ignore", message="\\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()
