"""Knowledge-base articles: Markdown files with YAML front matter under kb/articles."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

ARTICLES = Path(__file__).parent / "articles"
CATEGORIES = ("network", "system", "application", "security", "hardware", "access")
AUDIENCES = ("employees", "agents")
REQUIRED = ("id", "title", "category", "language", "audience")


@dataclass(frozen=True)
class Article:
    """One article as its file states it."""

    id: str
    title: str
    category: str
    tags: tuple[str, ...]
    language: str
    audience: str
    last_reviewed: str
    body: str
    path: str

    @property
    def digest(self) -> str:
        """A fingerprint of everything indexed, so unchanged articles are skipped."""
        parts = (
            self.title,
            self.category,
            " ".join(self.tags),
            self.language,
            self.audience,
            self.last_reviewed,
            self.body,
        )
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def parse(path: Path, text: str) -> Article:
    """Read one article, or raise ValueError naming the file and the problem."""
    if not text.startswith("---"):
        raise ValueError(f"{path.name}: no front matter (the file must start with ---)")
    _, front, body = text.split("---", 2)
    try:
        meta = yaml.safe_load(front) or {}
    except yaml.YAMLError as error:
        raise ValueError(f"{path.name}: front matter is not valid YAML: {error}") from None
    missing = [key for key in REQUIRED if not meta.get(key)]
    if missing:
        raise ValueError(f"{path.name}: front matter lacks {', '.join(missing)}")
    if meta["category"] not in CATEGORIES:
        raise ValueError(
            f"{path.name}: category '{meta['category']}' is not one of {', '.join(CATEGORIES)}"
        )
    if meta["audience"] not in AUDIENCES:
        raise ValueError(f"{path.name}: audience must be employees or agents")
    reviewed = meta.get("last_reviewed", "")
    return Article(
        id=str(meta["id"]),
        title=str(meta["title"]),
        category=str(meta["category"]),
        tags=tuple(str(tag) for tag in meta.get("tags") or ()),
        language=str(meta["language"]),
        audience=str(meta["audience"]),
        last_reviewed=reviewed.isoformat() if isinstance(reviewed, date) else str(reviewed),
        body=body.strip(),
        path=str(path),
    )


def load(directory: Path) -> tuple[list[Article], list[str]]:
    """Read every article under a directory; return the articles and one line per bad file."""
    articles: list[Article] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.md")):
        try:
            article = parse(path, path.read_text(encoding="utf-8"))
        except (ValueError, OSError, UnicodeDecodeError) as error:
            problems.append(str(error))
            continue
        if article.id in seen:
            problems.append(
                f"{path.name}: id '{article.id}' is already used by {seen[article.id]}"
            )
            continue
        seen[article.id] = path.name
        articles.append(article)
    return articles, problems


def render(article: Article) -> str:
    """Write an article back as Markdown with front matter."""
    meta = {
        "id": article.id,
        "title": article.title,
        "category": article.category,
        "tags": list(article.tags),
        "language": article.language,
        "audience": article.audience,
        "last_reviewed": article.last_reviewed,
    }
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
    return f"---\n{front}---\n{article.body.strip()}\n"
