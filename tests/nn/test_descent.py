"""Gradient descent: one step by hand, and every verdict on a case whose answer we know."""

import math

import pytest

from app.nn.descent import CONVERGED_TOL, run, step
from app.nn.losses import LECTURE, QUADRATIC, TWO_MINIMA


def test_one_step_by_hand():
    # L = 4w², w = 1, η = 0.1: w ← 1 − 0.1·8 = 0.2
    assert step(LECTURE, 1.0, 0.1) == pytest.approx(0.2, abs=1e-12)


def test_path_records_w_L_and_slope():
    r = run(LECTURE, 1.0, 0.1, 2)
    assert [p.w for p in r.path] == pytest.approx([1.0, 0.2, 0.04])
    assert [p.L for p in r.path] == pytest.approx([4.0, 0.16, 0.0064])
    assert [p.dL for p in r.path] == pytest.approx([8.0, 1.6, 0.32])


def test_zero_steps_is_the_start():
    r = run(QUADRATIC, -2.0, 0.1, 0)
    assert r.verdict == "start" and r.steps == 0


def test_small_eta_converges():
    r = run(QUADRATIC, -2.0, 0.1, 100)  # each step multiplies w − 2 by 1 − 2η = 0.8
    assert r.verdict == "converged"
    assert abs(r.path[-1].w - 2.0) <= CONVERGED_TOL
    assert not r.overshot


def test_few_steps_is_still_converging():
    assert run(QUADRATIC, -2.0, 0.1, 3).verdict == "converging"


def test_eta_between_half_and_one_over_a_oscillates():
    # L = 4w² (a = 4): 0.125 < η = 0.24 < 0.25, each step multiplies w by 1 − 8η = −0.92
    r = run(LECTURE, 1.0, 0.24, 10)
    assert r.verdict == "oscillating" and r.overshot
    # …but with enough steps it still reaches the bottom, zig-zagging
    r = run(LECTURE, 1.0, 0.24, 200)
    assert r.verdict == "converged" and r.overshot


def test_eta_exactly_one_over_a_bounces_forever():
    r = run(LECTURE, 1.0, 0.25, 20)  # w = 1, −1, 1, −1 …
    assert r.verdict == "oscillating"


def test_eta_too_large_diverges():
    r = run(LECTURE, 1.0, 0.3, 5)  # multiplier 1 − 2.4 = −1.4: |w| grows
    assert r.verdict == "diverged"
    assert abs(r.path[-1].w) > 1


def test_runaway_stops_early_before_overflow():
    r = run(TWO_MINIMA, 2.0, 5.0, 1000)
    assert r.verdict == "diverged" and r.stopped_early
    assert r.steps < 1000
    assert all(math.isfinite(p.w) and math.isfinite(p.L) and math.isfinite(p.dL) for p in r.path)


def test_stuck_in_local_minimum():
    r = run(TWO_MINIMA, 1.8, 0.1, 200)  # starts right of the hill at 0: rolls into w = 1
    assert r.verdict == "stuck_in_local_minimum"


def test_global_minimum_from_the_left():
    r = run(TWO_MINIMA, -2.8, 0.05, 300)
    assert r.verdict == "converged" and r.path[-1].w == pytest.approx(-2.0, abs=CONVERGED_TOL)


def test_on_top_of_the_hill_it_stalls():
    r = run(TWO_MINIMA, 0.0, 0.1, 10)  # L′(0) = 0 but 0 is a maximum
    assert r.verdict == "stalled"


def test_bad_eta_and_steps():
    with pytest.raises(ValueError):
        run(QUADRATIC, 0.0, 0.0, 1)
    with pytest.raises(ValueError):
        run(QUADRATIC, 0.0, 0.1, -1)
