# threadloom: serve LangGraph graphs over the LangGraph Platform API.
#   docker build -t threadloom .
#   docker run -p 2024:2024 -v threadloom-data:/data -v "$PWD:/graphs" threadloom --config /graphs/langgraph.json
# On PostgreSQL instead of the SQLite file in /data (DATABASE_URI, as the official image
# reads it, wins over THREADLOOM_DB; compose.yaml runs both):
#   docker run -p 2024:2024 -e DATABASE_URI=postgresql://user:password@host:5432/db threadloom
# `docker stop` waits 10 s: the server's own grace (THREADLOOM_SHUTDOWN_GRACE) is 8 s, so
# runs are handed back before the kill; with a longer grace give `docker run --stop-timeout`.
FROM python:3.11-slim

LABEL org.opencontainers.image.title="threadloom" \
      org.opencontainers.image.description="An open-source server for LangGraph graphs, wire-compatible with the LangGraph Platform API" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="0.1.0"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    THREADLOOM_HOST=0.0.0.0 \
    THREADLOOM_PORT=2024 \
    THREADLOOM_DB=/data/threadloom.sqlite \
    THREADLOOM_CONFIG=/app/examples/langgraph.json \
    THREADLOOM_SHUTDOWN_GRACE=8 \
    THREADLOOM_READY_FILE=/tmp/threadloom.url

# tini: an init that reaps the children graphs spawn and passes signals on
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data threadloom \
    && mkdir -p /data && chown threadloom /data

WORKDIR /app
# The dependencies first, in a layer of their own, at the versions constraints.txt pins:
# a change to the code rebuilds only the layers below.
COPY setup.cfg constraints.txt ./
RUN python -c "import configparser; c = configparser.ConfigParser(); c.read('setup.cfg'); print(c['options']['install_requires'])" > requirements.txt \
    && pip install -r requirements.txt -c constraints.txt
COPY pyproject.toml README.md ./
COPY protocol ./protocol
COPY actors ./actors
COPY server ./server
COPY examples ./examples
RUN pip install --no-deps .

USER threadloom
VOLUME ["/data"]
EXPOSE 2024
# follows the port actually served (the server writes its URL to THREADLOOM_READY_FILE)
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(open(os.environ['THREADLOOM_READY_FILE']).read().strip() + '/ok', timeout=2)"]
ENTRYPOINT ["tini", "--", "threadloom"]
