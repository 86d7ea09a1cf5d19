#!/usr/bin/env python3
"""Runs Debian's wapiti 3.0.4 with one fix: its URL exclusions (-x) build a regular expression
with a trailing global flag, which Python 3.11 rejects, so any -x crashed it. Without -x its
crawler would submit the "Log out" form it finds and sign the scan out."""
import re
import sys

import wapitiCore.net.crawler as crawler
from wapitiCore.main.wapiti import wapiti_main


def wildcard_translate(pattern):
    return re.compile("(?ms)" + "".join(".*" if char == "*" else re.escape(char) for char in pattern) + r"\Z")


crawler.wildcard_translate = wildcard_translate
sys.argv[0] = "wapiti"
sys.exit(wapiti_main())
