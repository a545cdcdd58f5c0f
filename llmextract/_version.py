"""The package's version, in one place: every result, cache key and cassette records it."""

__version__ = "0.1.0"
