"""``make load``: many worker processes on one Zoom account, against a loopback Zoom stand-in.

:mod:`.standin` plays Zoom (its limits, its 429s and headers, its token
endpoint, and counters of what it received); :mod:`.worker` is one worker
process (a ``Toolkit`` on the shared Redis); :mod:`.harness` runs Redis,
the stand-in, the workers and the faults; :mod:`.report` turns the counts
into the figures and ``bench/load.md``. ``python -m bench.load`` runs it.
"""
