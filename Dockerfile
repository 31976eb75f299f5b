# threadloom: serve LangGraph graphs over the LangGraph Platform API.
#   docker build -t threadloom .
#   docker run -p 2024:2024 -v threadloom-data:/data -v $PWD:/graphs threadloom --config /graphs/langgraph.json
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    THREADLOOM_HOST=0.0.0.0 \
    THREADLOOM_PORT=2024 \
    THREADLOOM_DB=/data/threadloom.sqlite \
    THREADLOOM_CONFIG=/app/examples/langgraph.json

WORKDIR /app
COPY setup.cfg pyproject.toml README.md ./
COPY protocol ./protocol
COPY actors ./actors
COPY server ./server
COPY examples ./examples
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /data threadloom \
    && mkdir -p /data && chown threadloom /data

USER threadloom
VOLUME ["/data"]
EXPOSE 2024
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"THREADLOOM_PORT\"]}/ok', timeout=2)"
ENTRYPOINT ["python", "-m", "threadloom.server"]
