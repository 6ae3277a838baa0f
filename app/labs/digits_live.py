"""The digit lab's live path: what the page sends while the learner draws — every ~150 ms from each
of a lecture hall's 300 phones — answered for as little of the server's CPU as it can be.

    POST /digits/ink?model=digits-cnn&vs=digits-dnn&w=150&h=212
    body: the canvas's alpha channel cut to the box that holds ink, w×h bytes row by row (0 = paper
          … 255 = ink), as digits_canvas.js inkBox() makes it; deflated (zlib) with
          `Content-Encoding: deflate`, or not
    → {"input": "<the 28×28 picture the network read: 784 bytes, base64>",
       "answers": [{"model": "digits-cnn", "prediction": 7, "probabilities": [P(0), …, P(9)]}, …]}

The same preprocessing (the very same 28×28 picture as from the canvas's PNG), the same models and
the same classroom feed as POST /digits/predict (the htmx fragment) and POST /api/digits/predict
(app/labs/digits.py), which stay the reference. What
this path leaves out is what cost more than the network (measured under load, bench/digits.py):
the PNG decode (the page sends the ink itself, ~1 kB), the multipart form, FastAPI's dependency
solving, the hand-off to a thread and back, and the HTML (the page fills in its bars and its
28×28 picture itself). It answers on the event loop: ~0.3 ms of CPU, less than a thread hand-off
costs, so the event streams of a hall wait no longer than they would for that hand-off.
"""

from __future__ import annotations

import base64
import json
import time

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.events import publish_result
from app.labs.digits import find_model, model_names, read_picture, server_timing
from app.ml import digits as digit_math
from app.uploads import read_body
from app.web import UserError, translator

router = APIRouter()


def side(value: str | None) -> int:
    """A w or h from the query string (a bad one is a picture too small to read)."""
    return int(value) if value and value.isdigit() and len(value) <= 5 else 0


async def digits_ink(request: Request) -> Response:
    try:
        query = request.query_params
        names = model_names(query.get("model"), query.get("vs"))
        registry = request.app.state.registry
        manifests = [find_model(registry, name) for name in names]
        too_large = UserError("digits.error_too_big", 413, mb=digit_math.MAX_UPLOAD_BYTES // (1024 * 1024))
        body = await read_body(request, digit_math.MAX_INK_BODY, too_large)
        started = time.perf_counter()
        deflated = request.headers.get("content-encoding", "") == "deflate"
        picture = digit_math.to_mnist(digit_math.read_ink_box(body, side(query.get("w")), side(query.get("h")), deflated))
        prepared = time.perf_counter()
        read = [read_picture(registry, m, picture) for m in manifests]
        done = time.perf_counter()
    except UserError as exc:  # in the learner's language, as the JSON API answers errors
        message = translator(request)(exc.key, **exc.params)
        return Response(json.dumps({"detail": message, "code": exc.key}, ensure_ascii=False), exc.status_code,
                        media_type="application/json")
    pixels = np.rint(picture * 255).astype(np.uint8)
    answers = [{"model": m.id, "prediction": int(np.argmax(p)), "probabilities": [round(float(v), 5) for v in p]}
               for m, p in zip(manifests, read)]
    # the picture as one uint8 array, not 28 lists: results wait ~0.5 s for the classroom's recorder,
    # and lists that live that long are what makes the garbage collector's full passes frequent
    publish_result(request, "digits", {"prediction": answers[0]["prediction"], "model": names[0], "input": pixels})
    body = json.dumps({"input": base64.b64encode(pixels.tobytes()).decode(), "answers": answers}, separators=(",", ":"))
    prepare_ms, model_ms = (prepared - started) * 1000, (done - prepared) * 1000 / len(read)
    timing = server_timing(preprocess=prepare_ms, model=model_ms, app=prepare_ms + model_ms, total=(done - started) * 1000)
    return Response(body, media_type="application/json", headers={"Server-Timing": timing, "Cache-Control": "no-store"})


# A plain Starlette route: no dependencies to solve, no response model, not in the OpenAPI schema
# (the page's own wire format; the documented JSON API is POST /api/digits/predict).
router.add_route("/digits/ink", digits_ink, methods=["POST"], include_in_schema=False)
