"""The key-enterprise watchlist (重点关注企业清单) (the alerting issue builds this package)."""
