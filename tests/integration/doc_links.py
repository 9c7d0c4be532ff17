#!/usr/bin/python3
"""Every relative link of the repository's Markdown files points at a file of the repository,
and every #anchor at a heading of its target (GitHub's anchor rules).

usage: doc_links.py ROOT          exit 0: all links resolve, 1: a list of broken links
"""
import os
import re
import subprocess
import sys

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def slug(heading):
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    h = heading.strip().lower()
    h = re.sub(r"[^\w\- ]", "", h)
    return h.replace(" ", "-")


def anchors(path):
    out, seen, fence = set(), {}, False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("```"):
                fence = not fence
            if fence:
                continue
            m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
            if m:
                s = slug(m.group(1))
                n = seen.get(s, 0)
                seen[s] = n + 1
                out.add(s if n == 0 else "%s-%d" % (s, n))
    return out


def main(root):
    files = subprocess.run(["git", "-C", root, "ls-files", "*.md"], capture_output=True,
                           text=True).stdout.split()
    if not files:
        files = [os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root)
                 for f in fs if f.endswith(".md") and ".git" not in d and "build" not in d]
    broken = []
    for rel in files:
        path = os.path.join(root, rel)
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read()
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        for lineno, line in enumerate(text.splitlines(), 1):
            for target in LINK.findall(line):
                if re.match(r"[a-z]+:", target) or target.startswith("mailto:"):
                    continue
                file_part, _, anchor = target.partition("#")
                dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) \
                    if file_part else path
                if not os.path.exists(dest):
                    broken.append("%s: link to %s: no such file" % (rel, target))
                elif anchor and dest.endswith(".md") and anchor not in anchors(dest):
                    broken.append("%s: link to %s: %s has no heading with anchor #%s"
                                  % (rel, target, os.path.relpath(dest, root), anchor))
    if broken:
        print("\n".join(broken))
        return 1
    print("doc_links: %d Markdown files, every relative link resolves" % len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
