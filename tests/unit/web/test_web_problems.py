"""From the gateway's problem documents to what a form shows."""
from web.problems import form_errors


def test_validation_errors_go_to_their_field_with_a_summary():
    problem = {"status": 422, "title": "Données invalides", "detail": "La requête est invalide.",
               "errors": [{"loc": ["body", "title"], "msg": "Trop court."},
                          {"loc": ["body", "details", "rome_code"], "msg": "Code ROME invalide."}]}
    errors = form_errors(422, problem, {"title", "rome_code"})
    assert errors.fields == {"title": "Trop court.", "rome_code": "Code ROME invalide."}
    assert errors.summary == "Certains champs sont à corriger."


def test_an_error_on_no_known_field_is_shown_in_the_summary():
    problem = {"status": 422, "errors": [{"loc": ["body", "channels", "reaction", "email"], "msg": "Jamais par e-mail."}]}
    errors = form_errors(422, problem, {"digest"})
    assert errors.fields == {} and errors.summary == "Jamais par e-mail."


def test_the_gateway_french_detail_is_shown_else_a_plain_message_per_status():
    assert form_errors(403, {"detail": "Vous êtes en sourdine jusqu'à demain."}).summary == "Vous êtes en sourdine jusqu'à demain."
    assert form_errors(429, {}).summary.startswith("Vous allez un peu vite")
    assert form_errors(418, {}).summary == "Cette action n'a pas abouti. Réessayez dans un instant."
