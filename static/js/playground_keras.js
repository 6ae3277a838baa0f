// The playground's export: the trained network as runnable Keras 3 code (a keras-io style script
// with the weights learned in the browser and the data), so the learner can run it or train on.
(function (root) {
  "use strict";
  function arr(a) { return JSON.stringify(a, function (k, v) { return typeof v === "number" ? +v.toPrecision(10) : v; }); }
  function code(lab, FEATURES) {
    var cfg = lab.cfg, w = lab.net.weights(), lines = [];
    var f = cfg.features.map(function (n) { return FEATURES[n].code; });
    lines.push('"""A network trained in the AI Playground (' + location.pathname + location.search + ').',
      "", "Inputs: the features " + cfg.features.join(", ") + " of a point (x1, x2); output: the probability of class 1.",
      'Run it with Keras 3 on any backend: python playground_model.py"""', "",
      "import numpy as np", "import keras", "from keras import layers, regularizers", "",
      "LEARNING_RATE = " + cfg.lr, "L2 = " + cfg.l2 + "  # the playground's λ: its update adds λ·w, Keras's L2(λ/2) penalty gives the same",
      "BATCH_SIZE = " + cfg.batch, "", "",
      "def features(points):", "    x1, x2 = points[:, 0], points[:, 1]",
      "    return np.stack([" + f.join(", ") + "], axis=1)", "", "",
      "def build_model():", "    return keras.Sequential([", "        keras.Input(shape=(" + f.length + ",)),");
    cfg.layers.forEach(function (n, l) {
      lines.push('        layers.Dense(' + n + ', activation="' + cfg.acts[l] + '", kernel_regularizer=regularizers.L2(L2 / 2)),');
    });
    lines.push('        layers.Dense(1, activation="sigmoid", kernel_regularizer=regularizers.L2(L2 / 2)),', "    ])", "", "",
      "# The weights learned in the browser after " + lab.trainer.steps + " steps. A Dense kernel is (inputs, units):",
      "# the playground's W (one row per neuron) transposed.", "WEIGHTS = [");
    w.forEach(function (layer) {
      var kernel = layer.W[0].map(function (_, i) { return layer.W.map(function (row) { return row[i]; }); });
      lines.push("    " + arr(kernel) + ",", "    " + arr(layer.b) + ",");
    });
    lines.push("]", "# The points (x1, x2, label) the playground trained and tested on",
      "TRAIN = np.array(" + arr(lab.train.length ? lab.train : [[0, 0, 0]]) + ", dtype=float).reshape(-1, 3)",
      "TEST = np.array(" + arr(lab.test.length ? lab.test : [[0, 0, 0]]) + ", dtype=float).reshape(-1, 3)", "", "",
      "model = build_model()",
      'model.compile(optimizer=keras.optimizers.SGD(learning_rate=LEARNING_RATE), loss="binary_crossentropy", metrics=["accuracy"])',
      "model.set_weights([np.array(w, dtype=\"float32\") for w in WEIGHTS])",
      'if __name__ == "__main__":',
      "    loss, accuracy = model.evaluate(features(TEST), TEST[:, 2], verbose=0)",
      '    print(f"test loss {loss:.4f}, accuracy {accuracy:.3f}")',
      "    # Train on with Keras: model.fit(features(TRAIN), TRAIN[:, 2], batch_size=BATCH_SIZE, epochs=10)");
    return lines.join("\n") + "\n";
  }

  root.PlaygroundKeras = { code: code };
})(window);
