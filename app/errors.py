"""The exceptions every layer may raise: the bottom of the import graph (imports nothing of app).

    UserError("key", status_code=422, **params)   a mistake the learner can fix; app/web.py turns
                                                  it into JSON, an error fragment or a page, in
                                                  the learner's language
    FieldError("key", **params)                   the same, raised inside pydantic validation:
                                                  reported with the field's name
    JobFailed("key", **params)                    a job that failed for a reason the learner
                                                  should read in their language (app/jobs)
"""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """A mistake the learner can fix: shown in their language with what to do."""

    def __init__(self, key: str, status_code: int = 422, **params: Any):
        super().__init__(key)
        self.key = key
        self.status_code = status_code
        self.params = params


class FieldError(UserError, ValueError):
    """A UserError raised inside pydantic validation (a ValueError, so pydantic reports it with the
    field's name: app/web.py describe_validation_error)."""


class JobFailed(Exception):
    """A failure to show to the learner: `key` is an i18n key, `params` fill it in."""

    def __init__(self, key: str, **params: Any):
        super().__init__(key)
        self.key = key
        self.params = params
