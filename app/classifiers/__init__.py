"""A learner's own photo classifier: named classes, a few photos each, a transfer-learning job.

    models.py    the tables: classifiers, their classes, their photos (224 × 224 crops)
    service.py   create, add/remove photos, submit training, put the trained model in place, delete

The learning itself (frozen base → embeddings → a Dense softmax head) is app/ml/transfer.py;
the page and the JSON API are app/labs/classifiers.py.
"""
