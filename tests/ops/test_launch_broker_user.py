"""`make up` runs every service and the gateway as its own broker user
(issue 12, item 8): supervisord starts each program through stack.launch
with its SERVICE_NAME, and the launcher hands it its own AMQP_URI
(stack/broker_users.py) and no management API address, whatever .env says."""
import configparser
import json
import os
import subprocess
import sys

import pytest

from shared.settings import REPO_ROOT
from stack.services import SERVICES

SHOW_ENV = "import json, os; print(json.dumps({k: os.environ.get(k) for k in ('AMQP_URI', 'RABBITMQ_MANAGEMENT_URL')}))"
ADMIN = "amqp://admin:admin-secret@broker.local:5672/platform"


def launched_env(service: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AMQP_", "RABBITMQ_"))}
    env.update(SERVICE_NAME=service, AMQP_URI=ADMIN, RABBITMQ_MANAGEMENT_URL="http://admin:admin-secret@broker.local",
               PLATFORM_ENV="development", DB_NAME_PREFIX="platform_", PYTHONPATH=str(REPO_ROOT), **extra)
    done = subprocess.run([sys.executable, "-m", "stack.launch", sys.executable, "-c", SHOW_ENV], env=env,
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


@pytest.mark.parametrize("service", [*SERVICES, "gateway"])
def test_a_platform_program_gets_its_own_broker_user(service):
    env = launched_env(service, AMQP_PASSWORDS=json.dumps({service: "s3cret"}))
    assert env == {"AMQP_URI": f"amqp://platform_{service}:s3cret@broker.local:5672/platform",
                   "RABBITMQ_MANAGEMENT_URL": None}


def test_in_development_without_passwords_the_bootstrap_and_the_launcher_agree_on_the_default():
    assert launched_env("posts")["AMQP_URI"] == "amqp://platform_posts:dev-platform_posts@broker.local:5672/platform"


def test_another_program_is_left_as_it_is():
    assert launched_env("web") == {"AMQP_URI": ADMIN, "RABBITMQ_MANAGEMENT_URL": "http://admin:admin-secret@broker.local"}


def test_every_service_program_of_make_up_names_its_service():
    config = configparser.RawConfigParser()
    config.read(REPO_ROOT / "infra/supervisor/supervisord.conf")
    for name in (*SERVICES, "gateway"):
        assert f'SERVICE_NAME="{name}"' in config.get(f"program:{name}", "environment"), name
