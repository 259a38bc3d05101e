"""Where tenants' records live: one database (SQLite) or schema (PostgreSQL) per tenant."""
