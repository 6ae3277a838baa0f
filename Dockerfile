# The playground on a slim Python 3.11 base, as a non-root user, serving on 0.0.0.0:8000.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PLAYGROUND_DATA_DIR=/data PLAYGROUND_HOST=0.0.0.0 PLAYGROUND_PORT=8000

RUN useradd --create-home --uid 1000 playground && mkdir /data && chown playground /data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY app ./app
COPY templates ./templates
COPY static ./static
COPY models ./models
# Editable, so that templates/, static/ and models/ are found beside app/.
RUN pip install -e .

USER playground
VOLUME ["/data"]
EXPOSE 8000
CMD ["playground", "serve", "--host", "0.0.0.0", "--port", "8000"]
