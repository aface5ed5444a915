"""Netlify: config section, API client, provider base, one module per dynamic resource, the Site component."""
