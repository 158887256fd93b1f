"""Shared kernel of the Thi đua platform.

What every service needs and nothing more: the event envelope and its schemas,
configuration, the MongoDB dependency, the transactional outbox and its relay,
the reliable event handler (retry with backoff, then dead-letter queue), the
idempotent-handler helper, correlation ids and the domain error table.
"""
