"""The home page: the lecture's six steps of AI as the map of the labs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.labs import all_labs
from app.web import render

router = APIRouter(include_in_schema=False)
LAB = None


@router.get("/", response_class=HTMLResponse)
def home(request: Request):
    labs = all_labs()
    steps = [{"n": n, "labs": [lab for lab in labs if n in lab.steps]} for n in range(1, 7)]
    return render(request, "home.html", {"steps": steps, "labs": labs})
