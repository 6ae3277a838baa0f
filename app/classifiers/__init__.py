"""A learner's own photo classifier: named classes, a few photos each, a transfer-learning job.

    tables.py    the tables: classifiers, their classes, their photos (224 × 224 crops)
    store.py     the rows both sides need: a training set, a finished training
    service.py   create, add/remove photos, submit training, put the trained model in place, delete
    views.py     a classifier as a plain dict (the JSON answer, the page's context)
    job.py       the "transfer" job kind (worker side): photos → embeddings → a trained head

The learning itself (frozen base → embeddings → a Dense softmax head) is app/ml/transfer.py;
the page and the JSON API are app/labs/classifiers.py.
"""
