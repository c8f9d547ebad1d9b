"""fabplan: plan a chip-fab build-out at least cost (Pyomo + HiGHS over CSV inputs)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fabplan")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
