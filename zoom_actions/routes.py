"""Compatibility: routes are now gateways (:mod:`zoom_actions.gateways`)."""

from .gateways import (GATEWAYS, LAVA_FORWARD, MATON_GATEWAY, ZOOM_API, Direct, Gateway, Lava, Maton,  # noqa: F401
                       Route, check_url, is_loopback, resolve)
