# The app as it runs on Cloud Run: gunicorn in production mode, listening on $PORT (Cloud Run
# sets it; 8080 otherwise). Workers, threads and timeouts: gunicorn.conf.py and README.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GUNICORN_HOST=0.0.0.0 GCS_EMULATOR_DATA_DIR=/tmp/gcs-data
WORKDIR /srv
COPY requirements.txt pyproject.toml README.md gunicorn.conf.py ./
COPY app ./app
COPY bench/results ./bench/results
RUN pip install -r requirements.txt -e . && useradd --system --no-create-home gallery
USER gallery
CMD ["gunicorn", "app.main:app"]
