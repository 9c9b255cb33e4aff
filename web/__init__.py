"""The web app: server-rendered pages for job seekers, advisors, companies
and the national team. A client of the gateway like any other: it calls
`/v1` over HTTP and nothing else."""
