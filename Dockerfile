# The cableroute command line in a small image; compose.yaml runs it as the router and post services.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY router ./router
COPY topology ./topology
COPY replay ./replay
RUN pip install . && useradd --create-home cableroute && mkdir /data && chown cableroute /data

USER cableroute
VOLUME ["/data"]
CMD ["cableroute", "--help"]
