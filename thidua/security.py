"""What a service checks about its own configuration before it takes any request."""
from nameko.extensions import DependencyProvider

from thidua.settings import DEFAULT_SECRET, Security


def demo_mode(config):
    return Security.of(config).demo_mode


class StartupChecks(DependencyProvider):
    """Refuses to start in production (``THIDUA_ENV=production``) with a default or short
    ``TOKEN_SECRET``, or in demo mode: secrets come from the environment, never from code."""

    def setup(self):
        security = Security.of(self.container.config)
        if security.env == "production":
            secret = security.token_secret
            if secret == DEFAULT_SECRET or len(secret) < 32:
                raise RuntimeError("THIDUA_ENV=production needs TOKEN_SECRET: at least 32 characters, not the "
                                   "default")
            if security.demo_mode:
                raise RuntimeError("THIDUA_ENV=production cannot run with DEMO_MODE=true")
