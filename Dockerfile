# One image for every livequiz Lambda function; the template sets each function's command,
# such as functions.answer.handler.handler. Build the Lambda image (the last stage, so the
# default target) and the local runtime's image:
#   docker build -t livequiz .
#   docker build --target dev -t livequiz-dev .
# The Python version must match requires-python and the mypy and ruff targets in pyproject.toml.

FROM public.ecr.aws/lambda/python:3.11 AS base
WORKDIR ${LAMBDA_TASK_ROOT}
# The requirements come before the code, so a code change reuses the installed packages' layer.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

# The local runtime (python -m livequiz.local) that docker-compose.yml runs: the same handlers
# behind a local WebSocket gateway, @connections API and RabbitMQ event-source mappings.
FROM base AS dev
COPY requirements-dev.txt ./
RUN pip install --no-cache-dir -r requirements-dev.txt
COPY livequiz/ ${LAMBDA_TASK_ROOT}/livequiz/
COPY functions/ ${LAMBDA_TASK_ROOT}/functions/
# The base image's entry point starts the Lambda runtime interface client, which is not
# wanted here. Inside a container the servers must listen beyond the loopback interface.
ENTRYPOINT []
CMD ["python", "-m", "livequiz.local", "--host", "0.0.0.0"]

FROM base AS lambda
COPY livequiz/ ${LAMBDA_TASK_ROOT}/livequiz/
COPY functions/ ${LAMBDA_TASK_ROOT}/functions/
# Lambda mounts the task root read-only, so bytecode compiled now saves compiling at each cold
# start.
RUN python -m compileall -q livequiz functions
CMD ["functions.auth.app.handler"]
