"""The engine's own tables in every tenant's database: numbers, audit, users, tokens, columns."""

from __future__ import annotations

from dataclasses import dataclass

import peewee


@dataclass(frozen=True)
class SystemTables:
    """The models of a tenant's system tables: numbering, audit, users and the rest."""

    sequence: type[peewee.Model]
    audit: type[peewee.Model]
    audit_layout: type[peewee.Model]
    user: type[peewee.Model]
    token: type[peewee.Model]
    column: type[peewee.Model]
    login: type[peewee.Model]
    login_failure: type[peewee.Model]

    def all(self) -> tuple[type[peewee.Model], ...]:
        """Every engine table, in the order they are made."""
        return (
            self.sequence,
            self.audit,
            self.audit_layout,
            self.user,
            self.token,
            self.column,
            self.login,
            self.login_failure,
        )


def build_system_tables(database: peewee.DatabaseProxy) -> SystemTables:
    """Model classes of the engine's tables, bound to one tenant's database."""

    class Base(peewee.Model):
        class Meta:
            pass

    Base._meta.database = database

    class Sequence(Base):
        """The last number handed out per entity; its row lock serialises numbering."""

        entity = peewee.CharField(max_length=63, primary_key=True)
        value = peewee.BigIntegerField(default=0)

        class Meta:
            table_name = "formwork_sequence"

    class Audit(Base):
        """One row per write: who, when, what, and per field the old and new values."""

        id = peewee.BigAutoField()
        entity = peewee.CharField(max_length=63)
        record_id = peewee.BigIntegerField()
        action = peewee.CharField(max_length=63)
        username = peewee.CharField(max_length=150)
        at = peewee.DateTimeField()
        changes = peewee.TextField()  # JSON: {field: [old, new]}

        class Meta:
            table_name = "formwork_audit"
            indexes = ((("entity", "record_id"), False),)

    class AuditLayout(Base):
        """The field names that compact 'create' entries give their values for, in order:
        an import's entries then carry values only, not the names again each."""

        id = peewee.BigAutoField()
        entity = peewee.CharField(max_length=63)
        names = peewee.TextField()  # JSON: [field, ...]

        class Meta:
            table_name = "formwork_audit_layout"

    class User(Base):
        id = peewee.BigAutoField()
        username = peewee.CharField(max_length=150, unique=True)
        password_hash = peewee.CharField(max_length=255)
        role = peewee.CharField(max_length=16)
        active = peewee.BooleanField(default=True)
        created = peewee.DateTimeField()
        # carried by each session cookie; a new one ends every session of the user. Null
        # for users stored before it existed, who get one at their next login.
        session_stamp = peewee.CharField(max_length=32, null=True)
        # the language the user reads pages in, one of the tenant's; null: the browser's
        language = peewee.CharField(max_length=35, null=True)

        class Meta:
            table_name = "formwork_user"

    class Token(Base):
        id = peewee.BigAutoField()
        user = peewee.ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
        token_hash = peewee.CharField(max_length=64, unique=True)  # sha256 hex of the token
        created = peewee.DateTimeField()

        class Meta:
            table_name = "formwork_token"

    class Column(Base):
        """The input type each entity column was last synced with, to judge type changes."""

        entity = peewee.CharField(max_length=63)
        name = peewee.CharField(max_length=63)
        input_type = peewee.CharField(max_length=32)
        size = peewee.IntegerField(null=True)  # max_length of text, precision of numbers

        class Meta:
            table_name = "formwork_column"
            primary_key = peewee.CompositeKey("entity", "name")

    class Login(Base):
        """A browser's login: its session cookie carries the token this row keeps the hash
        of. Logging out deletes the row, so no copy of the cookie opens anything after."""

        id = peewee.BigAutoField()
        user = peewee.ForeignKeyField(User, backref="logins", on_delete="CASCADE")
        token_hash = peewee.CharField(max_length=64, unique=True)  # sha256 hex of the token
        created = peewee.DateTimeField(index=True)

        class Meta:
            table_name = "formwork_login"

    class LoginFailure(Base):
        """A failed login, counted against what it names: a user name, or a client's IP
        (`key` is "user:NAME" or "client:IP"); old ones stop counting."""

        id = peewee.BigAutoField()
        key = peewee.CharField(max_length=200)
        at = peewee.DateTimeField()

        class Meta:
            table_name = "formwork_login_failure"
            indexes = ((("key", "at"), False),)

    return SystemTables(Sequence, Audit, AuditLayout, User, Token, Column, Login, LoginFailure)
