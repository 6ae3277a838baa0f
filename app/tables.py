"""Every module that declares tables, and init_db() that creates them all.

Add one line here when a package declares a table on app.db.Base (in its own tables.py).
"""

from sqlalchemy import Engine

import app.classifiers.tables  # noqa: F401  (classifiers, classifier_classes, classifier_photos)
import app.classroom.tables  # noqa: F401  (classroom_classes, classroom_students, classroom_results)
import app.jobs.tables  # noqa: F401  (jobs, job_files, workers)
from app.db import create_tables


def init_db(url: str) -> Engine:
    """Create every table of the app (those that exist already are left as they are)."""
    return create_tables(url)
