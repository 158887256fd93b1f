"""The submissions service's entrypoints, one module per concern, each a mixin composed into
``SubmissionsService`` (see ``services/submissions/service.py`` for why they stay one service)."""
