"""CLI subcommands; see :mod:`tinysr.cli`."""
