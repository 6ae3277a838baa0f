"""app/nn/rl.py against independent answers: value iteration against a closed form from
breadth-first distances and against a linear solve of the Bellman equation; Q-learning's greedy
path against the shortest path, and its Q table against value iteration's."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest

from app.labs.rl import PRESETS
from app.nn.rl import ACTIONS, MOVES, Gridworld, QLearner, mulberry32, q_learning, value_iteration

OPEN = ("S....", ".....", ".....", ".....", "....G")
WALLS = ("S.#..", ".#..#", "...#.", "#.#..", "....G")
POCKET = ("S.#.", "..#G")  # goal walled off: no episode ever ends by itself


def bfs(rows, start, blocked="#X"):
    """Fewest moves from start to every cell, never entering a wall or (by default) a pit."""
    h, w = len(rows), len(rows[0])
    dist = {start: 0}
    todo = deque([start])
    while todo:
        i, j = todo.popleft()
        if rows[i][j] in "GX" and (i, j) != start:
            continue  # the episode ends there
        for di, dj in MOVES:
            n = (i + di, j + dj)
            if 0 <= n[0] < h and 0 <= n[1] < w and rows[n[0]][n[1]] not in blocked and n not in dist:
                dist[n] = dist[(i, j)] + 1
                todo.append(n)
    return dist


def goal_distance(rows, s):
    """Fewest moves from s into some G."""
    d = bfs(rows, s)
    return min(d[(i, j)] for (i, j) in d if rows[i][j] == "G")


def test_mulberry32_is_uniform_and_repeatable():
    a, b = mulberry32(7), mulberry32(7)
    xs = [a() for _ in range(20000)]
    assert xs[:50] == [b() for _ in range(50)]  # same seed, same numbers
    assert all(0 <= x < 1 for x in xs)
    assert abs(np.mean(xs) - 0.5) < 0.01 and abs(np.var(xs) - 1 / 12) < 0.005  # uniform on [0, 1)
    assert mulberry32(8)() != xs[0]


def test_moves_walls_edges_and_rewards():
    world = Gridworld(("S#G", ".X."), step_reward=-0.04)
    assert world.move((0, 0), ACTIONS.index("up")) == ((0, 0), -0.04, False)  # off the grid: stay, pay
    assert world.move((0, 0), ACTIONS.index("right")) == ((0, 0), -0.04, False)  # into the wall: stay
    assert world.move((0, 0), ACTIONS.index("down")) == ((1, 0), -0.04, False)
    assert world.move((1, 0), ACTIONS.index("right")) == ((1, 1), -1.0, True)  # the pit ends it
    assert world.move((1, 2), ACTIONS.index("up")) == ((0, 2), 1.0, True)  # the goal ends it


@pytest.mark.parametrize("rows", [OPEN, WALLS, PRESETS["maze"]])
@pytest.mark.parametrize("gamma, c", [(0.9, -0.01), (0.8, -0.1), (1.0, -0.04)])
def test_value_iteration_matches_the_closed_form_from_shortest_paths(rows, gamma, c):
    """Without pits in the way, the best return from s is d − 1 step costs then +1, discounted:
    V(s) = c (1 + γ + … + γ^(d−2)) + γ^(d−1), d = fewest moves from s to the goal."""
    rows = tuple(r.replace("X", "#") for r in rows)
    v = value_iteration(Gridworld(rows, c), gamma).values()
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            if cell in ".S":
                d = goal_distance(rows, (i, j))
                expected = c * sum(gamma ** k for k in range(d - 1)) + gamma ** (d - 1)
                assert v[i][j] == pytest.approx(expected, abs=1e-8), (i, j)


@pytest.mark.parametrize("rows", [PRESETS["lecture"], PRESETS["cliff"], PRESETS["maze"], ("S..#", ".#.G", "...X")])
@pytest.mark.parametrize("gamma, c", [(0.9, -0.01), (0.5, -0.2), (0.99, 0.02)])
def test_value_iteration_solves_the_bellman_equation(rows, gamma, c):
    """The policy's values by a linear solve, V = r_π + γ P_π V, equal value iteration's, and no
    action does better than the policy's (Bellman optimality)."""
    world = Gridworld(rows, c)
    solution = value_iteration(world, gamma)
    states = [s for s in world.states() if not world.is_terminal(s)]
    index = {s: k for k, s in enumerate(states)}
    policy = solution.policy()
    P, r = np.zeros((len(states), len(states))), np.zeros(len(states))
    for s in states:
        name = policy[s[0]][s[1]] or "up"  # all four equal: any action is a best one
        s2, reward, done = world.move(s, ACTIONS.index(name))
        r[index[s]] = reward
        if not done:
            P[index[s], index[s2]] = 1.0
    v = np.linalg.solve(np.eye(len(states)) - gamma * P, r)
    values = solution.values()
    for s in states:
        assert values[s[0]][s[1]] == pytest.approx(v[index[s]], abs=1e-7)
        for a in range(4):
            s2, reward, done = world.move(s, a)
            assert reward + (0 if done else gamma * v[index[s2]]) <= v[index[s]] + 1e-7, (s, ACTIONS[a])


@pytest.mark.parametrize("rows", [OPEN, WALLS, PRESETS["lecture"], PRESETS["maze"], PRESETS["cliff"]])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_q_learning_greedy_path_is_a_shortest_path(rows, seed):
    world = Gridworld(rows, -0.01)
    solution, agent = q_learning(world, gamma=0.9, alpha=0.5, epsilon=0.2, episodes=1500, seed=seed)
    path = solution.path()
    assert world.cell(path[-1]) == "G", path
    assert len(path) - 1 == goal_distance(rows, world.start)
    assert all(abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1 for a, b in zip(path, path[1:]))  # one move at a time


def test_q_learning_learns_value_iterations_q():
    world = Gridworld(("S.X", "..G"), -0.05)
    solution, _ = q_learning(world, gamma=0.9, alpha=0.5, epsilon=0.5, episodes=3000, seed=4)
    exact = value_iteration(world, 0.9)
    for s in world.states():
        if not world.is_terminal(s):
            assert solution.q[s[0]][s[1]] == pytest.approx(exact.q[s[0]][s[1]], abs=1e-3), s


def test_each_update_is_the_formula_with_its_numbers():
    agent = QLearner(Gridworld(PRESETS["lecture"], -0.01), gamma=0.9, alpha=0.3, epsilon=0.3, seed=5)
    for _ in range(3000):
        before = [[list(q) for q in row] for row in agent.q]
        u = agent.step()
        assert u.old_q == before[u.s[0]][u.s[1]][u.a]
        assert u.max_next == (0.0 if u.done else max(before[u.s2[0]][u.s2[1]]))
        assert u.target == pytest.approx(u.r + 0.9 * u.max_next)  # r + γ max Q′
        assert u.new_q == pytest.approx(u.old_q + 0.3 * (u.target - u.old_q))  # Q + α (target − Q)
        assert agent.q[u.s[0]][u.s[1]][u.a] == u.new_q


def test_episode_without_a_way_out_stops_at_the_limit():
    world = Gridworld(POCKET, -0.01)
    _, agent = q_learning(world, gamma=0.9, alpha=0.5, epsilon=0.2, episodes=3, seed=1)
    assert agent.steps == 3 * world.episode_limit()
    assert agent.returns == pytest.approx([-0.01 * world.episode_limit()] * 3)
    _, agent = q_learning(world, 0.9, 0.5, 0.2, episodes=10**6, seed=1, max_steps=1000)
    assert agent.steps == 1000  # the step budget wins over the episodes asked for


def test_epsilon_zero_still_explores_by_random_ties_and_one_explores_always():
    world = Gridworld(OPEN, -0.01)
    _, greedy = q_learning(world, 0.9, 0.5, 0.0, 50, seed=1)
    assert world.cell(q_learning(world, 0.9, 0.5, 0.0, 300, seed=1)[0].path()[-1]) == "G"
    agent = QLearner(world, 0.9, 0.5, 1.0, seed=2)
    explored = [agent.step().explored for _ in range(200)]
    assert all(explored) and len(greedy.returns) == 50


@pytest.mark.parametrize("rows", [("S.G", "S.."), ("S..",), ("S.Z.G",), ("S.G", "..")])
def test_bad_worlds_are_refused(rows):
    with pytest.raises(ValueError):
        Gridworld(rows)
