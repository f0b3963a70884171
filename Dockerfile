# casebank under gunicorn. Build: docker compose build; the image holds no secrets.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    CASEBANK_ENV=production CASEBANK_DATA_DIR=/data \
    PROMETHEUS_MULTIPROC_DIR=/tmp/casebank-metrics GUNICORN_WORKERS=3
WORKDIR /app
COPY pyproject.toml requirements.lock README.md ./
COPY casebank ./casebank
COPY config ./config
COPY migrations ./migrations
COPY app.py ./
# The catalogues are compiled before the package is installed, so the .mo files go with it.
RUN pip install -c requirements.lock babel && pybabel -q compile -d casebank/translations \
    && pip install -c requirements.lock . \
    && useradd --system --home /app casebank && mkdir -p /data /var/lib/casebank-index \
    && chown casebank /data /var/lib/casebank-index
USER casebank
EXPOSE 8000
# Migrations run before the server starts, never create_all.
CMD ["sh", "-c", "flask --app app db upgrade && flask --app app casebank load-reference && flask --app app casebank extract-text && flask --app app casebank reindex --if-missing && exec gunicorn -c config/gunicorn.conf.py app:app"]
