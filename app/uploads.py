"""Uploads read in memory, never spooled to disk, and refused once past a size limit.

Starlette's form parser writes a file over 1 MB to a temporary file and costs more than a
digit prediction itself; a lab's uploads (a 4 kB canvas, a 15 MB photo) split fine in memory,
and a learner's photo is then never written to the server's disk.

Every request body is also cut off while it streams in, before any parser stores it (FastAPI's
`max_body_size`): at DEFAULT_MAX_BODY (app/main.py), or at the limit a route declares with
`@router.post(..., max_body_size=N)`; the 413 is in the learner's language (app/web.py).
"""

from __future__ import annotations

from fastapi import Request
from python_multipart.multipart import parse_options_header

from app.errors import UserError

Fields = dict[str, tuple[bytes, bool]]  # field name → (content, whether it was a file)
DEFAULT_MAX_BODY = 16 * 1024 * 1024  # the largest a route takes without saying so: a 15 MB photo and its form


async def read_body(request: Request, limit: int, too_large: UserError) -> bytes:
    """The whole request body, refusing (413) to read past `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def split_multipart(body: bytes, content_type: str, max_fields: int = 10) -> Fields | None:
    """multipart/form-data → {field name: (content, is a file)}; None when it is not multipart
    or is cut off before its closing delimiter."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not content_type.startswith("multipart/form-data") or not boundary:
        return None
    delimiter = b"\r\n--" + boundary
    fields: Fields = {}
    pos = body.find(delimiter[2:])  # the first delimiter may open the body, without a line break
    start = pos + len(delimiter) - 2
    while pos >= 0 and len(fields) < max_fields:
        if body[start:start + 2] == b"--":  # the closing delimiter
            return fields
        head_start = body.find(b"\r\n", start) + 2
        head_end = body.find(b"\r\n\r\n", head_start)
        end = body.find(delimiter, head_start)
        if head_start < 2 or head_end < 0 or end < 0 or head_end > end:
            break
        disposition: dict[bytes, bytes] = {}
        for line in body[head_start:head_end].split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-disposition":
                disposition = parse_options_header(value.strip())[1]
        if b"name" in disposition:
            fields[disposition[b"name"].decode("utf-8", "replace")] = (body[head_end + 4:end], b"filename" in disposition)
        pos, start = end, end + len(delimiter)
    return None


async def read_upload(request: Request, limit: int, *, too_large: UserError, missing: UserError,
                      file_field: str = "image") -> tuple[bytes, dict[str, str]]:
    """The uploaded file's bytes and the form's other (text) fields."""
    fields = split_multipart(await read_body(request, limit, too_large), request.headers.get("content-type", ""))
    if not fields or file_field not in fields:
        raise missing
    data = fields.pop(file_field)[0]
    return data, {k: v.decode("utf-8", "replace") for k, (v, is_file) in fields.items() if not is_file}
