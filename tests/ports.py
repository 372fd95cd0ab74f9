"""A loopback port for a server a test starts in another process (redis-server, a CLI): the contract
harness's choice, below the kernel's ephemeral range (see ``contract.prism.free_port``)."""

from contract.prism import free_port as unused_port

__all__ = ["unused_port"]
