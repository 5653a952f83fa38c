"""The `helpdesk` command."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path
from typing import NoReturn

import click
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.adapters.console import ConsoleAdapter
from bot.admin import describe_jobs, explain_sla
from bot.app import build_helpdesk, open_database, sync_directory
from bot.config import Config, config_path, load_config
from bot.service import Helpdesk
from desk.clock import SystemClock
from desk.directory import Directory, ImportReport
from desk.errors import ConfigError, DatabaseError, HelpdeskError
from jobs.scheduler import JOB_NAMES, Runner, jobs, start_scheduler
from kb.articles import load as load_articles
from kb.evaluate import evaluate, read_queries, write_predictions
from kb.index import KnowledgeBase
from kb.query import Synonyms
from kb.triage import suggest
from storage.database import (
    SchemaState,
    current_revision,
    head_revision,
    make_engine,
    safe_url,
    schema_state,
    unit_of_work,
    upgrade,
)
from storage.stores import PersonStore

EXIT_CONFIG = 2
EXIT_DATABASE = 3
EXIT_INPUT = 4


def _fail(message: str, status: int) -> NoReturn:
    click.echo(f"helpdesk: {message}", err=True)
    sys.exit(status)


def _load(context: click.Context) -> Config:
    path: Path = context.obj["config_path"]
    try:
        config = load_config(path)
    except ConfigError as error:
        _fail(str(error), EXIT_CONFIG)
    logging.basicConfig(
        level=config.logging.level,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    return config


@click.group()
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Config file (default: $HELPDESK_CONFIG, else ./config.yaml).",
)
@click.version_option(package_name="helpdesk")
@click.pass_context
def main(context: click.Context, config_file: Path | None) -> None:
    """A chat-ops IT helpdesk: employees report problems in chat, agents resolve them."""
    context.ensure_object(dict)
    context.obj["config_path"] = config_path(config_file)


@main.command()
@click.pass_context
def run(context: click.Context) -> None:
    """Start every configured adapter; with none configured, the console chat."""
    config = _load(context)
    email = config.console.user
    _index_knowledge(config)
    click.echo(
        f"No chat platform is configured, so this is the console. You are {email}; "
        "in another terminal try `helpdesk chat --as EMAIL` as someone else.",
        err=True,
    )
    _chat(config, email, with_jobs=True)


@main.command()
@click.option("--as", "email", required=True, help="E-mail of the person to chat as.")
@click.pass_context
def chat(context: click.Context, email: str) -> None:
    """Chat with the helpdesk in this terminal as one person; pipe lines in to script it."""
    _chat(_load(context), email)


def _chat(config: Config, email: str, *, with_jobs: bool = False) -> None:
    try:
        helpdesk = build_helpdesk(config)
    except DatabaseError as error:
        _fail(str(error), EXIT_DATABASE)
    adapter = ConsoleAdapter(
        helpdesk, email, sys.stdin, sys.stdout, interactive=sys.stdin.isatty()
    )
    try:
        asyncio.run(_serve(helpdesk, config, adapter, with_jobs=with_jobs))
    except KeyboardInterrupt:
        click.echo("", err=True)


async def _serve(
    helpdesk: Helpdesk, config: Config, adapter: ConsoleAdapter, *, with_jobs: bool
) -> None:
    """Run the console, and with it the scheduler when this process is the helpdesk."""
    scheduler = None
    if with_jobs:
        runner = Runner(helpdesk.engine, helpdesk.rules, helpdesk.clock, config.jobs.batch)
        scheduler = start_scheduler(runner, config.jobs.intervals())
    try:
        await adapter.run()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


@main.group()
def sla() -> None:
    """Service levels."""


@sla.command("explain")
@click.argument("ticket")
@click.pass_context
def sla_explain(context: click.Context, ticket: str) -> None:
    """Show how a ticket's due times were computed: calendar, targets, pauses."""
    config = _load(context)
    try:
        engine = open_database(config)
        click.echo(explain_sla(engine, config.rules(), SystemClock(), ticket))
    except DatabaseError as error:
        _fail(str(error), EXIT_DATABASE)
    except HelpdeskError as error:
        _fail(str(error), EXIT_INPUT)


@main.group("jobs", invoke_without_command=True)
@click.pass_context
def jobs_command(context: click.Context) -> None:
    """List the scheduled jobs with their last and next runs."""
    if context.invoked_subcommand is not None:
        return
    config = _load(context)
    try:
        engine = open_database(config)
    except DatabaseError as error:
        _fail(str(error), EXIT_DATABASE)
    click.echo(describe_jobs(engine, config))


@jobs_command.command("run")
@click.argument("name", type=click.Choice(JOB_NAMES))
@click.pass_context
def jobs_run(context: click.Context, name: str) -> None:
    """Run one job now, once (for cron, or to catch up after downtime)."""
    config = _load(context)
    try:
        engine = open_database(config)
    except DatabaseError as error:
        _fail(str(error), EXIT_DATABASE)
    job = {job.name: job for job in jobs(config.jobs.intervals())}[name]
    result = Runner(engine, config.rules(), SystemClock(), config.jobs.batch).run(job)
    click.echo(f"{name}: {result}")


@main.group()
def db() -> None:
    """Create or upgrade the database schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(context: click.Context) -> None:
    """Bring the database schema up to this version."""
    config = _load(context)
    engine = make_engine(config.database.url)
    try:
        before = current_revision(engine)
        upgrade(engine)
    except Exception as error:
        _fail(f"cannot upgrade {safe_url(config.database.url)}: {error}", EXIT_DATABASE)
    click.echo(
        f"Database {safe_url(config.database.url)}: {before or 'empty'} -> {head_revision()}"
    )


@db.command("status")
@click.pass_context
def db_status(context: click.Context) -> None:
    """Say whether the database schema is up to date."""
    config = _load(context)
    engine = make_engine(config.database.url)
    try:
        state = schema_state(engine)
        revision = current_revision(engine)
    except Exception as error:
        _fail(f"cannot reach {safe_url(config.database.url)}: {error}", EXIT_DATABASE)
    click.echo(
        f"Database {safe_url(config.database.url)}: revision {revision or 'none'}, "
        f"code needs {head_revision()} ({state.value})"
    )
    if state is not SchemaState.CURRENT:
        sys.exit(EXIT_DATABASE)


@main.group()
def people() -> None:
    """Manage the directory of people."""


@people.command("import")
@click.argument("csv_file", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_context
def people_import(context: click.Context, csv_file: Path) -> None:
    """Add or update people from a CSV file.

    Columns: email, name, department, time_zone, roles, groups; several roles or groups are
    separated by ';'.
    """
    config = _load(context)
    try:
        engine = _open_with_directory(config)
        with unit_of_work(engine) as session:
            report = Directory(session, SystemClock()).import_csv(csv_file)
    except DatabaseError as error:
        _fail(str(error), EXIT_DATABASE)
    except HelpdeskError as error:
        _fail(str(error), EXIT_INPUT)
    _print_report(report)
    if report.rejected:
        sys.exit(EXIT_INPUT)


def _open_with_directory(config: Config) -> Engine:
    """Open the database with the people of config.yaml applied, as `run` would."""
    engine = open_database(config)
    sync_directory(engine, config, SystemClock())
    return engine


def _print_report(report: ImportReport) -> None:
    click.echo(
        f"Added {len(report.added)}, updated {len(report.updated)}, "
        f"unchanged {len(report.unchanged)}, rejected {len(report.rejected)}."
    )
    for label, emails in (("added", report.added), ("updated", report.updated)):
        for email in emails:
            click.echo(f"  {label}: {email}")
    for line, reason in report.rejected:
        click.echo(f"  rejected line {line}: {reason}")


@people.command("list")
@click.pass_context
def people_list(context: click.Context) -> None:
    """List everyone in the directory."""
    config = _load(context)
    try:
        engine = _open_with_directory(config)
    except DatabaseError as error:
        _fail(str(error), EXIT_DATABASE)
    with unit_of_work(engine) as session:
        store = PersonStore(session)
        for person in store.list_all():
            groups = ",".join(store.list_groups(person.id or 0)) or "-"
            roles = ",".join(person.roles) or "-"
            click.echo(f"{person.email}\t{person.name}\t{roles}\t{groups}")


@main.command("check")
@click.pass_context
def check(context: click.Context) -> None:
    """Validate config.yaml and say what it configures."""
    config = _load(context)
    click.echo(
        f"{context.obj['config_path']}: valid; database {safe_url(config.database.url)}, "
        f"{len(config.directory.people)} people listed"
    )


@main.group()
def kb() -> None:
    """The knowledge base: index, search and measure it."""


@kb.command("index")
@click.argument("directory", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.pass_context
def kb_index(context: click.Context, directory: Path | None) -> None:
    """Load the articles of DIRECTORY (default: the configured kb articles) into search."""
    config = _load(context)
    folder = directory or config.kb.articles
    if not folder.is_dir():
        _fail(f"{folder} is not a folder of articles", EXIT_INPUT)
    articles, problems = load_articles(folder)
    engine = _open(config)
    with unit_of_work(engine) as session:
        report = _knowledge_base(session, config).index(articles, SystemClock().now())
    click.echo(
        f"Indexed {folder}: added {len(report.added)}, updated {len(report.updated)}, "
        f"unchanged {report.unchanged}, removed {len(report.removed)}, "
        f"skipped {len(problems)}."
    )
    for problem in problems:
        click.echo(f"  skipped {problem}")
    if problems:
        sys.exit(EXIT_INPUT)


@kb.command("search")
@click.argument("query")
@click.option("--limit", default=3, show_default=True, type=click.IntRange(1, 50))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of {id, title, score}.")
@click.pass_context
def kb_search(context: click.Context, query: str, limit: int, as_json: bool) -> None:
    """Find the articles that answer QUERY, best first; nothing when none is good enough."""
    config = _load(context)
    with Session(_open(config)) as session:
        hits = _knowledge_base(session, config).search(query, limit=limit, audience="agents")
    if as_json:
        rows = [{"id": hit.id, "title": hit.title, "score": hit.score} for hit in hits]
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for hit in hits:
        click.echo(f"{hit.score:.2f}  {hit.id}  {hit.title}")
    if not hits:
        click.echo("No article answers that well enough.")


@kb.command("eval")
@click.argument("queries", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option(
    "--predictions",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write, per query, the ranked article ids and the suggested category.",
)
@click.pass_context
def kb_eval(
    context: click.Context, queries: Path, as_json: bool, predictions: Path | None
) -> None:
    """Measure findability against labelled QUERIES (JSONL: id, text, articles, category)."""
    config = _load(context)
    try:
        labelled = read_queries(queries)
    except HelpdeskError as error:
        _fail(str(error), EXIT_INPUT)
    with Session(_open(config)) as session:
        kb_ = _knowledge_base(session, config)
        figures, predicted = evaluate(labelled, kb_, config.triage)
    if predictions is not None:
        write_predictions(predictions, predicted)
    if as_json:
        click.echo(json.dumps(asdict(figures)))
        return
    for name, value in asdict(figures).items():
        click.echo(f"{name:<20} {value}")


@main.command("triage")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="Print {category, confidence} as JSON.")
@click.pass_context
def triage(context: click.Context, text: str, as_json: bool) -> None:
    """Suggest the category of a problem described in TEXT."""
    config = _load(context)
    with Session(_open(config)) as session:
        suggestion = suggest(text, config.triage, _knowledge_base(session, config))
    if as_json:
        click.echo(
            json.dumps({"category": suggestion.category, "confidence": suggestion.confidence})
        )
        return
    click.echo(f"{suggestion.category or 'unsure'} ({suggestion.confidence:.2f})")


def _index_knowledge(config: Config) -> None:
    """Bring the knowledge base in line with its folder; unchanged articles cost a hash each."""
    folder = config.kb.articles
    if not folder.is_dir():
        return
    articles, problems = load_articles(folder)
    with unit_of_work(_open(config)) as session:
        report = _knowledge_base(session, config).index(articles, SystemClock().now())
    for problem in problems:
        click.echo(f"helpdesk: skipped article {problem}", err=True)
    if report.added or report.updated or report.removed:
        changed = len(report.added) + len(report.updated) + len(report.removed)
        click.echo(f"Knowledge base: {changed} articles indexed from {folder}.", err=True)


def _open(config: Config) -> Engine:
    try:
        return open_database(config)
    except DatabaseError as error:
        _fail(str(error), EXIT_DATABASE)


def _knowledge_base(session: Session, config: Config) -> KnowledgeBase:
    return KnowledgeBase(session, Synonyms.load(config.kb.synonyms), config.kb)
