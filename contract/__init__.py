"""Contract check: every action, run through ``Toolkit`` against Stoplight
Prism serving Zoom's own specs (``python -m contract``, ``make contract``)."""
