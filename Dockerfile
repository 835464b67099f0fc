# The app as it runs on Cloud Run: gunicorn in production mode, listening on $PORT.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GCS_EMULATOR_DATA_DIR=/tmp/gcs-data
WORKDIR /srv
COPY requirements.txt pyproject.toml README.md gunicorn.conf.py ./
COPY app ./app
COPY bench/results ./bench/results
RUN pip install -r requirements.txt -e . && useradd --system --no-create-home gallery
USER gallery
CMD exec gunicorn --bind ":${PORT:-8080}" --workers 1 --threads 8 --timeout 0 app.main:app
