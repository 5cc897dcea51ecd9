# One image for every service: `docker compose` picks the subcommand (fetcher, classifier, ...).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so editing the code does not reinstall numpy and friends.
COPY pyproject.toml README.md ./
RUN python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

COPY shared ./shared
COPY services ./services
COPY newswatch ./newswatch
RUN pip install --no-deps . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin newswatch \
    && mkdir -p /app/data \
    && chown newswatch /app/data

# A default config; compose mounts the repo's newswatch.yaml over it read-only.
COPY newswatch.yaml ./newswatch.yaml

USER newswatch
ENV NEWSWATCH_CONFIG=/app/newswatch.yaml \
    NEWSWATCH_DATA_DIR=/app/data

ENTRYPOINT ["newswatch"]
CMD ["run"]
