"""reason: offline, explainable AWS network reachability."""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("reason")
except PackageNotFoundError:  # pragma: no cover - running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
