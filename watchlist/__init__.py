"""The key-enterprise watchlist (重点关注企业清单): automatic entries from the day's tiers with
hysteresis, manual entries by officers, and the list as officers read and export it.

Modules: ``automatic`` (entry and exit by tier), ``manual`` (add, remove, expiry), ``daily`` (the
one call of the daily run), ``listing`` (the list joined with the register, scores and alerts),
``export`` (CSV/XLSX/JSON in the officers' form), ``industries`` (GB/T 4754 sections).
"""
