"""The projects section: one project item per bullet, its later lines read as a level
badge, skills, datasets, links or description."""

import re
from dataclasses import dataclass, field
from typing import Any

from tracker.markdown_convert.document import (
    LISTS,
    Block,
    Document,
    append_markdown,
    groups,
    line_of,
    new_section,
)
from tracker.markdown_convert.inline import (
    images_in,
    links_in,
    list_item_lines,
    only_links,
    plain_text,
    strong_text,
    text_outside_links,
    to_markdown,
)
from tracker.markdown_convert.resources import link_resources, resource
from tracker.markdown_convert.text import SEPARATOR, heading_key, level_of, split_commas, url_title

_SKILLS_LABELS = ("skills", "skill", "skills practised", "tech", "stack")
_DATASET_LABELS = ("dataset", "datasets", "data")
# A bare link to a Kaggle competition (kaggle.com/c/cifar-10) is the project's data as much
# as one to a Kaggle dataset, though its address does not say "dataset".
_KAGGLE_COMPETITION = re.compile(r"//(www\.)?kaggle\.com/(c|competitions)/")


@dataclass
class _Project:
    """A project item while its lines are read."""

    item: dict[str, Any]
    level: str | None
    resources: list[dict] = field(default_factory=list)
    description: list[str] = field(default_factory=list)


def projects_section(doc: Document, part: Block) -> dict[str, Any]:
    section = new_section("projects", part)
    items: list[dict] = []
    for group, blocks in groups(part):
        # "### Beginner Projects": the subheading gives its projects' level.
        level = project_level(group) if group else None
        for node in blocks:
            if node.type == "hr":
                continue
            if node.type in LISTS:
                items.extend(project_item(doc, li, group, level) for li in node.children)
            elif node.type in ("paragraph", "blockquote") and not items and group is None:
                append_markdown(section, "body", doc.block_markdown(node))
            else:
                doc.keep_as_text(section, node, "text among the projects")
    section["items"] = items
    return section


def project_item(doc: Document, li, group: str | None, level: str | None) -> dict[str, Any]:
    project = _Project({"kind": "project", "title": "", "_line": line_of(li)}, level)
    for index, line in enumerate(list_item_lines(li)):
        if index == 0:
            read_title_line(project, line)
        else:
            read_line(project, line)
    for child in li.children:
        if child.type != "paragraph":
            project.description.append(doc.source(child))
    item = project.item
    if project.level:
        item["level"] = project.level
    if group:
        item["group"] = group
    if project.description:
        item["description"] = "\n\n".join(project.description)
    if project.resources:
        item["resources"] = project.resources
    return item


def read_title_line(project: _Project, line) -> None:
    """The title is the first link's text, else the bold lead, else the whole line."""
    text = plain_text(line)
    links = links_in(line)
    title = (links[0].text if links and links[0].text else None) or strong_text(line) or text
    project.item["title"] = title.strip(SEPARATOR)
    project.resources.extend(link_resources(links, title))
    rest = text_outside_links(line)
    rest = rest[len(title) :] if rest.startswith(title) else rest
    if rest.strip(SEPARATOR) and not images_in(line):
        project.description.append(rest.strip(SEPARATOR))


def read_line(project: _Project, line) -> None:
    text = plain_text(line)
    images = images_in(line)
    links = links_in(line)
    label, _, value = text.partition(":")
    label_key = heading_key(label)
    if images and not text_outside_links(line):
        # A shields.io badge such as ![Level](…/badge/Level-Advanced-blue) gives the level.
        alt, src = images[0]
        project.item["badge_url"] = src
        project.level = project.level or project_level(alt) or project_level(src.replace("-", " "))
    elif label_key in _SKILLS_LABELS:
        project.item["skills"] = split_commas(value)
    elif label_key in _DATASET_LABELS or (links and is_dataset_line(text, links)):
        project.resources.extend(
            resource(link.text or url_title(link.url), link.url, kind="article", group="dataset")
            for link in links
        )
        if not links:
            project.description.append(to_markdown(line))
    elif only_links(line):
        project.resources.extend(
            resource(link.text or url_title(link.url), link.url, group="link") for link in links
        )
    else:
        project.description.append(to_markdown(line))


def is_dataset_line(text: str, links: list) -> bool:
    """A line of links that says "dataset", or whose every link is a Kaggle competition."""
    return "dataset" in text.lower() or all(_KAGGLE_COMPETITION.search(link.url) for link in links)


def project_level(text: str) -> str | None:
    """The level a projects subheading or badge names; "Early Research Projects" and an
    "Early" badge are beginner (only here: elsewhere "early" is no level)."""
    return level_of(text) or ("beginner" if "early" in heading_key(text).split() else None)
