"""Datasets, preprocessing, the model registry and Keras network builders."""
