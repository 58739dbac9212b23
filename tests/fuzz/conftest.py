"""Hypothesis profiles of the fuzz tests: "long" for runs by hand.

    python -m pytest -q tests/fuzz --hypothesis-profile long     # or REASON_FUZZ_PROFILE=long
"""

from hypothesis import HealthCheck, settings

settings.register_profile("long", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
