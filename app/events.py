"""Lab results that other parts of the app follow live (the classroom's projector views).

A lab calls `publish_result(request, "digits", {...})` after it answers a learner; whoever
wants to follow results appends a callable `listener(request, lab, payload)` to
`app.state.result_listeners` in create_app(). Listeners must be quick and must not raise.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from fastapi import Request

log = logging.getLogger(__name__)
ResultListener = Callable[[Request, str, dict[str, Any]], None]


def publish_result(request: Request, lab: str, payload: dict[str, Any]) -> None:
    for listener in getattr(request.app.state, "result_listeners", ()):
        try:
            listener(request, lab, payload)
        except Exception:  # a listener's bug must never cost the learner their answer
            log.exception("result listener failed for %s", lab)
