"""pytest's hooks for the whole checkout (the unit tests' fixtures are in tests/conftest.py)."""

from __future__ import annotations

from course import notebook_scope


def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's ``--dist loadfile`` (``python course.py test``), with a notebook and its Chinese edition on one
    worker: both write the same files (notebook 03 saves the model that its ``python -m helpers.classify`` cell
    then reads). nbval runs a notebook's cells in order in one kernel, so loadfile's one worker per file is needed
    anyway. (xdist_group marks would need no scheduler, but xdist 3.8 cannot apply them under pytest 9.2.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class NotebookScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return notebook_scope(nodeid) or super()._split_scope(nodeid)

    return NotebookScheduling(config, log)
