"""notifications' e-mail sender: shared/mail.py's loop over the `emails`
table, in every service process (a green thread, like the outbox relay)."""
from services.notifications import handlers
from services.notifications.repository import NotificationsUnitOfWork
from services.notifications.settings import NotificationSettings
from shared.mail import MailSender, SmtpTransport


def notifications_mail_sender(transport_factory=SmtpTransport) -> MailSender:
    return MailSender("notifications", NotificationsUnitOfWork, NotificationSettings, handlers.send_next_email,
                      transport_factory)
