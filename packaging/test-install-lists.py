#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Installs the build with `meson install --destdir` and compares what it
installs with the file lists of the distribution recipes in packaging/: the
Debian install list, the RPM %files section and the backup array of the Arch
PKGBUILD (makepkg packages whatever meson installs, so it lists nothing else).
Every installed file must be packaged (dh_missing fails the Debian build, rpm
fails on unpackaged files), and every listed path must be installed (dh_install
and rpm fail on a path that does not exist).  Also, the Debian Build-Depends
name the packages of .ci/packages.  Run by meson (suite 'data')."""

import argparse
import fnmatch
import os
import re
import shlex
import subprocess
import sys
import tempfile

# The layouts the recipes build with: Debian's debhelper (prefix /usr,
# sysconfdir /etc) and debian/rules' -Dsystemdsystemunitdir; Fedora's RPM
# macros.  Both map the build's directories onto these.
DEBIAN_UNIT_DIR = 'lib/systemd/system'
RPM_MACROS = {
    'name': 'esimd',
    '_prefix': '/usr',
    '_exec_prefix': '/usr',
    '_bindir': '/usr/bin',
    '_sbindir': '/usr/sbin',
    '_libexecdir': '/usr/libexec',
    '_datadir': '/usr/share',
    '_sysconfdir': '/etc',
    '_localstatedir': '/var',
    '_mandir': '/usr/share/man',
    '_unitdir': '/usr/lib/systemd/system',
}
# what `%find_lang %{name}` puts into %{name}.lang
RPM_FIND_LANG = '/usr/share/locale/*/LC_MESSAGES/{name}.mo'

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def read_text(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def install_tree(meson, build_dir, destdir):
    """Returns the installed paths (absolute paths of the target system) and
    the empty directories among them."""
    subprocess.run([*meson, 'install', '-C', build_dir, '--destdir', destdir, '--no-rebuild',
                    '--quiet'], check=True, timeout=300)
    paths = set()
    empty_directories = set()
    for root, dirs, files in os.walk(destdir):
        path = '/' + os.path.relpath(root, destdir)
        if root != destdir:
            paths.add(path)
        if not dirs and not files:
            empty_directories.add(path)
        for name in files:
            paths.add(os.path.join(path, name))
    return paths, empty_directories


class Layout:
    """Maps the build's installation directories onto a distribution's."""

    def __init__(self, args, unit_dir):
        # most specific first: sysconfdir and the unit directory may lie under the prefix
        self.mapping = []
        if args.unit_dir:
            self.mapping.append((os.path.normpath(args.unit_dir), unit_dir))
        self.mapping.append((os.path.normpath(args.sysconfdir), '/etc'))
        self.mapping.append((os.path.normpath(args.prefix), '/usr'))

    def canonical(self, path):
        for built, target in self.mapping:
            if path == built or path.startswith(built + '/'):
                return target + path[len(built):]
        return path


def covers(pattern, path, recursive):
    """dh_install and rpm: a glob names paths; a directory brings its contents along."""
    if fnmatch.fnmatchcase(path, pattern):
        return True
    if recursive:
        return any(fnmatch.fnmatchcase(parent, pattern) for parent in parents(path))
    return False


def parents(path):
    parent = os.path.dirname(path)
    while parent not in ('', '/'):
        yield parent
        parent = os.path.dirname(parent)


def compare(what, entries, installed, files, complete):
    """entries: (pattern, recursive, source line); installed: every canonical
    path; files: those that must be listed (files and empty directories)."""
    for path in sorted(files):
        check(any(covers(pattern, path, recursive) for pattern, recursive, _ in entries),
              f'{what}: {path} is installed but not listed')
    for pattern, recursive, line in entries:
        matched = any(covers(pattern, path, False) for path in installed)
        if complete:
            check(matched, f'{what}: "{line}" matches nothing that meson installs')
        elif not matched:
            print(f'{what}: "{line}" matches nothing (a feature of the recipe is off in this build)')
    print(f'{what}: {len(entries)} entries, {len(files)} installed paths')


def debian_entries(path):
    entries = []
    for line in read_text(path).splitlines():
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        source = shlex.split(line)[0]
        entries.append(('/' + source.lstrip('/'), True, line))
    return entries


def expand_rpm_macros(text, where):
    def replace(match):
        name = match.group(1) or match.group(2)
        check(name in RPM_MACROS, f'{where}: unknown macro %{name}')
        return RPM_MACROS.get(name, '')
    return re.sub(r'%\{\??([A-Za-z_]+)\}|%([A-Za-z_]+)', replace, text)


def rpm_entries(path):
    """The %files section: (pattern, recursive, line); %doc and %license are not installed by meson."""
    entries = []
    in_files = False
    for number, raw in enumerate(read_text(path).splitlines(), 1):
        line = raw.strip()
        where = f'{path}:{number}'
        if re.match(r'%(package|description|prep|build|install|check|pre|post|preun|postun|'
                    r'changelog|files)\b', line):
            in_files = line.startswith('%files')
            if in_files:
                options = line.split()[1:]
                if '-f' in options:
                    check(options[options.index('-f') + 1] == '%{name}.lang',
                          f'{where}: unexpected file list {options}')
                    entries.append((RPM_FIND_LANG.format(name=RPM_MACROS['name']), False,
                                    '%find_lang'))
            continue
        if not in_files or not line or line.startswith('#'):
            continue
        recursive = True
        words = line.split()
        while words and re.match(r'%[a-z]+(\(.*\))?$', words[0]):
            directive = words.pop(0)
            if directive in ('%doc', '%license'):
                words = []
            elif directive == '%dir':
                recursive = False
            elif not re.match(r'%(config|attr|verify)\b', directive):
                check(False, f'{where}: unexpected directive {directive}')
        if words:
            entries.append((expand_rpm_macros(words[0], where), recursive, line))
    check(entries, f'{path}: no %files section')
    return entries


def rpm_check_owned_directories(entries, directories):
    """Our own directories must belong to the package, or they stay behind on removal."""
    for directory in sorted(directories):
        if 'esimd' not in os.path.basename(directory):
            continue
        check(any(covers(pattern, directory, recursive) for pattern, recursive, _ in entries),
              f'RPM %files: directory {directory} is not owned (%dir)')


def arch_backup(path):
    """The PKGBUILD's backup=(...) array: configuration files pacman keeps."""
    match = re.search(r'(?ms)^backup=\((.*?)\)', read_text(path))
    return shlex.split(match.group(1)) if match else []


def ci_packages(path):
    """{package: set of roles} from .ci/packages."""
    packages = {}
    for line in read_text(path).splitlines():
        words = line.split('#', 1)[0].split()
        if words:
            packages[words[0]] = set(words[1:])
    return packages


def check_build_depends(control_path, packages_path):
    """Build-Depends: the build packages (without gcc, which build-essential
    brings), the test ones under <!nocheck>, the fuzzing ones under a profile."""
    control = read_text(control_path)
    match = re.search(r'(?ms)^Build-Depends:(.*?)^\S', control)
    if not check(match, f'{control_path}: no Build-Depends'):
        return
    depends = {}
    for item in match.group(1).split(','):
        item = re.sub(r'(?m)^#.*$', '', item).strip()
        if item:
            name = item.split()[0]
            depends[name] = re.findall(r'<([^>]*)>', item)
    expected = {}
    for name, roles in ci_packages(packages_path).items():
        if 'build' in roles and name != 'gcc':
            expected[name] = []
        elif 'test' in roles:
            expected[name] = ['!nocheck']
        elif 'fuzz' in roles:
            expected[name] = ['pkg.esimd.fuzzing']
    expected['debhelper-compat'] = []
    for name in sorted(set(expected) | set(depends)):
        check(depends.get(name) == expected.get(name),
              f'{control_path}: Build-Depends {name} {depends.get(name)}, '
              f'.ci/packages says {expected.get(name)}')


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--meson', required=True, help='the meson command')
    parser.add_argument('--build-dir', required=True)
    parser.add_argument('--packaging-dir', required=True)
    parser.add_argument('--ci-packages', required=True, help='.ci/packages')
    parser.add_argument('--prefix', required=True)
    parser.add_argument('--sysconfdir', required=True)
    parser.add_argument('--unit-dir', default='')
    parser.add_argument('--complete', action='store_true',
                        help='the build has every feature the recipes enable')
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as destdir:
        installed, empty_directories = install_tree(shlex.split(args.meson), args.build_dir,
                                                    destdir)
    check(installed, 'meson install installed nothing')
    # a directory is packaged with its contents; only empty ones must be listed themselves
    directories = {p for p in installed if any(q.startswith(p + '/') for q in installed)}
    files = (installed - directories) | empty_directories

    debian = Layout(args, '/' + DEBIAN_UNIT_DIR)
    compare('packaging/debian/esimd.install',
            debian_entries(os.path.join(args.packaging_dir, 'debian', 'esimd.install')),
            {debian.canonical(p) for p in installed},
            {debian.canonical(p) for p in files}, args.complete)

    rpm = Layout(args, RPM_MACROS['_unitdir'])
    entries = rpm_entries(os.path.join(args.packaging_dir, 'rpm', 'esimd.spec'))
    compare('packaging/rpm/esimd.spec %files', entries, {rpm.canonical(p) for p in installed},
            {rpm.canonical(p) for p in files}, args.complete)
    rpm_check_owned_directories(entries, {rpm.canonical(p) for p in directories | empty_directories})

    arch = Layout(args, '/usr/lib/systemd/system')
    arch_installed = {arch.canonical(p) for p in files}
    arch_directories = {arch.canonical(p) for p in empty_directories}
    backup = arch_backup(os.path.join(args.packaging_dir, 'arch', 'PKGBUILD'))
    check(backup, 'packaging/arch/PKGBUILD: no backup array')
    for path in backup:
        check('/' + path in arch_installed, f'packaging/arch/PKGBUILD: backup {path} is not installed')
    for path in sorted(arch_installed):
        if path.startswith('/etc/') and path not in arch_directories:
            check(path.lstrip('/') in backup, f'packaging/arch/PKGBUILD: {path} is not in backup')

    check_build_depends(os.path.join(args.packaging_dir, 'debian', 'control'), args.ci_packages)

    for failure in failures:
        print('FAIL:', failure)
    print(f'{len(failures)} problems found')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
