# higgsctl: the Telegram bot (default command), the CLI and the admin TUI in one image.
#   docker build -t higgsctl .
#   docker run --env-file deploy/higgsctl.env -v higgsctl-data:/data higgsctl
# compose.yaml runs it next to PostgreSQL. Data (SQLite by default, the file store, logs)
# lives in the /data volume; the process runs as an unprivileged user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HIGGSCTL_HOME=/data

RUN groupadd --system --gid 10001 higgsctl \
    && useradd --system --uid 10001 --gid higgsctl --home-dir /data --shell /usr/sbin/nologin higgsctl \
    && mkdir -p /data && chown higgsctl:higgsctl /data

WORKDIR /opt/higgsctl
COPY pyproject.toml README.md ./
COPY higgsctl ./higgsctl
RUN pip install ".[postgres,sentry]" && python -m compileall -q higgsctl

USER higgsctl
VOLUME ["/data"]

# Healthy while the bot's heartbeat row (written every 30 s) is fresh.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["higgsctl", "bot", "status"]

ENTRYPOINT ["higgsctl"]
CMD ["bot", "run"]
