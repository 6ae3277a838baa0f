"""Imports every module that declares tables, so that init_db() creates them all.

Add a line here when a module declares a table on app.db.Base.
"""

import app.jobs.models  # noqa: E402,F401  (jobs, job_files)
import app.classifiers.models  # noqa: E402,F401  (classifiers, classifier_classes, classifier_photos)
import app.classroom.tables  # noqa: E402,F401  (classroom_classes, classroom_students, classroom_results)
