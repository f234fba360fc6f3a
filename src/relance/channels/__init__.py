"""Channels deliver composed messages: outbox (default), and later Mailjet, SMTP, letters."""
