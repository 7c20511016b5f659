"""CLI subcommands; see :mod:`tinysr.cli`."""

__all__: list[str] = []
