"""`reason collect`: boto3 collectors writing a Batfish-layout snapshot, then its facts.

Modules, one job each:

* :mod:`~reasoner.collect.errors`: :class:`CollectError` (stop, exit 2) and :class:`Incomplete` (record, go on)
* :mod:`~reasoner.collect.session`: profile, region, endpoint, assumed roles, retry configuration
* :mod:`~reasoner.collect.calls`: the table of API calls, pagination and per-parent wrapping
* :mod:`~reasoner.collect.runner`: one bounded thread pool over every account/region, progress
* :mod:`~reasoner.collect.writer`: the atomic snapshot folder
* :mod:`~reasoner.collect.collector`: the whole run (:func:`collect`)

Importing this package imports boto3; `reason query` never does.
"""

from reasoner.collect.collector import CollectOptions, CollectResult, collect
from reasoner.collect.errors import CollectError, Incomplete

__all__ = ["CollectError", "CollectOptions", "CollectResult", "Incomplete", "collect"]
