"""Lab: recurrent networks, the network that remembers (slides 210–232).

Two pages: /rnn steps through a recurrent layer (step.py); /rnn/memory shows why a vanilla RNN
forgets — the vanishing gradient and a memory task trained as worker jobs (memory.py).
"""

from fastapi import APIRouter

from app.labs import Lab
from app.labs.rnn import memory, step

router = APIRouter()
router.include_router(step.router)
router.include_router(memory.router)
LAB = Lab(slug="rnn", path="/rnn", title_key="rnn.title", summary_key="rnn.summary", steps=(4,), icon="↻")
