# finbot: the API (and, by default, the bot and scheduler) in one slim image.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY core core
COPY api api
COPY bot bot
COPY scheduler scheduler
COPY storage storage
COPY migrations migrations
COPY finbot finbot
RUN pip install --no-cache-dir --prefix=/install -c requirements.lock .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FINBOT_STORAGE_DIR=/data \
    MPLCONFIGDIR=/tmp/matplotlib
COPY --from=build /install /usr/local
# Receipts are read on the machine (SPEC 9): Tesseract and its English data.
RUN apt-get update && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 finbot && mkdir -p /data && chown finbot /data
USER finbot
WORKDIR /home/finbot
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz').status != 200)"
CMD ["finbot", "serve", "--host", "0.0.0.0", "--port", "8000"]
