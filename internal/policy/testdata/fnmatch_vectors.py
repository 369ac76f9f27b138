#!/usr/bin/env python3
"""Writes fnmatch_vectors.json: golden vectors for consign's artifact patterns.

Each vector is the verdict of Python's fnmatch.fnmatchcase(name, pattern),
which is what in-toto's reference implementation applies to artifact rules
(in-toto/in-toto, in_toto/verifylib.py: fnmatch.filter, which on POSIX is
fnmatchcase since os.path.normcase is the identity there). Patterns that
consign refuses to compile (an unclosed "[", a reversed range, a backslash)
are marked "error": Python reads them as literals or as a class that never
matches, which would silently disable a rule (security case 34 (docs/security.md)).

Run: python3 fnmatch_vectors.py > fnmatch_vectors.json
"""
import fnmatch
import json
import platform
import sys

patterns = [
    "*", "?", "src/*", "*.sh", "src/**", "dist/*.tar", "a?c", "*/*", "**",
    "[!a-z]*", "[^a-z]*", "[a-z]*", "[!]]*", "[]]", "[]a]*", "[!]a]",
    "[a-]", "[-a]", "[!-]", "[a-c-e]", "[--a]", "[*]", "[?]", "[!*]x",
    "*[0-9]", "[A-Z]*.txt", "sub/*/evil.sh", "*evil*", "évil*", "[é]*",
    "[^]", "x[!/]y", "x[/]y", "*.[ch]", "src/?.c", "a*b*c", "*a*a*a*b",
    "dist\\*", "targets/[", "[z-a]", "[", "[!", "]", "a]b",
]
names = [
    "X.sh", "x.sh", "^.sh", "evil.sh", "src/evil.sh", "src/a/b.c", "src/a.c",
    "sub/dir/evil.sh", "a/b", "abc", "a/c", "]", "]x", "a", "-", "b", "d",
    "dist/app.tar", "dist/sub/app.tar", "README.md", "Readme.md", "file1",
    "évil.sh", "evil", "x/y", "xay", "*", "?", "*x", "EVIL.sh", "aXbXc",
    "aaaaaaaaab", "aaaaaaaaa", "dist\\app.exe", "dist/app.exe",
    "main.c", "util.h", "targets/[", "a]b", "[", "^", "[!]x", "x[!]", "-a",
]
vectors = []
for p in patterns:
    for n in names:
        vectors.append({"pattern": p, "name": n, "match": fnmatch.fnmatchcase(n, p)})
out = {
    "source": "CPython %s fnmatch.fnmatchcase (Lib/fnmatch.py), as in-toto python's verifylib applies it via fnmatch.filter on POSIX" % platform.python_version(),
    "generator": "internal/policy/testdata/fnmatch_vectors.py",
    "consign_errors": ["dist\\*", "targets/[", "[z-a]", "[", "[!"],
    "vectors": vectors,
}
json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
sys.stdout.write("\n")
