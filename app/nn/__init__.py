"""The teaching math, pure Python/numpy: no web, no TensorFlow.

activations  φ(z) next to φ′(z), by name (ReLU, sigmoid, tanh, Gaussian, linear)
neuron       h = φ(Σ wᵢxᵢ + b), every intermediate number kept for the page
losses       the gradient-descent losses next to their derivatives
descent      w ← w − η·L′(w), a run of N steps and what happened (converged, diverged …)
softmax      scores → probabilities with a temperature, cross-entropy against a one-hot target
mlp          a small MLP with SGD + L2 (or Adam) and the mulberry32 PRNG: the twin of static/js/nn.js
gan          a GAN in the plane: D's step, G's non-saturating step through D: the twin of static/js/gan.js
fit          one hidden layer fitting a curve, each neuron's piece vⱼ·φ(wⱼx + bⱼ)
plane        the playground's 2-D data sets and features: the twin of static/js/playground_data.js
"""
