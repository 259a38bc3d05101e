"""The records service: the only writer of tenants' records."""
