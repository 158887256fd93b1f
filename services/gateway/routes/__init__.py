"""The gateway's routes, one module per concern; ``GatewayService`` is made of them all.

Each module holds a mixin class of routes. The service module imports these modules, never
the classes, so that ``nameko run`` finds only ``GatewayService`` there.
"""
