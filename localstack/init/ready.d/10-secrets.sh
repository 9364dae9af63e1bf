#!/bin/bash
# Create the three secrets that the compose runtime reads when it starts, as the functions do
# at cold start on AWS. LocalStack runs this once it is ready, on every start of its container.
# Without persistence its state starts empty, so create-secret never finds an existing secret.
# The values must match docker-compose.yml: the MySQL user, and RabbitMQ's default user.
set -euo pipefail

awslocal secretsmanager create-secret --name livequiz/mysql \
  --description "MySQL username and password, like the secret RDS manages" \
  --secret-string '{"username": "livequiz", "password": "livequiz-local"}' >/dev/null
echo "livequiz: created the secret livequiz/mysql"

awslocal secretsmanager create-secret --name livequiz/rabbitmq \
  --description "RabbitMQ username and password" \
  --secret-string '{"username": "guest", "password": "guest"}' >/dev/null
echo "livequiz: created the secret livequiz/rabbitmq"

# A new random signing key on each start, so tokens from an earlier run are rejected.
token_secret="$(head -c 48 /dev/urandom | base64 | tr -d '\n')"
awslocal secretsmanager create-secret --name livequiz/token \
  --description "HS256 signing key of every livequiz token" \
  --secret-string "$token_secret" >/dev/null
echo "livequiz: created the secret livequiz/token"
