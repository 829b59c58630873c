"""The run engines: the broker replay, the post clients, the router service and the virtual-time simulator."""
