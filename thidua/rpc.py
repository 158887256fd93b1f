"""nameko's side of the domain errors: they cross RPC as themselves, and an RPC entrypoint
treats them as expected answers (a warning in the log, not a fault with a traceback)."""
from nameko.exceptions import deserialize_to_instance
from nameko.rpc import rpc as _nameko_rpc

from thidua.errors import DomainError

for _error in DomainError.__subclasses__():
    deserialize_to_instance(_error)


def rpc(method):
    return _nameko_rpc(expected_exceptions=DomainError)(method)
