"""Leergemeenschap API: the backend of a municipal learning community of civil servants."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("leergemeenschap")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "1.0.0"
