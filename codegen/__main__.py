"""``python -m vtorm.codegen``: the same as ``vtorm codegen``."""

import sys

from .cli import main

sys.exit(main())
