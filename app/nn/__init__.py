"""The teaching math, pure Python/numpy: no web, no TensorFlow.

activations  φ(z) next to φ′(z), by name (ReLU, sigmoid, tanh, Gaussian, linear)
neuron       h = φ(Σ wᵢxᵢ + b), every intermediate number kept for the page
losses       the gradient-descent losses next to their derivatives
descent      w ← w − η·L′(w), a run of N steps and what happened (converged, diverged …)
"""
