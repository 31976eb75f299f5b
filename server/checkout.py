"""The packages of a checkout under the name they are installed with.

Installed, threadloom's packages are `threadloom.server`, `threadloom.actors` and
`threadloom.protocol`, so that a project with its own `server/` or `protocol.py` can
use them beside it; and its code imports them by those names. A checkout keeps them at
its top level (`python -m server`, the tests, the scripts), and `install()` makes
`threadloom` name that checkout, ahead of any installed copy: the code that runs is the
code beside it.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def install() -> None:
    if getattr(sys.modules.get("threadloom"), "__path__", None) == [str(ROOT)]:
        return
    spec = importlib.machinery.ModuleSpec("threadloom", None, is_package=True)
    spec.submodule_search_locations = [str(ROOT)]
    sys.modules["threadloom"] = importlib.util.module_from_spec(spec)
