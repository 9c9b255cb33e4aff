"""Every reason moderation can give a case is shown to advisors in French,
never as its code."""
from services.moderation import domain
from services.moderation.config import load_rules
from services.moderation.screening import UNFINISHED
from web.labels import REPORT_REASONS, report_reason


def test_every_reason_a_case_can_carry_has_a_french_label():
    codes = [*load_rules().decisions, domain.EDITED_AFTER_DECISION, UNFINISHED,
             *(f"report.{reason}" for reason in REPORT_REASONS)]
    unlabelled = [code for code in codes if report_reason(code) in (code, code.removeprefix("report."))]
    assert unlabelled == []
