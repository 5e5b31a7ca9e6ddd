"""``python -m codegen``: the same as ``vtorm codegen``."""

import sys

from codegen.cli import main

sys.exit(main())
