# One image runs every module: `docker run IMAGE bot` (the default), `docker run IMAGE ingest`,
# `docker run IMAGE bot practice`, ... The embedding model ships inside the image (it is a Python
# package), so the container needs no network at run time. State lives in the /data volume.

FROM python:3.11.7-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /src
# torch first, from the CPU wheel index: the default wheel pulls several GB of CUDA libraries.
COPY constraints.txt ./
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY ingest ./ingest
RUN pip install -c constraints.txt .

FROM python:3.11.7-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DATA_DIR=/data \
    KNOWLEDGE_DIR=/app/knowledge \
    ANONYMIZED_TELEMETRY=False \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1
RUN useradd --create-home --uid 10001 bot \
    && mkdir -p /data \
    && chown 10001:10001 /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY knowledge ./knowledge
USER 10001
VOLUME ["/data"]
ENTRYPOINT ["python", "-m"]
CMD ["bot"]
