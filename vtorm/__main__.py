"""``python -m vtorm``: the same as the ``vtorm`` command."""

import sys

from vtorm.cli import main

sys.exit(main())
