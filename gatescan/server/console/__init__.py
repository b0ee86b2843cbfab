"""The venue manager's console at /console: accounts, roles, events, audit log (docs/console.md).

Server-rendered Jinja2 pages with one local CSS file; no CDN, no build step.
"""
