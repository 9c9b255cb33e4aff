"""A service process connects as its own role; the bootstrap as POSTGRES_URL's user."""
from shared.settings import Settings


def test_a_service_connects_as_its_role_with_its_password_on_the_same_server():
    s = Settings(postgres_url="postgresql://postgres:admin@db.example:5433", db_password="p@ss:w")
    assert s.service_database_url("posts") == "postgresql+psycopg://platform_posts:p%40ss%3Aw@db.example:5433/platform_posts"
    assert "admin" not in s.service_database_url("posts")
    assert s.database_url("posts") == "postgresql+psycopg://postgres:admin@db.example:5433/platform_posts"


def test_without_a_password_the_role_logs_in_alone():
    s = Settings(postgres_url="postgresql://postgres@127.0.0.1:5432", db_name_prefix="t1_")
    assert s.service_database_url("identity") == "postgresql+psycopg://t1_identity@127.0.0.1:5432/t1_identity"
    assert s.database_role("identity") == "t1_identity"
