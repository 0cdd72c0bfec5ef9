#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Prints the date the man pages carry, as YYYY-MM-DD (UTC): SOURCE_DATE_EPOCH
when it is set (reproducible builds; dpkg-buildpackage sets it from
debian/changelog), else the date of the last commit when the source is a git
checkout, else today.  Run by meson at configure time."""

import os
import subprocess
import sys
import time


def epoch(source_root):
    value = os.environ.get('SOURCE_DATE_EPOCH', '').strip()
    if value:
        return int(value)
    try:
        # only esimd's own history: a tarball may be unpacked inside another repository
        top = subprocess.run(['git', '-C', source_root, 'rev-parse', '--show-toplevel'],
                             capture_output=True, text=True, timeout=30, check=True)
        if os.path.realpath(top.stdout.strip()) == os.path.realpath(source_root):
            result = subprocess.run(['git', '-C', source_root, 'log', '-1', '--format=%ct'],
                                    capture_output=True, text=True, timeout=30, check=True)
            return int(result.stdout.strip())
    except (OSError, subprocess.SubprocessError, ValueError):
        pass
    return int(time.time())


if __name__ == '__main__':
    print(time.strftime('%Y-%m-%d', time.gmtime(epoch(sys.argv[1]))))
