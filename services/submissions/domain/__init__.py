"""The submissions service's domain core, pure (no nameko, pymongo or HTTP): the aggregates
that own their transitions (:mod:`.report`, :mod:`.period`, :mod:`.vote`), who may do what
(:mod:`.access`) and what of a person is public (:mod:`.people`).

An aggregate's method checks a command and returns the changed aggregate with the events
the change raises (:class:`.aggregate.Event`: type and data); the service wraps them in
the envelope and saves both through its unit of work. Documents stay plain dicts in
storage; the transitions live here.
"""
