"""The pytest plugin of ``upflow-import`` (registered through the ``pytest11`` entry point).

pytest loads it before any test module or ``conftest.py``, so that it can ask
pytest to rewrite the assertions of :mod:`upflow_import.testing` — the
contract suite users subclass — before that module is first imported: a
failed check then shows the values compared, beside its own message. It lives
outside :mod:`upflow_import.testing` because importing a plugin imports its
package first, and that package must not be imported before this call.
"""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("upflow_import.testing")
