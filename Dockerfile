# The Leergemeenschap API: migrates its database, then serves with uvicorn workers.
#   docker build -t leergemeenschap .
#   docker run -p 8000:8000 -e DATABASE_URL=postgresql+asyncpg://user:pass@db/leergemeenschap leergemeenschap
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PORT=8000 \
    WORKERS=2 \
    FORWARDED_ALLOW_IPS=127.0.0.1

WORKDIR /app

# A fixed, unprivileged account; it owns only the data directory (the SQLite default).
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home app \
    && mkdir /app/data \
    && chown app:app /app/data

# Only what the package needs; the dependency wheels come from PyPI, at the versions and hashes
# uv.lock names (uv only exports them, and is removed again). The sources are removed after
# installing, so the installed package is the only copy on the path.
COPY pyproject.toml uv.lock README.md ./
COPY app ./app
COPY migrations ./migrations
RUN pip install --no-cache-dir pip==26.3 uv==0.13.9 \
    && uv export --quiet --frozen --no-dev --no-emit-project --no-header --output-file /tmp/requirements.txt \
    && pip install --no-cache-dir --require-hashes -r /tmp/requirements.txt \
    && pip install --no-cache-dir --no-deps . \
    && pip uninstall --yes uv \
    && rm -rf /tmp/requirements.txt /app/app /app/migrations /app/build /app/*.egg-info

USER 10001:10001
EXPOSE 8000
VOLUME ["/app/data"]

# Liveness only (no database round trip); slim images carry no curl, so Python asks.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/v1/health' % os.environ.get('PORT', '8000'), timeout=4)"]

# Migrations first (idempotent, safe on every start), then uvicorn replaces the shell as PID 1
# so `docker stop` reaches it and in-flight requests finish (graceful timeout 20 s).
ENTRYPOINT ["/bin/sh", "-c", "leergemeenschap migrate && exec leergemeenschap serve --host 0.0.0.0 --port \"${PORT:-8000}\" --workers \"${WORKERS:-2}\" --forwarded-allow-ips \"${FORWARDED_ALLOW_IPS:-127.0.0.1}\""]
