"""The repository stands alone: no tracked file points outside it, and every
relative link of the README and docs/ leads to a file of the repository."""
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_no_tracked_file_refers_outside_the_repository():
    outside = "../" + "shared/"  # spelled in two parts so that this file does not match itself
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split("\0")
    offenders = []
    for name in filter(None, tracked):
        path = REPO / name
        if not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        offenders += [f"{name}:{number}" for number, line in enumerate(text.splitlines(), 1) if outside in line]
    assert offenders == []


MARKDOWN_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", sorted(str(p.relative_to(REPO)) for p in
                                        [REPO / "README.md", *(REPO / "docs").rglob("*.md")]))
def test_every_relative_link_of_the_docs_leads_to_a_file_of_the_repository(page):
    path = REPO / page
    for target in MARKDOWN_LINK.findall(path.read_text()):
        if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
            continue
        resolved = (path.parent / target).resolve()
        assert resolved.is_relative_to(REPO), f"{page} links outside the repository: {target}"
        assert resolved.exists(), f"{page} links to a missing file: {target}"
