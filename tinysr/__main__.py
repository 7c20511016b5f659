"""``python -m tinysr`` is the ``tinysr`` command."""
from .cli import main

raise SystemExit(main())
