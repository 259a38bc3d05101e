"""The index of a list's search, per database: SQLite's FTS5 table over the column of
search words (engine.records.words), kept by triggers in the writer's own transaction,
with its list of words (an fts5vocab table), or PostgreSQL's trigram index on it; and
the condition a search puts on a list.

Both find the same records: those where each word typed begins a word of the column.
PostgreSQL's index needs the `pg_trgm` extension; where it is missing and cannot be made,
the search is answered the same, by reading every record (the sync says so).
"""

from __future__ import annotations

import logging

import peewee

from engine.records.words import record_words, search_column, searchable
from engine.registry import CompiledEntity
from engine.storage.backends import backend_of

log = logging.getLogger(__name__)

FILL, BUILD = "fill search words", "build search index"
ACTIONS = (FILL, BUILD)
CHUNK = 2_000  # records whose words are filled per statement
# what the FTS5 table keeps: which records hold a word, not where in them (detail=none) nor
# how many words each has (columnsize=0), which only ranking reads; a word's beginning is
# found all the same, and each write stores less
OPTIONS = "detail=none, columnsize=0"
TERMS = "_terms"  # the suffix of the FTS5 table's vocabulary (an fts5vocab table)
MANY_WORDS = 64  # a typed word that begins more words of the index is a prefix query


def search_condition(
    query: peewee.ModelSelect, model: type[peewee.Model], column: str, typed: list[str]
) -> tuple[peewee.ModelSelect, peewee.Node]:
    """`query` narrowed to the records whose words begin with each of `typed` (words as
    words() gives them: letters and digits only, so none is syntax to the database), and
    the column that gives the records in id order as the index reads them.

    SQLite's search joins its FTS5 table, which then leads: its rows come in id order, so
    a page or a count ordered by that column reads only the matches it needs, where an
    `id IN (matches)` would first collect every match (into a temporary index, for the
    count and again for the page). PostgreSQL's is a condition its
    trigram index answers."""
    database = model._meta.database
    if backend_of(database).name == "sqlite":
        table = _fts_table(model)
        words = " AND ".join(_words_beginning(database, table, word) for word in typed)
        index = peewee.Table(table, alias=table)
        # the unary + keeps the index from being asked for one row at a time, for each
        # record another condition finds (each such question costs a whole search)
        unindexed_rowid = peewee.NodeList((peewee.SQL("+"), index.c.rowid), glue="")
        query = query.join(index, on=(model.id == unindexed_rowid))
        return query.where(peewee.Expression(index.c[table], "MATCH", words)), index.c.rowid
    condition = None
    for word in typed:
        clause = peewee.Expression(model._meta.columns[column], "LIKE", f"% {word}%")
        condition = clause if condition is None else condition & clause
    return query.where(condition), model.id


def _words_beginning(database: peewee.Database, table: str, typed: str) -> str:
    """The FTS5 query for the records holding a word that begins with `typed`: the words of
    the index that do, one of them (`"river" OR "rivers"`), when there are few; else the
    prefix query `"rive"*`.

    Both find the same records, but FTS5 answers a prefix query by first merging the
    record lists of all its words, every match of the table, before the first row of a
    page (22 ms for a word held by 80,000 of a million records); a word's own list it reads
    in id order, as far as the page needs. The words come from the index's vocabulary,
    which lists them in order from the first that begins with `typed`."""
    last = typed[:-1] + chr(ord(typed[-1]) + 1)  # the first string after every such word
    found = database.execute_sql(
        f'SELECT term FROM "{table}{TERMS}" WHERE term >= ? AND term < ? LIMIT ?',
        (typed, last, MANY_WORDS + 1),
    ).fetchall()
    if not found or len(found) > MANY_WORDS:  # none: the query finds nothing either way
        return f'"{typed}"*'
    return "(" + " OR ".join(f'"{term}"' for (term,) in found) + ")"


def plan(
    entity: CompiledEntity,
    database: peewee.Database,
    schema: str | None,
    adding: set[str],
    rebuilding: bool = False,
) -> list[tuple[str, str]]:
    """The (action, detail) steps that bring the entity's search index up to date; `adding`
    names the columns the sync adds to the existing table (their words are filled), and
    `rebuilding` says the sync rebuilds the table (which drops its triggers)."""
    column = search_column(entity.spec)
    if column is None:
        return []
    steps = [(FILL, column)] if column in adding else []
    missing = rebuilding or not _index_exists(entity.model, database, schema, column)
    if missing and (backend_of(database).name == "sqlite" or _trigrams_available(database)):
        steps.append((BUILD, column))
    return steps


def apply(entity: CompiledEntity, database: peewee.Database, action: str, column: str) -> None:
    """Run one step of `plan`, in the sync's transaction."""
    if action == FILL:
        _fill(entity, database, column)
    elif backend_of(database).name == "sqlite":
        for sql in _fts_sql(entity.model._meta.table_name, column):
            database.execute_sql(sql)
    elif _trigrams(database, create=True):
        table, name = entity.model._meta.table_name, f"{entity.model._meta.table_name}_{column}"
        database.execute_sql(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin ("{column}" {_trigrams(database, create=False)}.gin_trgm_ops)'
        )


def _fill(entity: CompiledEntity, database: peewee.Database, column: str) -> None:
    """Write the words of every existing record (a column added by the sync)."""
    model, fields = entity.model, searchable(entity.spec)
    table = model._meta.table_name
    names = [f.name for f in fields]
    selected = ", ".join(f'"{name}"' for name in ["id", *names])
    update = f'UPDATE "{table}" SET "{column}" = {database.param} WHERE id = {database.param}'
    last = 0
    while True:
        rows = database.execute_sql(
            f'SELECT {selected} FROM "{table}" WHERE id > {database.param} ORDER BY id LIMIT '
            f"{CHUNK}",
            (last,),
        ).fetchall()
        if not rows:
            return
        changes = [(record_words(fields, dict(zip(names, row[1:], strict=True))), row[0])
                   for row in rows]  # fmt: skip
        database.cursor().executemany(update, changes)
        last = rows[-1][0]


def _fts_table(model: type[peewee.Model]) -> str:
    return f"{model._meta.table_name}__search"


def _fts_sql(table: str, column: str) -> list[str]:
    """The FTS5 table over `column` (its rows are the table's, by id), the triggers that
    keep it as each write changes the table, and its first filling."""
    fts = f"{table}__search"
    insert = f'INSERT INTO "{fts}"(rowid, "{column}") VALUES (new.id, new."{column}");'
    delete = (
        f'INSERT INTO "{fts}"("{fts}", rowid, "{column}") '
        f"VALUES ('delete', old.id, old.\"{column}\");"
    )
    return [
        *(f'DROP TRIGGER IF EXISTS "{fts}_{when}"' for when in ("insert", "delete", "update")),
        f'DROP TABLE IF EXISTS "{fts}{TERMS}"',
        f'DROP TABLE IF EXISTS "{fts}"',  # over the words of other fields, before a change
        f'CREATE VIRTUAL TABLE "{fts}" USING fts5("{column}", content=\'{table}\', '
        f"content_rowid='id', tokenize='ascii', {OPTIONS})",  # words split by spaces alone
        f'CREATE VIRTUAL TABLE "{fts}{TERMS}" USING fts5vocab("{fts}", row)',
        f'CREATE TRIGGER "{fts}_insert" AFTER INSERT ON "{table}" BEGIN {insert} END',
        f'CREATE TRIGGER "{fts}_delete" AFTER DELETE ON "{table}" BEGIN {delete} END',
        f'CREATE TRIGGER "{fts}_update" AFTER UPDATE OF "{column}" ON "{table}" '
        f"BEGIN {delete} {insert} END",
        f'INSERT INTO "{fts}"("{fts}") VALUES (\'rebuild\')',
    ]


def _index_exists(
    model: type[peewee.Model], database: peewee.Database, schema: str | None, column: str
) -> bool:
    table = model._meta.table_name
    if backend_of(database).name == "sqlite":
        fts = f"{table}__search"
        found = database.execute_sql(
            "SELECT name, sql FROM sqlite_master WHERE name IN (?, ?, ?, ?, ?)",
            (fts, f"{fts}_insert", f"{fts}_delete", f"{fts}_update", f"{fts}{TERMS}"),
        ).fetchall()
        # all five, over this column, the table as made now: a rebuilt table loses its
        # triggers, and a table made with other options is made again
        return (
            len(found) == 5
            and all(f'"{column}"' in sql for name, sql in found if name != f"{fts}{TERMS}")
            and any(OPTIONS in sql for name, sql in found if name == fts)
        )
    found = database.execute_sql(
        "SELECT 1 FROM pg_indexes WHERE schemaname = %s AND tablename = %s AND indexname = %s",
        (schema, table, f"{table}_{column}"[:63]),
    )
    return found.fetchone() is not None


def _trigrams_available(database: peewee.Database) -> bool:
    return bool(
        database.execute_sql(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
        ).fetchone()
    )


def _trigrams(database: peewee.Database, create: bool) -> str | None:
    """The schema of PostgreSQL's pg_trgm extension; None where it is not installed (and,
    with `create`, cannot be: the search then reads every record)."""
    found = database.execute_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'"
    ).fetchone()
    if found or not create:
        return found[0] if found else None
    try:
        with database.atomic():  # a savepoint: a refusal leaves the sync's transaction usable
            database.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    except peewee.DatabaseError as error:
        log.warning("The search reads every record: pg_trgm cannot be installed (%s)", error)
        return None
    return "public"
