// The gridworld and Q-learning, in the browser: the twin of app/nn/rl.py. Same random numbers
// (mulberry32), same ε-greedy choice and tie-breaking, same update order, so one seed gives the
// same Q table here and in Python (tests/browser/test_rl_browser.py compares them).
// No page code here: static/js/rl_view.js draws it. Exposed as window.RL (and module.exports).
(function (root) {
  "use strict";
  var ACTIONS = ["up", "right", "down", "left"];
  var MOVES = [[-1, 0], [0, 1], [1, 0], [0, -1]];
  var GOAL_REWARD = 1, PIT_REWARD = -1;

  // Floats in [0, 1) from a 32-bit seed: Python's mulberry32 gives the same sequence.
  function mulberry32(seed) {
    var a = seed | 0;
    return function () {
      a = (a + 0x6D2B79F5) | 0;
      var t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  // rows: ["S..#", ".#.G", "...X"]; S start, G goal +1, X pit −1, # wall, . empty.
  function World(rows, stepReward) {
    this.rows = rows.slice();
    this.height = rows.length;
    this.width = rows[0].length;
    this.stepReward = stepReward;
    for (var i = 0; i < rows.length; i++) {
      var j = rows[i].indexOf("S");
      if (j >= 0) this.start = [i, j];
    }
  }
  World.prototype.cell = function (s) { return this.rows[s[0]].charAt(s[1]); };
  World.prototype.isTerminal = function (s) { var c = this.cell(s); return c === "G" || c === "X"; };
  // One step: {s2, r, done}. Into a wall or off the grid: stay put (and still pay the cost).
  World.prototype.move = function (s, a) {
    var i = s[0] + MOVES[a][0], j = s[1] + MOVES[a][1];
    if (i < 0 || i >= this.height || j < 0 || j >= this.width || this.rows[i].charAt(j) === "#") { i = s[0]; j = s[1]; }
    var c = this.rows[i].charAt(j);
    var r = c === "G" ? GOAL_REWARD : c === "X" ? PIT_REWARD : this.stepReward;
    return { s2: [i, j], r: r, done: c === "G" || c === "X" };
  };
  World.prototype.episodeLimit = function () { return 5 * this.height * this.width; };

  function maxOf(q) { return Math.max(q[0], q[1], q[2], q[3]); }

  // The first action whose Q is (within tol of) the largest; null when all four are equal.
  function greedyAction(q, tol) {
    tol = tol || 0;
    var best = maxOf(q), worst = Math.min(q[0], q[1], q[2], q[3]);
    if (best - worst <= tol) return null;
    for (var a = 0; a < 4; a++) if (q[a] >= best - tol) return a;
    return null;
  }

  function QLearner(world, gamma, alpha, epsilon, seed) {
    this.world = world; this.gamma = gamma; this.alpha = alpha; this.epsilon = epsilon;
    this.rand = mulberry32(seed);
    this.q = [];
    for (var i = 0; i < world.height; i++) {
      var row = [];
      for (var j = 0; j < world.width; j++) row.push([0, 0, 0, 0]);
      this.q.push(row);
    }
    this.s = world.start.slice();
    this.t = 0; this.ret = 0; this.returns = []; this.steps = 0;
  }
  // ε-greedy: with probability ε a random action, else the best one (ties: a random best).
  QLearner.prototype.choose = function () {
    var row = this.q[this.s[0]][this.s[1]];
    if (this.rand() < this.epsilon) return { a: Math.floor(this.rand() * 4), explored: true };
    var best = maxOf(row), ties = [];
    for (var a = 0; a < 4; a++) if (row[a] === best) ties.push(a);
    return { a: ties[Math.floor(this.rand() * ties.length)], explored: false };
  };
  // One move and one update: Q(s, a) ← Q(s, a) + α (r + γ maxₐ′ Q(s′, a′) − Q(s, a)).
  QLearner.prototype.step = function () {
    var pick = this.choose(), a = pick.a, s = this.s;
    var m = this.world.move(s, a), s2 = m.s2, r = m.r, done = m.done;
    var old = this.q[s[0]][s[1]][a];
    var maxNext = done ? 0 : maxOf(this.q[s2[0]][s2[1]]);
    var target = done ? r : r + this.gamma * maxNext;
    var nq = old + this.alpha * (target - old);
    this.q[s[0]][s[1]][a] = nq;
    this.ret += r; this.t += 1; this.steps += 1;
    var ended = done || this.t >= this.world.episodeLimit();
    if (ended) {
      this.returns.push(this.ret);
      this.s = this.world.start.slice(); this.t = 0; this.ret = 0;
    } else {
      this.s = s2;
    }
    return { s: s, a: a, r: r, s2: s2, done: done, ended: ended, explored: pick.explored,
             oldQ: old, maxNext: maxNext, target: target, newQ: nq };
  };
  QLearner.prototype.episode = function () {
    var n = this.returns.length, last = null;
    while (this.returns.length === n) last = this.step();
    return last;
  };

  // Greedy from S: until a terminal, a cell with no preferred action, or a loop.
  function greedyPath(world, q) {
    var s = world.start.slice(), seen = {}, path = [];
    while (!seen[s]) {
      seen[s] = true; path.push(s);
      if (world.isTerminal(s)) break;
      var a = greedyAction(q[s[0]][s[1]]);
      if (a === null) break;
      s = world.move(s, a).s2;
    }
    return path;
  }

  // Cells the agent can reach from S (it never walks on from a goal or a pit): "r,c" → true.
  function reachable(world) {
    var seen = {}, todo = [world.start];
    seen[world.start] = true;
    while (todo.length) {
      var s = todo.pop();
      if (world.isTerminal(s)) continue;
      for (var a = 0; a < 4; a++) {
        var n = world.move(s, a).s2;
        if (!seen[n]) { seen[n] = true; todo.push(n); }
      }
    }
    return seen;
  }

  // Everything Python's q_learning returns, for the twin test.
  function qLearning(rows, stepReward, gamma, alpha, epsilon, episodes, seed) {
    var agent = new QLearner(new World(rows, stepReward), gamma, alpha, epsilon, seed);
    while (agent.returns.length < episodes) agent.step();
    return { q: agent.q, returns: agent.returns, steps: agent.steps, path: greedyPath(agent.world, agent.q) };
  }

  var RL = { ACTIONS: ACTIONS, MOVES: MOVES, mulberry32: mulberry32, World: World, QLearner: QLearner,
             greedyAction: greedyAction, greedyPath: greedyPath, reachable: reachable, qLearning: qLearning, maxOf: maxOf };
  root.RL = RL;
  if (typeof module !== "undefined" && module.exports) module.exports = RL;
})(typeof window !== "undefined" ? window : this);
