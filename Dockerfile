# One image for every service: `docker compose` picks the subcommand (fetcher, classifier, ...).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /app

# Dependencies: this layer is keyed on the lock file alone, so editing code, README or config
# reuses it (regenerate the lock with scripts/lock-requirements.sh). What never runs is then
# dropped: test suites, C sources and stubs. Only the modules the
# services import are precompiled (the rest of scipy & co. stays source), so a start or a
# healthcheck does not recompile them and the layer stays small.
COPY requirements.lock ./
RUN pip install --no-compile --no-deps -r requirements.lock \
    && pip check \
    && site="$(python -c 'import os, sklearn; print(os.path.dirname(os.path.dirname(sklearn.__file__)))')" \
    && find "$site" -depth -type d -name tests -exec rm -rf {} + \
    && find "$site" -type f \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pyi' -o -name '*.c' \
        -o -name '*.h' -o -name '*.cpp' \) -delete \
    && PYTHONDONTWRITEBYTECODE= python -c 'import numpy, scipy.sparse, sklearn.feature_extraction, \
        sklearn.feature_extraction.text, datasketch, Stemmer, selectolax.lexbor, h2, \
        feedparser, httpx, redis, rq, rq.worker, sqlalchemy, sqlalchemy.dialects.postgresql.psycopg, \
        sqlalchemy.dialects.sqlite, psycopg, alembic.command, pydantic, pydantic_settings, yaml, \
        click, pythonjsonlogger.json, defusedxml.ElementTree, zoneinfo, starlette, jinja2, \
        uvicorn, prometheus_client, multipart'

# The project itself (small; rebuilt when code changes).
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY newswatch ./newswatch
RUN pip install --no-deps . \
    && rm -rf build *.egg-info \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin newswatch \
    && mkdir -p /app/data \
    && chown newswatch /app/data

# A default config (the starter, console alerts only); compose mounts deploy/config over it.
COPY newswatch.yaml ./config/newswatch.yaml

USER newswatch
ENV NEWSWATCH_CONFIG=/app/config/newswatch.yaml \
    NEWSWATCH_DATA_DIR=/app/data

ENTRYPOINT ["newswatch"]
CMD ["run"]
