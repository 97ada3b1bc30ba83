# Image for docker-compose.yml: the web server, the Celery worker and beat share it.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY core ./core
COPY accounts ./accounts
COPY metrics ./metrics
COPY healthscores ./healthscores
COPY surveys ./surveys
COPY web ./web
RUN pip install --no-cache-dir .
COPY . .
RUN useradd --create-home northstar && chown -R northstar /app
USER northstar
EXPOSE 8000
