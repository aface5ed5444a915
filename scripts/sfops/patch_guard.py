"""The SQL patch guard: what a patch does, judged by effect over its whole parse tree.

PostgreSQL's own parser (pglast: libpg_query for SQL, its PL/pgSQL compiler for function
and DO bodies) gives the tree, so a keyword in a string or a comment is never mistaken
for a statement, and a statement hidden in a CTE, a `DO` block, a function body or a
constant `EXECUTE` string is found where it is. Three kinds of finding:

- destructive (needs `-- sfops:allow-destructive`): anything that removes or overwrites
  data or schema. Every DROP (schema, table, column, index, role, database, ...), every
  CASCADE, TRUNCATE, UPDATE or DELETE without a WHERE (or with one that names no column,
  such as `WHERE true`), a MERGE that deletes, a column type change, and dynamic SQL that
  cannot be read (EXECUTE of anything but a string constant; a body in a language other
  than SQL and PL/pgSQL). Also triggers switched off and left off: `DISABLE TRIGGER`
  without the matching `ENABLE` later in the patch, `session_replication_role = replica`
  without a RESET (foreign keys are triggers: both let rows in that break them).
- not transactional (needs `-- sfops:no-transaction`): transaction control (BEGIN,
  COMMIT, ROLLBACK, SAVEPOINT; COMMIT/ROLLBACK in PL/pgSQL) would split the patch's own
  transaction and leave half of it committed and unrecorded; CREATE/DROP INDEX
  CONCURRENTLY, REINDEX CONCURRENTLY, VACUUM, CREATE/DROP DATABASE and TABLESPACE,
  ALTER SYSTEM cannot run inside a transaction at all.
- unreadable: not valid PostgreSQL (the parser's message and position).

Pure: no database, no I/O. `scripts/sfops/sql_patches.py` loads, checks and applies.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pglast import ast, parse_plpgsql, parse_sql
from pglast.enums import AlterTableType, CmdType, DropBehavior, ObjectType, TransactionStmtKind, VariableSetKind
from pglast.parser import ParseError, scan
from pglast.stream import RawStream
from pglast.visitors import Visitor

ALLOW_DESTRUCTIVE = "sfops:allow-destructive"
NO_TRANSACTION = "sfops:no-transaction"

DISABLE_TRIGGER = {
    AlterTableType.AT_DisableTrig: "DISABLE TRIGGER",
    AlterTableType.AT_DisableTrigAll: "DISABLE TRIGGER ALL",
    AlterTableType.AT_DisableTrigUser: "DISABLE TRIGGER USER",
}
ENABLE_TRIGGER = {
    AlterTableType.AT_EnableTrig: "ENABLE TRIGGER",
    AlterTableType.AT_EnableAlwaysTrig: "ENABLE ALWAYS TRIGGER",
    AlterTableType.AT_EnableReplicaTrig: "ENABLE REPLICA TRIGGER",
    AlterTableType.AT_EnableTrigAll: "ENABLE TRIGGER ALL",
    AlterTableType.AT_EnableTrigUser: "ENABLE TRIGGER USER",
}
ENABLE_ALL = frozenset({AlterTableType.AT_EnableTrigAll})
DATA_LOSING_ALTERS = {
    AlterTableType.AT_DropColumn: "ALTER TABLE ... DROP COLUMN removes the column and its data",
    AlterTableType.AT_AlterColumnType: "ALTER TABLE ... ALTER COLUMN ... TYPE rewrites (and may truncate) the data",
}
OUTSIDE_TRANSACTION = (ast.CreatedbStmt, ast.DropdbStmt, ast.AlterSystemStmt, ast.CreateTableSpaceStmt,
                       ast.DropTableSpaceStmt)  # fmt: skip
READABLE_LANGUAGES = frozenset({"sql", "plpgsql"})


@dataclass(frozen=True)
class Finding:
    kind: str  # destructive | transaction
    statement: int  # 1-based index of the top-level statement
    line: int  # line in the patch where that statement starts
    text: str  # the statement, shortened
    reason: str


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    parse_error: str | None = None
    destructive_allowed: bool = False
    outside_transaction: bool = False

    def refusals(self) -> list[str]:
        """What stops the patch, one line each, naming the statement, the reason and the fix."""
        if self.parse_error is not None:
            return [f"not valid PostgreSQL: {self.parse_error} (fix the SQL; nothing was applied)"]
        out: list[str] = []
        for finding in self.findings:
            where = f"statement {finding.statement} (line {finding.line}: {finding.text})"
            if finding.kind == "destructive" and not self.destructive_allowed:
                out.append(
                    f"{where}: {finding.reason}; refused without a `-- {ALLOW_DESTRUCTIVE}` comment "
                    "(playbook 6: prefer additive patches, never drop in panic)"
                )
            elif finding.kind == "transaction" and not self.outside_transaction:
                out.append(
                    f"{where}: {finding.reason}; a patch runs in one transaction, all or nothing. Remove it, "
                    f"or put this statement in its own patch marked `-- {NO_TRANSACTION}` (run statement by "
                    "statement, so write it to be safe to run again)"
                )
        return out


@dataclass
class Statement:
    """One top-level statement: its place in the patch and its text."""

    index: int
    line: int
    text: str


def short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def split_statements(sql: str) -> list[tuple[Statement, ast.Node]]:
    """Each top-level statement with its line and text (pglast locations count characters)."""
    out: list[tuple[Statement, ast.Node]] = []
    for index, raw in enumerate(parse_sql(sql), start=1):
        start = raw.stmt_location or 0
        end = start + raw.stmt_len if raw.stmt_len else len(sql)
        text = sql[start:end].strip()
        # The statement's first line is where its text starts, past leading blanks and comments.
        leading = len(sql[start:end]) - len(sql[start:end].lstrip())
        if raw.stmt is not None:
            out.append((Statement(index, sql.count("\n", 0, start + leading) + 1, text), raw.stmt))
    return out


def has_marker(sql: str, marker: str) -> bool:
    """The marker counts only as a real SQL comment (found by the scanner), not as text in a string."""
    try:
        tokens = scan(sql)
    except ParseError:
        return False
    return any(
        token.name in ("SQL_COMMENT", "C_COMMENT") and marker in sql[token.start : token.end + 1] for token in tokens
    )


def _names_a_column(node: ast.Node | None) -> bool:
    """True when a WHERE refers to some column; `WHERE true` or `WHERE 1 = 1` filters nothing."""
    if node is None:
        return False
    found = False

    class Columns(Visitor):
        def visit_ColumnRef(self, _ancestors: Any, _node: ast.ColumnRef) -> None:
            nonlocal found
            found = True

    Columns()(node)
    return found


def _relation(node: ast.RangeVar | None) -> str:
    if node is None:
        return "?"
    return ".".join(part for part in (node.schemaname, node.relname) if part)


def _string_constant(expression: str) -> str | None:
    """The value of a PL/pgSQL expression when it is one string literal, else None."""
    try:
        statements = parse_sql(f"SELECT {expression}")
    except ParseError:
        return None
    if len(statements) != 1:
        return None
    select = statements[0].stmt
    targets: tuple[Any, ...] = tuple(getattr(select, "targetList", None) or ())
    if len(targets) != 1:
        return None
    value = getattr(targets[0], "val", None)
    if isinstance(value, ast.A_Const) and isinstance(value.val, ast.String):
        return str(value.val.sval)
    return None


def _option(options: Any, name: str) -> Any:
    for option in options or ():
        if isinstance(option, ast.DefElem) and option.defname == name:
            return option.arg
    return None


class _Walker:
    """Collects findings for one top-level statement, descending into every body it can read."""

    def __init__(self) -> None:
        self.reasons: list[tuple[str, str]] = []  # (kind, reason)
        # Switched-off triggers still open: (table, trigger or ALL/USER) -> how it was switched off.
        self.disabled: dict[tuple[str, str], tuple[str, Statement]] = {}
        self.replica_role: Statement | None = None
        self.current = Statement(0, 1, "")

    def destructive(self, reason: str) -> None:
        self.reasons.append(("destructive", reason))

    def transaction(self, reason: str) -> None:
        self.reasons.append(("transaction", reason))

    # -- SQL ------------------------------------------------------------------------------

    def sql(self, node: ast.Node, depth: int = 0) -> None:
        walker = self

        class Each(Visitor):
            def visit(self, _ancestors: Any, node: ast.Node) -> None:
                walker.node(node, depth)

        Each()(node)

    def sql_text(self, text: str, depth: int, what: str) -> None:
        if depth > 8:
            self.destructive(f"{what} nests dynamic SQL too deeply to read")
            return
        try:
            statements = parse_sql(text)
        except ParseError as exc:
            self.destructive(f"{what} is not readable SQL ({exc}), so it cannot be proven safe")
            return
        for raw in statements:
            if raw.stmt is not None:
                self.sql(raw.stmt, depth + 1)

    def node(self, node: ast.Node, depth: int) -> None:
        name = type(node).__name__
        if isinstance(node, ast.DropStmt):
            kind = ObjectType(node.removeType or 0).name.removeprefix("OBJECT_").replace("_", " ")
            targets = ", ".join(_object_name(o) for o in node.objects or ())
            self.destructive(f"DROP {kind} {targets} removes it" + (" and everything that depends on it (CASCADE)"
                             if node.behavior == DropBehavior.DROP_CASCADE else ""))  # fmt: skip
            if node.concurrent:
                self.transaction("DROP INDEX CONCURRENTLY cannot run inside a transaction")
        elif name.startswith("Drop"):
            self.destructive(f"{_sql_words(name)} removes it")
        elif isinstance(node, ast.TruncateStmt):
            tables = ", ".join(_relation(r) for r in node.relations or ())
            self.destructive(f"TRUNCATE {tables} removes every row")
        elif isinstance(node, ast.DeleteStmt) and not _names_a_column(node.whereClause):
            table = _relation(node.relation)
            self.destructive(f"DELETE FROM {table} without a WHERE on a column removes every row")  # noqa: S608 - a message
        elif isinstance(node, ast.UpdateStmt) and not _names_a_column(node.whereClause):
            self.destructive(f"UPDATE {_relation(node.relation)} without a WHERE on a column overwrites every row")
        elif isinstance(node, ast.MergeStmt) and any(
            CmdType(clause.commandType) == CmdType.CMD_DELETE for clause in node.mergeWhenClauses or ()
        ):
            self.destructive(f"MERGE INTO {_relation(node.relation)} ... DELETE removes rows")
        elif isinstance(node, ast.AlterTableStmt):
            self.alter_table(node)
        elif isinstance(node, ast.AlterTableCmd) and node.behavior == DropBehavior.DROP_CASCADE:
            self.destructive("CASCADE also removes everything that depends on it")
        elif isinstance(node, ast.TransactionStmt):
            word = TransactionStmtKind(node.kind or 0).name.removeprefix("TRANS_STMT_").replace("_", " ")
            self.transaction(f"{word} controls the transaction from inside the patch")
        elif isinstance(node, ast.IndexStmt) and node.concurrent:
            self.transaction("CREATE INDEX CONCURRENTLY cannot run inside a transaction")
        elif isinstance(node, ast.ReindexStmt) and any(p.defname == "concurrently" for p in node.params or ()):
            self.transaction("REINDEX CONCURRENTLY cannot run inside a transaction")
        elif isinstance(node, ast.VacuumStmt) and node.is_vacuumcmd:
            self.transaction("VACUUM cannot run inside a transaction")
        elif isinstance(node, OUTSIDE_TRANSACTION):
            self.transaction(f"{_sql_words(name)} cannot run inside a transaction")
        elif isinstance(node, ast.VariableSetStmt) and node.name == "session_replication_role":
            self.replication_role(node)
        elif isinstance(node, ast.DoStmt):
            self.do_block(node, depth)
        elif isinstance(node, ast.CreateFunctionStmt):
            self.function(node, depth)

    def alter_table(self, node: ast.AlterTableStmt) -> None:
        table = _relation(node.relation)
        for cmd in node.cmds or ():
            subtype = AlterTableType(cmd.subtype)
            if subtype in DATA_LOSING_ALTERS:
                self.destructive(DATA_LOSING_ALTERS[subtype].replace("ALTER TABLE", f"ALTER TABLE {table}", 1))
            elif subtype in DISABLE_TRIGGER:
                how = DISABLE_TRIGGER[subtype]
                self.disabled[(table, cmd.name or how)] = (how, self.current)
            elif subtype in ENABLE_ALL:
                for key in [key for key in self.disabled if key[0] == table]:
                    del self.disabled[key]
            elif subtype in ENABLE_TRIGGER:
                self.disabled.pop((table, cmd.name or "DISABLE TRIGGER USER"), None)

    def replication_role(self, node: ast.VariableSetStmt) -> None:
        if node.is_local:
            return  # SET LOCAL ends with the patch's transaction
        value = ""
        if node.kind == VariableSetKind.VAR_SET_VALUE and node.args:
            constant = node.args[0]
            value = str(getattr(constant.val, "sval", "")) if isinstance(constant, ast.A_Const) else ""
        self.replica_role = self.current if value.lower() == "replica" else None

    # -- bodies ---------------------------------------------------------------------------

    def do_block(self, node: ast.DoStmt, depth: int) -> None:
        language = str(_option(node.args, "language").sval) if _option(node.args, "language") else "plpgsql"
        body = _option(node.args, "as")
        if language.lower() != "plpgsql":
            self.destructive(f"a DO block in {language} cannot be read, so it cannot be proven safe")
            return
        source = f"CREATE FUNCTION sfops_guard_do() RETURNS void LANGUAGE plpgsql AS $sfops_do${body.sval}$sfops_do$"
        self.plpgsql(source, depth, "the DO block")

    def function(self, node: ast.CreateFunctionStmt, depth: int) -> None:
        language_node = _option(node.options, "language")
        language = str(language_node.sval).lower() if language_node is not None else "sql"
        body = _option(node.options, "as")
        what = f"function {'.'.join(str(p.sval) for p in node.funcname or ())}"
        if node.sql_body is not None:
            return  # BEGIN ATOMIC: already part of the tree the visitor walks
        if language not in READABLE_LANGUAGES:
            self.destructive(f"{what} is written in {language}, which cannot be read, so it cannot be proven safe")
        elif language == "sql" and body:
            self.sql_text(str(body[0].sval), depth, what)
        elif language == "plpgsql":
            self.plpgsql(RawStream()(node), depth, what)

    def plpgsql(self, source: str, depth: int, what: str) -> None:
        try:
            tree = parse_plpgsql(source)
        except Exception as exc:
            self.destructive(f"{what} is not readable PL/pgSQL ({exc}), so it cannot be proven safe")
            return
        for key, value in _plpgsql_nodes(tree):
            if key in ("PLpgSQL_stmt_commit", "PLpgSQL_stmt_rollback"):
                self.transaction(f"{key.removeprefix('PLpgSQL_stmt_').upper()} in {what} ends the transaction")
            elif key == "PLpgSQL_stmt_dynexecute" or (key in ("PLpgSQL_stmt_return_query", "PLpgSQL_stmt_open")
                                                        and value.get("dynquery")):  # fmt: skip
                query = (value.get("query") or value.get("dynquery") or {}).get("PLpgSQL_expr", {}).get("query", "")
                constant = _string_constant(query)
                if constant is None:
                    self.destructive(f"dynamic SQL in {what} (EXECUTE {short(query, 40)}) cannot be proven safe")
                else:
                    self.sql_text(constant, depth + 1, f"EXECUTE in {what}")
            elif key == "PLpgSQL_expr":
                query = str(value.get("query", ""))
                # parseMode 0: a whole statement; otherwise an expression (which may hold a subquery).
                self.sql_text(query if value.get("parseMode", 0) == 0 else f"SELECT {query}", depth, what)


def _plpgsql_nodes(tree: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (node type, fields) in parse_plpgsql's JSON; dynexecute's own query is not an expr to parse."""
    if isinstance(tree, list):
        for item in tree:
            yield from _plpgsql_nodes(item)
    elif isinstance(tree, dict):
        for key, value in tree.items():
            if key.startswith("PLpgSQL_") and isinstance(value, dict):
                yield key, value
                dynamic = key == "PLpgSQL_stmt_dynexecute" or (
                    key in ("PLpgSQL_stmt_return_query", "PLpgSQL_stmt_open") and value.get("dynquery")
                )
                inner = {k: v for k, v in value.items() if not (dynamic and k in ("query", "dynquery"))}
                yield from _plpgsql_nodes(inner)
            else:
                yield from _plpgsql_nodes(value)


def _object_name(obj: Any) -> str:
    if isinstance(obj, tuple | list):
        return ".".join(_object_name(o) for o in obj)
    if isinstance(obj, ast.String):
        return str(obj.sval)
    if isinstance(obj, ast.TypeName):
        return ".".join(str(n.sval) for n in obj.names or ())
    if isinstance(obj, ast.ObjectWithArgs):
        return ".".join(str(n.sval) for n in obj.objname or ())
    return short(json.dumps(str(obj)), 30)


def _sql_words(node_name: str) -> str:
    """`DropdbStmt` -> `DROP DB`: a readable name for a statement type."""
    words = node_name.removesuffix("Stmt")
    spaced = "".join(f" {c}" if c.isupper() else c for c in words).strip()
    return spaced.upper()


def _finding(kind: str, at: Statement, reason: str) -> Finding:
    return Finding(kind, at.index, at.line, short(at.text), reason)


def inspect(sql: str) -> Report:
    """Every finding in a patch, with its markers; never raises on bad SQL (see parse_error)."""
    report = Report(
        destructive_allowed=has_marker(sql, ALLOW_DESTRUCTIVE), outside_transaction=has_marker(sql, NO_TRANSACTION)
    )
    try:
        statements = split_statements(sql)
    except ParseError as exc:
        position = exc.args[1] if len(exc.args) > 1 else None  # (message, character offset)
        where = f" at line {sql.count(chr(10), 0, position) + 1}" if isinstance(position, int) else ""
        report.parse_error = f"{exc.args[0] if exc.args else exc}{where}"
        return report
    walker = _Walker()
    for statement, node in statements:
        walker.reasons = []
        walker.current = statement
        walker.sql(node)
        for kind, reason in dict.fromkeys(walker.reasons):
            report.findings.append(_finding(kind, statement, reason))
    for (table, trigger), (how, at) in walker.disabled.items():
        what = how if trigger == how else f"{how} {trigger}"
        report.findings.append(
            _finding(
                "destructive",
                at,
                f"ALTER TABLE {table} {what} has no matching ENABLE later in the patch: the triggers "
                "(foreign keys too) stay off and let in rows that break them",
            )
        )
    if walker.replica_role is not None:
        report.findings.append(
            _finding(
                "destructive",
                walker.replica_role,
                "session_replication_role = replica is never RESET in the patch: triggers and foreign keys "
                "stay off for the rest of the session",
            )
        )
    return report
