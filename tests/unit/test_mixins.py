"""A service composed of mixins (each a module of entrypoints) must not have two of them define
the same name: the one earlier in the bases would silently replace the other's for every caller."""
import collections

import pytest

from services.gateway.service import GatewayService
from services.submissions.service import SubmissionsService


@pytest.mark.parametrize("service", [SubmissionsService, GatewayService], ids=lambda s: s.__name__)
def test_no_two_mixins_of_a_service_define_the_same_name(service):
    owners = collections.defaultdict(list)
    for base in service.__mro__[1:]:
        if base.__module__.startswith(("services.", "thidua.")):
            for name, value in vars(base).items():
                if not name.startswith("__") and (callable(value) or isinstance(value, (staticmethod, classmethod))):
                    owners[name].append(base.__qualname__)
    assert {name: found for name, found in owners.items() if len(found) > 1} == {}
