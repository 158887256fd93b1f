"""What every aggregate shares: the events it raises and its optimistic version. Pure."""
from collections import namedtuple

from thidua.errors import StaleVersion, ValidationFailed

Event = namedtuple("Event", "type data")   # the service adds id, source, time and correlation id


def check_version(document, expected, what):
    """The caller changes what they last saw: ``expected`` must be the stored version."""
    if isinstance(expected, bool) or not isinstance(expected, int):
        raise ValidationFailed(f"Send the {what}'s current version (a whole number) to change it.",
                               {"fields": {"version": "required"}})
    if document["version"] != expected:
        raise StaleVersion(f"The {what} is at version {document['version']}, not {expected}: "
                           "someone changed it meanwhile; reload it and try again.")


def bumped(document, **changes):
    return {**document, **changes, "version": document["version"] + 1}
