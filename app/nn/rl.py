"""Reinforcement learning on a gridworld (slides 82, 99–101): value iteration and Q-learning.

The world is a list of strings, one per row: `S` start, `G` goal (+1, ends the episode), `X` pit
(−1, ends the episode), `#` wall, `.` empty. Four actions, up, right, down, left, always do what
they say; a move into a wall or off the grid stays put. Every step into a cell pays the step
reward (a small cost, e.g. −0.01), or the terminal's reward when the cell is `G` or `X`.

Q(s, a) is "for every action, the expected reward" of slide 82: what the agent expects to collect
from s on if it takes a now and plays well afterwards. Value iteration computes it exactly from
the rules; Q-learning learns it from experience, one step at a time:

    Q(s, a) ← Q(s, a) + α (r + γ maxₐ′ Q(s′, a′) − Q(s, a))

The in-browser twin is static/js/rl.js: the same random numbers (mulberry32), the same ε-greedy
choice with the same tie-breaking, the same update order, so one seed gives the same Q table in
both (tests/browser/test_rl_browser.py checks it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ACTIONS = ("up", "right", "down", "left")
MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))  # (Δrow, Δcol) per action
CELLS = "SGX#."
GOAL_REWARD, PIT_REWARD = 1.0, -1.0


def mulberry32(seed: int):
    """A tiny seeded generator of floats in [0, 1), written so JavaScript gives the same numbers
    (32-bit integer arithmetic: Math.imul, >>> and ^ in static/js/rl.js)."""
    state = seed & 0xFFFFFFFF

    def rand() -> float:
        nonlocal state
        state = (state + 0x6D2B79F5) & 0xFFFFFFFF
        t = state
        t = ((t ^ (t >> 15)) * (t | 1)) & 0xFFFFFFFF
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & 0xFFFFFFFF)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    return rand


@dataclass(frozen=True)
class Gridworld:
    rows: tuple[str, ...]
    step_reward: float = -0.01

    def __post_init__(self):
        if not self.rows or any(len(r) != len(self.rows[0]) for r in self.rows) or not self.rows[0]:
            raise ValueError("the grid must be a non-empty rectangle")
        if any(c not in CELLS for r in self.rows for c in r):
            raise ValueError(f"cells must be one of {CELLS!r}")
        if sum(r.count("S") for r in self.rows) != 1 or not any("G" in r for r in self.rows):
            raise ValueError("the grid needs exactly one start S and at least one goal G")

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return len(self.rows[0])

    @property
    def start(self) -> tuple[int, int]:
        return next((i, r.index("S")) for i, r in enumerate(self.rows) if "S" in r)

    def cell(self, s: tuple[int, int]) -> str:
        return self.rows[s[0]][s[1]]

    def is_terminal(self, s: tuple[int, int]) -> bool:
        return self.cell(s) in "GX"

    def states(self) -> list[tuple[int, int]]:
        """Every cell the agent can stand in: not a wall, terminals included."""
        return [(i, j) for i in range(self.height) for j in range(self.width) if self.rows[i][j] != "#"]

    def move(self, s: tuple[int, int], a: int) -> tuple[tuple[int, int], float, bool]:
        """One step: (s′, r, done). Into a wall or off the grid: stay put (and still pay the cost)."""
        i, j = s[0] + MOVES[a][0], s[1] + MOVES[a][1]
        if not (0 <= i < self.height and 0 <= j < self.width) or self.rows[i][j] == "#":
            i, j = s
        c = self.rows[i][j]
        reward = GOAL_REWARD if c == "G" else PIT_REWARD if c == "X" else self.step_reward
        return (i, j), reward, c in "GX"

    def episode_limit(self) -> int:
        """An episode that has not ended after this many steps stops (the agent starts again)."""
        return 5 * self.height * self.width


def greedy_action(q: list[float], tol: float = 0.0) -> int | None:
    """The first action whose Q is (within tol of) the largest; None when all four are equal."""
    best = max(q)
    if best - min(q) <= tol:
        return None
    return next(a for a in range(4) if q[a] >= best - tol)


@dataclass
class Solution:
    """Q for every cell and action (terminals and walls: 0), V = maxₐ Q, and the greedy policy."""

    world: Gridworld
    q: list[list[list[float]]]
    tol: float = 0.0
    extra: dict = field(default_factory=dict)

    def values(self) -> list[list[float | None]]:
        return [[None if self.world.rows[i][j] == "#" else (0.0 if self.world.rows[i][j] in "GX" else max(self.q[i][j]))
                 for j in range(self.world.width)] for i in range(self.world.height)]

    def policy(self) -> list[list[str | None]]:
        out = []
        for i, row in enumerate(self.world.rows):
            out.append([None if c in "#GX" or (a := greedy_action(self.q[i][j], self.tol)) is None else ACTIONS[a]
                        for j, c in enumerate(row)])
        return out

    def path(self) -> list[tuple[int, int]]:
        """Greedy from S: until a terminal, a cell with no preferred action, or a loop."""
        s, seen = self.world.start, []
        while s not in seen:
            seen.append(s)
            if self.world.is_terminal(s):
                break
            a = greedy_action(self.q[s[0]][s[1]], self.tol)
            if a is None:
                break
            s = self.world.move(s, a)[0]
        return seen


def value_iteration(world: Gridworld, gamma: float, tol: float = 1e-10, max_sweeps: int = 2000) -> Solution:
    """Sweep V(s) ← maxₐ [r(s, a) + γ V(s′)] over every cell (V = 0 at terminals) until no value
    moves by more than tol. γ = 1 with no way out may never settle: then it stops after max_sweeps."""
    h, w = world.height, world.width
    n = h * w
    nxt = np.zeros((n, 4), dtype=int)
    reward = np.zeros((n, 4))
    live = np.zeros((n, 4))  # 1 where s′ is not terminal: its value counts
    for i, j in world.states():
        for a in range(4):
            (i2, j2), r, done = world.move((i, j), a)
            nxt[i * w + j, a], reward[i * w + j, a], live[i * w + j, a] = i2 * w + j2, r, 0.0 if done else 1.0
    active = np.array([world.rows[k // w][k % w] in "S." for k in range(n)])
    v = np.zeros(n)
    sweeps, delta = 0, np.inf
    while sweeps < max_sweeps and delta > tol:
        q = reward + gamma * live * v[nxt]
        new_v = np.where(active, q.max(axis=1), 0.0)
        delta = float(np.max(np.abs(new_v - v))) if n else 0.0
        v, sweeps = new_v, sweeps + 1
    q = np.where(active[:, None], reward + gamma * live * v[nxt], 0.0)
    table = [[[float(x) for x in q[i * w + j]] for j in range(w)] for i in range(h)]
    return Solution(world, table, tol=1e-9, extra={"sweeps": sweeps, "converged": bool(delta <= tol)})


@dataclass(frozen=True)
class Update:
    """One step of Q-learning with every number of its update, for the page to write out."""

    s: tuple[int, int]
    a: int
    r: float
    s2: tuple[int, int]
    done: bool
    explored: bool  # the ε coin said "try something random"
    old_q: float
    max_next: float  # maxₐ′ Q(s′, a′), 0 when s′ ends the episode
    target: float  # r + γ maxₐ′ Q(s′, a′)
    new_q: float


class QLearner:
    """Tabular Q-learning with ε-greedy exploration; `step()` is one move and one update."""

    def __init__(self, world: Gridworld, gamma: float, alpha: float, epsilon: float, seed: int):
        self.world, self.gamma, self.alpha, self.epsilon = world, gamma, alpha, epsilon
        self.rand = mulberry32(seed)
        self.q = [[[0.0] * 4 for _ in range(world.width)] for _ in range(world.height)]
        self.s = world.start
        self.t = 0  # steps in this episode
        self.ret = 0.0  # rewards collected in this episode
        self.returns: list[float] = []  # one per finished episode (ended, or stopped at the limit)
        self.steps = 0

    def choose(self) -> tuple[int, bool]:
        """ε-greedy: with probability ε a random action, else the best one (ties: a random best)."""
        row = self.q[self.s[0]][self.s[1]]
        if self.rand() < self.epsilon:
            return int(self.rand() * 4), True
        best = max(row)
        ties = [a for a in range(4) if row[a] == best]
        return ties[int(self.rand() * len(ties))], False

    def step(self) -> Update:
        a, explored = self.choose()
        s = self.s
        s2, r, done = self.world.move(s, a)
        old = self.q[s[0]][s[1]][a]
        max_next = 0.0 if done else max(self.q[s2[0]][s2[1]])
        target = r if done else r + self.gamma * max_next
        new = old + self.alpha * (target - old)
        self.q[s[0]][s[1]][a] = new
        self.ret += r
        self.t += 1
        self.steps += 1
        if done or self.t >= self.world.episode_limit():
            self.returns.append(self.ret)
            self.s, self.t, self.ret = self.world.start, 0, 0.0
        else:
            self.s = s2
        return Update(s, a, r, s2, done, explored, old, max_next, target, new)

    def episode(self) -> None:
        n = len(self.returns)
        while len(self.returns) == n:
            self.step()


def q_learning(world: Gridworld, gamma: float, alpha: float, epsilon: float, episodes: int, seed: int,
               max_steps: int | None = None) -> tuple[Solution, QLearner]:
    """Run `episodes` episodes (fewer when max_steps steps in all run out first)."""
    agent = QLearner(world, gamma, alpha, epsilon, seed)
    while len(agent.returns) < episodes and (max_steps is None or agent.steps < max_steps):
        agent.step()
    return Solution(world, agent.q), agent
