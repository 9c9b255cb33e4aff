"""What `make up` prints before it starts: where everything is, from the
settings (so the addresses shown are the ones the processes use)."""
import os
import re

from gateway.settings import GatewaySettings
from stack.services import METRICS_PORTS
from web.settings import WebSettings


def lines(settings: GatewaySettings) -> list[str]:
    api = f"http://{settings.gateway_host}:{settings.gateway_port}"
    management = re.sub(r"//[^@/]*@", "//", settings.rabbitmq_management_url)  # no credentials on screen
    ports = sorted(METRICS_PORTS.values())
    web = WebSettings()
    return [
        f"  web app         http://{web.web_host}:{web.web_port}",
        f"  API             {api}",
        f"  API docs        {api}/docs",
        f"  gateway metrics {api}/metrics",
        f"  service metrics http://127.0.0.1:{ports[0]}..{ports[-1]}/metrics ({', '.join(METRICS_PORTS)})",
        f"  e-mails         var/mail/*.eml (local SMTP sink on port {os.environ.get('SMTP_SINK_PORT', '1025')})",
        "  data stream     python -m tools.datastream tail (RabbitMQ stream analytics.stream.v2)",
        f"  RabbitMQ        {management} (guest/guest by default)",
        f"  admin           {settings.platform_admin_email} (password: PLATFORM_ADMIN_PASSWORD, see .env.example)",
        "  logs            make logs (var/log/*.log); state: make status; Ctrl-C stops it all",
    ]


if __name__ == "__main__":
    print("\n" + "\n".join(lines(GatewaySettings())) + "\n")
