"""``python -m tinysr`` is the ``tinysr`` command."""
from .cli import main

__all__: list[str] = []

raise SystemExit(main())
