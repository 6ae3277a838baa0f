"""What the labs whose whole state is their address share: bounded numbers, the state read from a
URL, and the page / htmx-fragment pair of routes.

    Num = bounded_number(1000)          a finite float, |v| ≤ 1000, or a FieldError in the learner's language
    state, error = parse_query(Model, request)
    pages = StatePages("neuron", NeuronAction, apply, query_string, lab_context)
    pages.page(request)                 GET /neuron: the page (a bad address: defaults + an inline message)
    pages.fragment(request, action, event)   GET /neuron/lab: the partial, its URL pushed, the result published
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, get_origin

from fastapi import Request
from fastapi.responses import RedirectResponse
from pydantic import AfterValidator, BaseModel, Field, ValidationError

from app.errors import FieldError
from app.events import publish_result
from app.web import describe_validation_error, render, translator

SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉"


def sub(i: int) -> str:
    """1 → ₁ for w₁, x₁."""
    return "".join(SUBSCRIPTS[int(d)] for d in str(i))


def plain_number(v: float) -> str:
    """How a number is written in a URL or an input box: 1 rather than 1.0, all digits kept."""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def bounded_number(limit: float) -> type:
    """A finite float with |v| ≤ limit; too big is a FieldError in the learner's language."""

    def check(value: float) -> float:
        if abs(value) > limit:
            raise FieldError("neuron.too_big", limit=plain_number(limit))
        return value

    return Annotated[float, Field(allow_inf_nan=False, json_schema_extra={"minimum": -limit, "maximum": limit}),
                     AfterValidator(check)]


def parse_query(model: type[BaseModel], request: Request) -> tuple[BaseModel, str | None]:
    """The page's state from its address; a bad address gives the defaults and a message to show
    inline (a shared link with a typo still opens the lab)."""
    params = request.query_params
    data = {key: params.getlist(key) if get_origin(field.annotation) is list else params.get(key)
            for key, field in model.model_fields.items() if key in params}
    try:
        return model.model_validate(data), None
    except ValidationError as exc:
        _ = translator(request)
        details = _("errors.and").join(describe_validation_error(e, _) for e in exc.errors()[:5])
        return model(), _("errors.invalid", details=details)


@dataclass(frozen=True)
class StatePages:
    """/<name> and /<name>/lab of a lab stepped by buttons: `action` is the state plus `go` (the
    button pressed), `apply` turns it into the next state, `query` writes a state as its address and
    `context` gives the templates `<name>.html` and `partials/<name>_lab.html` what they show."""

    name: str
    action: type[BaseModel]
    apply: Callable[[Any], Any]
    query: Callable[[Any], str]
    context: Callable[[Request, Any], dict]

    def page(self, request: Request, **extra):
        action, error = parse_query(self.action, request)
        state = self.apply(action)
        if action.go is not None:  # a button pressed without JavaScript: show the canonical address
            return RedirectResponse(f"/{self.name}?{self.query(state)}", status_code=303)
        return render(request, f"{self.name}.html", {**extra, **self.context(request, state), "error": error},
                      422 if error else 200)

    def fragment(self, request: Request, action: BaseModel, event: Callable[[Any, dict], dict | None]):
        """The partial for htmx, its address pushed; `event(state, context)` is what the classroom's
        projector receives (None: nothing to publish)."""
        state = self.apply(action)
        context = self.context(request, state)
        response = render(request, f"partials/{self.name}_lab.html", {**context, "fragment": True})
        response.headers["HX-Push-Url"] = f"/{self.name}?{self.query(state)}"
        payload = event(state, context)
        if payload is not None:
            publish_result(request, self.name, payload)
        return response
