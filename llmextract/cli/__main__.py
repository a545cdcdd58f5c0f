"""``python -m llmextract.cli``: the same as the ``llmextract`` command."""

import sys

from llmextract.cli import main

sys.exit(main())
