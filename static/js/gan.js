// A GAN in the plane, in the browser: the twin of app/nn/gan.py, on nn.js. Same random numbers
// (mulberry32), same draws in the same order, same networks and updates, so one seed gives the
// same losses and weights here and in Python (tests/browser/test_gan_parity.py compares them).
//
//   G: noise z ∈ [−1, 1]² → MLP → a fake point x;   D: a point → MLP → logit y, D(x) = σ(y)
//   D's step: L_D = −½[mean log D(x_real) + mean log(1 − D(G(z)))]   (fakes labelled 0)
//   G's step: L_G = −mean log D(G(z)), the gradient reaching G through D (D's weights stay put)
//
// No page code here: static/js/gan_view.js draws the lab. Exposed as window.GAN.
(function (root) {
  "use strict";
  var NN = root.NN;
  var C = {
    NOISE_DIM: 2, HIDDEN: [16, 16], G_ACTIVATION: "tanh", D_ACTIVATION: "relu", BATCH: 64, ADAM_BETA1: 0.5,
    RING_MODES: 8, RING_RADIUS: 0.6, RING_SIGMA: 0.04, LINE_SIGMA: 0.02,
    CLUSTERS: [[-0.45, 0.35], [0.45, -0.35]], CLUSTER_SIGMA: 0.12, DRAWN_SIGMA: 0.02
  };

  // one standard normal number (Box–Muller, from two uniform draws)
  function gaussian(rng) {
    var u1 = 1 - rng(), u2 = rng();  // u1 ∈ (0, 1]: log(u1) is finite
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  // n points of the real distribution: ring (8 Gaussians on a circle), line (y = x/2, |x| ≤ 0.7),
  // clusters (two round clouds), drawn (the learner's points, each blurred a little)
  function sampleReal(dist, n, rng, drawn) {
    var out = [];
    for (var i = 0; i < n; i++) {
      var cx, cy, s;
      if (dist === "ring") {
        var k = Math.floor(rng() * C.RING_MODES), angle = 2 * Math.PI * k / C.RING_MODES;
        cx = C.RING_RADIUS * Math.cos(angle); cy = C.RING_RADIUS * Math.sin(angle); s = C.RING_SIGMA;
      } else if (dist === "line") {
        var t = 0.7 * (2 * rng() - 1);
        cx = t; cy = 0.5 * t; s = C.LINE_SIGMA;
      } else if (dist === "clusters") {
        var c = C.CLUSTERS[Math.floor(rng() * C.CLUSTERS.length)];
        cx = c[0]; cy = c[1]; s = C.CLUSTER_SIGMA;
      } else if (dist === "drawn") {
        if (!drawn || !drawn.length) throw new Error("a drawn distribution needs points");
        var p = drawn[Math.floor(rng() * drawn.length)];
        cx = p[0]; cy = p[1]; s = C.DRAWN_SIGMA;
      } else {
        throw new Error("unknown distribution " + dist);
      }
      var x = cx + s * gaussian(rng), y = cy + s * gaussian(rng);
      out.push(Float64Array.of(x, y));
    }
    return out;
  }

  // G's input: n points uniform in [−1, 1]²
  function sampleNoise(n, rng) {
    var out = [];
    for (var i = 0; i < n; i++) {
      var z = new Float64Array(C.NOISE_DIM);
      for (var j = 0; j < C.NOISE_DIM; j++) z[j] = 2 * rng() - 1;
      out.push(z);
    }
    return out;
  }

  function sigmoidMean(Y, from, to) {
    var s = 0;
    for (var i = from; i < to; i++) s += NN.sigmoid(Y[i][0]);
    return s / (to - from);
  }
  function column(n, v) { var T = []; for (var i = 0; i < n; i++) T.push([v]); return T; }

  // G and D with their own seeds, and one PRNG for the batches (real points, then noise)
  function Gan(options) {
    options = options || {};
    this.dist = options.dist || "ring";
    this.seed = options.seed === undefined ? 1 : options.seed;
    this.optimizer = options.optimizer || "adam";
    this.drawn = options.drawn || null;
    this.batch = options.batch || C.BATCH;
    function acts(phi) { return C.HIDDEN.map(function () { return phi; }).concat(["linear"]); }
    this.G = NN.mlp([C.NOISE_DIM].concat(C.HIDDEN, [2]), acts(C.G_ACTIVATION), { seed: this.seed });
    this.D = NN.mlp([2].concat(C.HIDDEN, [1]), acts(C.D_ACTIVATION), { seed: this.seed + 1 });
    this.rng = NN.mulberry32(this.seed + 2);
    this.dSteps = 0; this.gSteps = 0;
  }

  Gan.prototype.apply = function (net, eta) {
    if (this.optimizer === "adam") net.applyAdam(eta, C.ADAM_BETA1); else net.applyGradients(eta);
  };

  // One step of D on n real and n fresh fake points; the numbers are from before the step.
  Gan.prototype.dStep = function (eta) {
    var n = this.batch, real = sampleReal(this.dist, n, this.rng, this.drawn);
    var fake = this.G.forward(sampleNoise(n, this.rng));
    var T = column(n, 1).concat(column(n, 0)), Y = this.D.forward(real.concat(fake));
    var loss = NN.LOSSES.logistic.value(Y, T);  // = L_D: as many real points as fakes
    this.D.backward(NN.LOSSES.logistic.grad(Y, T));
    this.apply(this.D, eta);
    this.dSteps++;
    return { loss: loss, real: sigmoidMean(Y, 0, n), fake: sigmoidMean(Y, n, 2 * n) };
  };

  // One step of G: fresh noise → fakes → D; ∂L_G/∂x back through D into G.
  Gan.prototype.gStep = function (eta) {
    var n = this.batch, fake = this.G.forward(sampleNoise(n, this.rng));
    var Y = this.D.forward(fake), ones = column(n, 1);
    var loss = NN.LOSSES.logistic.value(Y, ones);  // = L_G = mean softplus(−y) = −mean log D(G(z))
    var dX = this.D.backward(NN.LOSSES.logistic.grad(Y, ones));
    this.D.zeroGradients();  // D only passes the gradient on
    this.G.backward(dX);
    this.apply(this.G, eta);
    this.gSteps++;
    return { loss: loss, fake: sigmoidMean(Y, 0, n) };
  };

  // The same arithmetic as net.forward(X), in the same order (so the same bits), without keeping
  // what backward() needs and without a new array per neuron: for the pictures, drawn every frame.
  function predict(net, X) {
    var layers = net.layers, widest = Math.max.apply(null, net.sizes), out = [];
    var phis = layers.map(function (L) { return NN.ACTIVATIONS[L.activation].output; });
    var a = new Float64Array(widest), h = new Float64Array(widest);
    for (var r = 0; r < X.length; r++) {
      var x = X[r], n = x.length;
      for (var i = 0; i < n; i++) a[i] = x[i];
      for (var l = 0; l < layers.length; l++) {
        var W = layers[l].W, b = layers[l].b, phi = phis[l];
        for (var j = 0; j < W.length; j++) {
          var w = W[j], s = 0;
          for (i = 0; i < n; i++) s += w[i] * a[i];
          h[j] = phi(s + b[j]);
        }
        var tmp = a; a = h; h = tmp; n = W.length;
      }
      out.push(a.slice(0, n));
    }
    return out;
  }

  Gan.prototype.generate = function (Z) { return predict(this.G, Z); };

  // D(x) = σ(y) for each point: the probability D gives to "real"
  Gan.prototype.belief = function (X) {
    return predict(this.D, X).map(function (y) { return NN.sigmoid(y[0]); });
  };

  // For each fake point x, −∂L_G/∂x for that point alone = σ(−y)·∇ₓy: where G's step pushes it.
  // The arithmetic of D.forward then D.backward, point by point in reused buffers (it runs every frame).
  Gan.prototype.push = function (X) {
    var layers = this.D.layers, nL = layers.length, out = [];
    var acts = layers.map(function (L) { return NN.ACTIVATIONS[L.activation]; });
    var Z = layers.map(function (L) { return new Float64Array(L.W.length); });
    var A = layers.map(function (L) { return new Float64Array(L.W.length); });
    var widest = Math.max.apply(null, this.D.sizes), dA = new Float64Array(widest), dP = new Float64Array(widest);
    for (var r = 0; r < X.length; r++) {
      var a = X[r], l, j, i;
      for (l = 0; l < nL; l++) {  // forward: z = W·a + b, a = φ(z)
        var W = layers[l].W, b = layers[l].b, phi = acts[l].output;
        for (j = 0; j < W.length; j++) {
          var w = W[j], s = 0;
          for (i = 0; i < w.length; i++) s += w[i] * a[i];
          Z[l][j] = s + b[j];
          A[l][j] = phi(Z[l][j]);
        }
        a = A[l];
      }
      dA[0] = -NN.sigmoid(-A[nL - 1][0]);  // d softplus(−y)/dy
      for (l = nL - 1; l >= 0; l--) {  // backward: dz = da ⊙ φ′(z), da_prev = dz·W
        var Wl = layers[l].W, der = acts[l].der, nIn = Wl[0].length;
        for (i = 0; i < nIn; i++) dP[i] = 0;
        for (j = 0; j < Wl.length; j++) {
          var dz = dA[j] * der(Z[l][j]), wj = Wl[j];
          for (i = 0; i < nIn; i++) dP[i] += dz * wj[i];
        }
        var tmp = dA; dA = dP; dP = tmp;
      }
      out.push([-dA[0], -dA[1]]);
    }
    return out;
  };

  // What the page shows for fixed real points and fixed noise Z: the fakes G(Z), D's mean beliefs,
  // both losses on these points (L_D, L_G as in the steps) and the push arrows.
  Gan.prototype.score = function (real, Z) {
    var fake = this.generate(Z), yReal = predict(this.D, real).map(function (y) { return y[0]; });
    var yFake = predict(this.D, fake).map(function (y) { return y[0]; });
    function softplus(y) { return Math.max(y, 0) + Math.log1p(Math.exp(-Math.abs(y))); }
    var pReal = mean(yReal.map(NN.sigmoid)), pFake = mean(yFake.map(NN.sigmoid));
    var dLoss = 0.5 * (mean(yReal.map(function (y) { return softplus(-y); })) + mean(yFake.map(softplus)));
    var gLoss = mean(yFake.map(function (y) { return softplus(-y); }));
    return { fake: fake, push: this.push(fake), pReal: pReal, pFake: pFake, dLoss: dLoss, gLoss: gLoss };
  };

  // For each point of A, the distance to the nearest point of B
  function nearestDistances(A, B) {
    return A.map(function (a) {
      var best = Infinity;
      for (var i = 0; i < B.length; i++) {
        var dx = a[0] - B[i][0], dy = a[1] - B[i][1], d = dx * dx + dy * dy;
        if (d < best) best = d;
      }
      return Math.sqrt(best);
    });
  }
  function mean(xs) { var s = 0; for (var i = 0; i < xs.length; i++) s += xs[i]; return s / xs.length; }

  // fake→real: mean distance of a fake to the nearest real point (are the fakes where real points
  // are?); real→fake: of a real point to the nearest fake (is all of the real distribution covered?)
  function quality(fake, real) {
    return { fakeToReal: mean(nearestDistances(fake, real)), realToFake: mean(nearestDistances(real, fake)) };
  }

  // Who is winning, from D's mean beliefs on real and fake points: "none" before any step, "d" when
  // D tells them apart easily, "g" when D believes the fakes more than the real points, "even" when
  // D can no longer tell (both near ½: the GAN's equilibrium), "close" in between.
  function verdict(pReal, pFake, steps) {
    if (!steps) return "none";
    var gap = pReal - pFake;
    if (gap > 0.3) return "d";
    if (gap < -0.1) return "g";
    if (Math.abs(gap) < 0.1 && Math.abs(pReal - 0.5) < 0.15 && Math.abs(pFake - 0.5) < 0.15) return "even";
    return "close";
  }

  root.GAN = { CONSTANTS: C, predict: predict, gaussian: gaussian, sampleReal: sampleReal, sampleNoise: sampleNoise, Gan: Gan,
               nearestDistances: nearestDistances, quality: quality, verdict: verdict,
               DISTRIBUTIONS: ["ring", "line", "clusters", "drawn"], OPTIMIZERS: ["adam", "sgd"] };
})(typeof window !== "undefined" ? window : this);
