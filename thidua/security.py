"""What a service checks about its own configuration before it takes any request."""
from nameko.extensions import DependencyProvider

DEFAULT_SECRET = "development-only-secret-change-me"


def demo_mode(config):
    return str(config.get("DEMO_MODE")).lower() == "true"


class StartupChecks(DependencyProvider):
    """Refuses to start in production (``THIDUA_ENV=production``) with a default or short
    ``TOKEN_SECRET``, or in demo mode: secrets come from the environment, never from code."""

    def setup(self):
        config = self.container.config
        if str(config.get("THIDUA_ENV")) == "production":
            secret = str(config.get("TOKEN_SECRET") or "")
            if secret == DEFAULT_SECRET or len(secret) < 32:
                raise RuntimeError("THIDUA_ENV=production needs TOKEN_SECRET: at least 32 characters, not the "
                                   "default")
            if demo_mode(config):
                raise RuntimeError("THIDUA_ENV=production cannot run with DEMO_MODE=true")
