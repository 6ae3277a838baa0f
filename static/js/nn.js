// A small multilayer perceptron for the labs that train in the browser (/fit, /playground, the
// 2-D GAN at /gan). Plain JavaScript, float64, no libraries. Its Python twin is app/nn/mlp.py:
// same PRNG, same initialisation, same update order, so the same seed and data give the same
// weights and losses (tests/browser/test_nn_parity.py checks this in Chromium).
//
// Like tensorflow/playground's nn.ts, each activation is a pair (output, der). Unlike nn.ts,
// layers are dense matrices and a batch is processed at once; backward() returns the gradient
// with respect to the input, so two networks can be chained (a GAN's G feeds D).
//
//   var net = NN.mlp([2, 8, 1], ["tanh", "linear"], {seed: 1});
//   var trainer = NN.trainer(net, X, T, {loss: "logistic", batchSize: 10, seed: 1});
//   trainer.step(0.03, 0.001);  // one mini-batch of SGD with L2: W ← W − η(∂L/∂W + λW)
(function (root) {
  "use strict";

  // mulberry32: a tiny seeded 32-bit PRNG; every random number of the engine comes from one.
  function mulberry32(seed) {
    var a = seed >>> 0;
    return function () {
      a = (a + 0x6D2B79F5) >>> 0;
      var t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  // φ(z) and φ′(z), by name
  function sigmoid(z) { // written so that e^−z never overflows
    var e = Math.exp(-Math.abs(z));
    return z >= 0 ? 1 / (1 + e) : e / (1 + e);
  }
  var ACTIVATIONS = {
    relu: { output: function (z) { return z > 0 ? z : 0; }, der: function (z) { return z > 0 ? 1 : 0; } },
    tanh: { output: Math.tanh, der: function (z) { var t = Math.tanh(z); return 1 - t * t; } },
    sigmoid: { output: sigmoid, der: function (z) { var s = sigmoid(z); return s * (1 - s); } },
    linear: { output: function (z) { return z; }, der: function () { return 1; } }
  };

  // Losses on the network's output Y (n rows × k) against targets T; grad is dL/dY.
  var LOSSES = {
    // mean squared error: L = mean over rows and outputs of (y − t)²
    mse: {
      value: function (Y, T) {
        var s = 0, n = Y.length, k = Y[0].length;
        for (var i = 0; i < n; i++) for (var j = 0; j < k; j++) { var d = Y[i][j] - T[i][j]; s += d * d; }
        return s / (n * k);
      },
      grad: function (Y, T) {
        var n = Y.length, k = Y[0].length;
        return Y.map(function (y, i) { return y.map(function (v, j) { return 2 * (v - T[i][j]) / (n * k); }); });
      }
    },
    // logistic loss (binary cross-entropy) on logits y, targets t ∈ {0, 1}, p = σ(y):
    // L = mean of −t log p − (1 − t) log(1 − p) = mean of softplus(y) − t·y; dL/dy = (σ(y) − t)/n
    logistic: {
      value: function (Y, T) {
        var s = 0, n = Y.length, k = Y[0].length;
        for (var i = 0; i < n; i++) for (var j = 0; j < k; j++) {
          var y = Y[i][j];
          s += Math.max(y, 0) + Math.log1p(Math.exp(-Math.abs(y))) - T[i][j] * y;
        }
        return s / (n * k);
      },
      grad: function (Y, T) {
        var n = Y.length, k = Y[0].length;
        return Y.map(function (y, i) { return y.map(function (v, j) { return (sigmoid(v) - T[i][j]) / (n * k); }); });
      }
    }
  };

  // Dense layers: W[j] is the row of weights into neuron j, so z_j = Σ_i W[j][i]·a_i + b[j].
  // Glorot-uniform weights, W ~ U(−r, r) with r = √(6 / (fan_in + fan_out)); biases U(−β, β).
  // Drawn in this order: layer by layer, W row by row, then that layer's b.
  function mlp(sizes, activations, options) {
    options = options || {};
    var rng = mulberry32(options.seed || 0), beta = options.biasScale || 0;
    var layers = [];
    for (var l = 1; l < sizes.length; l++) {
      var nIn = sizes[l - 1], nOut = sizes[l], r = Math.sqrt(6 / (nIn + nOut));
      var W = [], b = [];
      for (var j = 0; j < nOut; j++) {
        var row = new Float64Array(nIn);
        for (var i = 0; i < nIn; i++) row[i] = (2 * rng() - 1) * r;
        W.push(row);
      }
      for (j = 0; j < nOut; j++) b.push((2 * rng() - 1) * beta);
      if (!ACTIVATIONS[activations[l - 1]]) throw new Error("unknown activation " + activations[l - 1]);
      layers.push({ W: W, b: Float64Array.from(b), activation: activations[l - 1],
                    gW: W.map(function (w) { return new Float64Array(w.length); }), gb: new Float64Array(nOut) });
    }
    return new Network(sizes.slice(), layers);
  }

  function Network(sizes, layers) { this.sizes = sizes; this.layers = layers; this.cache = null; }

  // Y = f(X) for a batch X (an array of rows); keeps every layer's z and a for backward().
  Network.prototype.forward = function (X) {
    var A = X, cache = [{ a: X }];
    for (var l = 0; l < this.layers.length; l++) {
      var L = this.layers[l], phi = ACTIVATIONS[L.activation].output, Z = [], out = [];
      for (var n = 0; n < A.length; n++) {
        var a = A[n], z = new Float64Array(L.W.length), h = new Float64Array(L.W.length);
        for (var j = 0; j < L.W.length; j++) {
          var w = L.W[j], s = 0;
          for (var i = 0; i < w.length; i++) s += w[i] * a[i];
          z[j] = s + L.b[j];
          h[j] = phi(z[j]);
        }
        Z.push(z); out.push(h);
      }
      cache.push({ z: Z, a: out });
      A = out;
    }
    this.cache = cache;
    return A;
  };

  // Given dL/dY for the last forward batch: adds ∂L/∂W and ∂L/∂b to the layers' gradients and
  // returns dL/dX (chain rule: dz = da ⊙ φ′(z); ∂L/∂W = dzᵀ·a_prev; da_prev = dz·W).
  Network.prototype.backward = function (dY) {
    var dA = dY;
    for (var l = this.layers.length - 1; l >= 0; l--) {
      var L = this.layers[l], der = ACTIVATIONS[L.activation].der;
      var Z = this.cache[l + 1].z, Aprev = this.cache[l].a, dPrev = [];
      for (var n = 0; n < Z.length; n++) {
        var a = Aprev[n], dp = new Float64Array(a.length);
        for (var j = 0; j < L.W.length; j++) {
          var dz = dA[n][j] * der(Z[n][j]), w = L.W[j], g = L.gW[j];
          L.gb[j] += dz;
          for (var i = 0; i < w.length; i++) { g[i] += dz * a[i]; dp[i] += dz * w[i]; }
        }
        dPrev.push(dp);
      }
      dA = dPrev;
    }
    return dA;
  };

  // SGD with L2 on the weights (not the biases): W ← W − η(∂L/∂W + λW), b ← b − η·∂L/∂b; then
  // the gradients start again from zero.
  Network.prototype.applyGradients = function (eta, lambda) {
    lambda = lambda || 0;
    this.layers.forEach(function (L) {
      for (var j = 0; j < L.W.length; j++) {
        var w = L.W[j], g = L.gW[j];
        for (var i = 0; i < w.length; i++) { w[i] -= eta * (g[i] + lambda * w[i]); g[i] = 0; }
        L.b[j] -= eta * L.gb[j];
        L.gb[j] = 0;
      }
    });
  };

  // Forget the gradients gathered so far (after backpropagating through a network that is not
  // being trained this step, as D is during G's step).
  Network.prototype.zeroGradients = function () {
    this.layers.forEach(function (L) { L.gW.forEach(function (g) { g.fill(0); }); L.gb.fill(0); });
  };

  // Adam (used by the 2-D GAN): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
  // w ← w − η·m̂/(√v̂ + ε) with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ); βᵗ as a running product, as in mlp.py.
  Network.prototype.applyAdam = function (eta, beta1, beta2, eps) {
    beta1 = beta1 === undefined ? 0.9 : beta1; beta2 = beta2 === undefined ? 0.999 : beta2; eps = eps === undefined ? 1e-8 : eps;
    if (!this.adam) {
      this.adam = { t: 0, b1t: 1, b2t: 1, m: this.layers.map(zerosLike), v: this.layers.map(zerosLike) };
    }
    var s = this.adam;
    s.t++; s.b1t *= beta1; s.b2t *= beta2;
    function update(w, g, m, v) {
      for (var i = 0; i < w.length; i++) {
        m[i] = beta1 * m[i] + (1 - beta1) * g[i];
        v[i] = beta2 * v[i] + (1 - beta2) * (g[i] * g[i]);
        var mHat = m[i] / (1 - s.b1t), vHat = v[i] / (1 - s.b2t);
        w[i] -= eta * mHat / (Math.sqrt(vHat) + eps);
        g[i] = 0;
      }
    }
    this.layers.forEach(function (L, l) {
      for (var j = 0; j < L.W.length; j++) update(L.W[j], L.gW[j], s.m[l].W[j], s.v[l].W[j]);
      update(L.b, L.gb, s.m[l].b, s.v[l].b);
    });
  };
  function zerosLike(L) {
    return { W: L.W.map(function (w) { return new Float64Array(w.length); }), b: new Float64Array(L.b.length) };
  }

  Network.prototype.predict = function (X) { return this.forward(X); };

  // The weights as plain arrays: [{W: [[...]], b: [...], activation}, ...]
  Network.prototype.weights = function () {
    return this.layers.map(function (L) {
      return { W: L.W.map(function (w) { return Array.from(w); }), b: Array.from(L.b), activation: L.activation };
    });
  };

  // Mini-batch SGD over a data set: each epoch visits the rows in an order shuffled by the
  // trainer's own PRNG (Fisher–Yates); a step takes the next batchSize rows (fewer at an epoch's end).
  function trainer(net, X, T, options) {
    options = options || {};
    var rng = mulberry32(options.seed || 0), order = [], pos = 0, loss = LOSSES[options.loss || "mse"];
    var batchSize = Math.max(1, Math.min(options.batchSize || X.length, X.length));
    function shuffle() {
      order = X.map(function (_, i) { return i; });
      for (var i = order.length - 1; i > 0; i--) {
        var k = Math.floor(rng() * (i + 1)), tmp = order[i];
        order[i] = order[k]; order[k] = tmp;
      }
      pos = 0;
    }
    var t = { steps: 0, epochs: 0 };
    t.step = function (eta, lambda) {  // one update; returns the batch's loss before it
      if (pos >= order.length) { if (order.length) t.epochs++; shuffle(); }
      var idx = order.slice(pos, pos + batchSize);
      pos += idx.length;
      var xb = idx.map(function (i) { return X[i]; }), tb = idx.map(function (i) { return T[i]; });
      var Y = net.forward(xb), value = loss.value(Y, tb);
      net.backward(loss.grad(Y, tb));
      net.applyGradients(eta, lambda);
      t.steps++;
      return value;
    };
    t.loss = function (Xs, Ts) {  // the loss on a whole set (the training set by default)
      Xs = Xs || X; Ts = Ts || T;
      return Xs.length ? loss.value(net.forward(Xs), Ts) : NaN;
    };
    return t;
  }

  root.NN = { mulberry32: mulberry32, ACTIVATIONS: ACTIVATIONS, LOSSES: LOSSES, mlp: mlp, Network: Network,
              trainer: trainer, sigmoid: sigmoid };
})(typeof window !== "undefined" ? window : this);
