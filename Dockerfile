# One image for every service of docker-compose.yml: the Dagster webserver, daemon and user-code
# gRPC server, and the teacher (llama.cpp's OpenAI-compatible server with the embedded model).
FROM python:3.11-slim-bookworm

# llama-cpp-python has no wheel for Linux and compiles llama.cpp (several minutes, once).
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/synth-assets
COPY . .
# Editable: the SQL files and the shipped spec are read from this source tree.
RUN pip install --no-cache-dir -e ".[deploy]"

ENV DAGSTER_HOME=/opt/dagster/home \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    PYTHONUNBUFFERED=1
RUN mkdir -p "$DAGSTER_HOME" /data/exports
