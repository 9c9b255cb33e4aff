"""The pieces of `make chaos-private` that need no server: where the ledger
reads the stream, which ports it will never take, how a run's total adds up."""
from pathlib import Path

import pytest

from shared.settings import Settings
from tools.chaos.experiments import total
from tools.chaos.ledger import Audit
from tools.chaos.private import PrivatePostgres, data_team_uri


def test_the_stream_is_read_as_the_data_team_on_the_first_node():
    settings = Settings(amqp_uri="amqp://guest:guest@127.0.0.1:5691/%2F;amqp://guest:guest@127.0.0.1:5692/%2F",
                        data_team_amqp_user="data-team", data_team_amqp_password="p@ss/word")
    assert data_team_uri(settings) == "amqp://data-team:p%40ss%2Fword@127.0.0.1:5691/%2F"
    # Without the data team's password (a development machine), the admin's URI.
    assert data_team_uri(settings.model_copy(update={"data_team_amqp_password": ""})) == settings.amqp_uri


@pytest.mark.parametrize("port", [5432, 5672])
def test_the_machine_servers_ports_are_never_taken(port, tmp_path: Path):
    with pytest.raises(ValueError):
        PrivatePostgres(tmp_path, port=port)


def test_the_total_adds_each_effect_and_what_no_effect_explains():
    first, second = Audit("a", accepted=10), Audit("b", accepted=5, stuck=1)
    first.count("KPI", duplicated=3)
    second.count("e-mailed", lost=1)
    second.count("KPI", lost=2)
    summed = total([first, second])
    assert (summed.accepted, summed.lost, summed.duplicated, summed.stuck) == (15, 3, 3, 1)
    assert summed.effects == {"KPI": [2, 3], "e-mailed": [1, 0]}
    assert "KPI 2/3" in summed.line() and not summed.ok
