# Production image for the api, worker and cron services (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md requirements.lock ./
COPY hotline ./hotline
COPY sla ./sla
COPY classifier ./classifier
COPY routing ./routing
COPY integrations ./integrations
COPY textsearch ./textsearch
COPY vocabulary ./vocabulary
RUN pip install --no-cache-dir -c requirements.lock .
USER nobody
EXPOSE 8000
CMD ["hotline", "serve", "--host", "0.0.0.0"]
