"""`python -m dojo` is the `dojo` command."""

import sys

from .cli import main

sys.exit(main())
