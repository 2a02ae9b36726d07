# One image for every service of docker-compose.yml: the Dagster webserver, daemon and user-code
# gRPC server, and the teacher (llama.cpp's OpenAI-compatible server with the embedded model).
FROM python:3.11-slim-bookworm

# llama-cpp-python has no wheel for Linux and compiles llama.cpp (several minutes, once).
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*

# A normal install, as a user's: the SQL, the shipped specs and the instance settings are read
# from the installed package, and the sources it was built from are not kept.
COPY pyproject.toml /tmp/synth-assets/
COPY synth_assets /tmp/synth-assets/synth_assets
RUN pip install --no-cache-dir "/tmp/synth-assets[deploy]" && rm -rf /tmp/synth-assets

# The installed package's specs at a fixed path, for SYNTH_SPEC (docker-compose.yml names one).
WORKDIR /opt/synth-assets
RUN ln -s "$(python -c 'import pathlib, synth_assets; print(pathlib.Path(synth_assets.__file__).parent)')/default_spec" default_spec

ENV DAGSTER_HOME=/opt/dagster/home \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    PYTHONUNBUFFERED=1
RUN mkdir -p "$DAGSTER_HOME" /data/exports
