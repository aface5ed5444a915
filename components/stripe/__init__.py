"""Stripe: the webhook endpoint that delivers payment events to the site."""
