"""``python -m upflow_import``: the ``upflow-import`` command line."""

from upflow_import.cli import main

raise SystemExit(main())
