#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Translations: POTFILES.in lists exactly the files with translatable
strings; every catalogue of LINGUAS is merged with the strings of today's
sources and its placeholders agree with them (msgfmt --check); the languages of
COMPLETE translate every string; and with LANGUAGE=de and the build's
catalogues, the help of esimcli and esimd is German.  Run by meson (suite
'data'); the xgettext arguments come from po/meson.build."""

import argparse
import os
import re
import subprocess
import sys
import tempfile

# Languages that must translate every string: a new string in the sources
# fails this test until it is translated (see po/README.md).
COMPLETE = {'de'}
# what esimcli and esimd print for help, checked in German
HELP_COMMANDS = [
    ['esimcli', 'help'],
    ['esimcli', 'general', 'help'],
    ['esimcli', 'euicc', 'help'],
    ['esimcli', 'profile', 'help'],
    ['esimcli', 'notification', 'help'],
    ['esimcli', 'eim', 'help'],
    ['esimcli', 'monitor', 'help'],
    ['esimcli', 'euicc', 'reset', '--help'],
    ['esimd', '--help'],
]

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def read_text(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def list_file(path):
    """POTFILES.in and LINGUAS: one entry per line, # comments."""
    entries = []
    for line in read_text(path).splitlines():
        entries += line.split('#', 1)[0].split()
    return entries


def unquote(text):
    """A PO string literal body (C escapes, UTF-8) to str."""
    escapes = {'n': '\n', 't': '\t', '"': '"', '\\': '\\', 'r': '\r'}
    return re.sub(r'\\(.)', lambda m: escapes.get(m.group(1), m.group(1)), text)


def parse_po(path):
    """Returns {(msgctxt, msgid): entry}; entry has msgstr (list), flags,
    references, obsolete.  The header (empty msgid) is left out."""
    entries = {}
    entry = None
    field = None

    def finish():
        if entry is not None and entry['msgid'] is not None and entry['msgid'] != '':
            entries[(entry['msgctxt'], entry['msgid'])] = entry

    def new_entry():
        return {'msgctxt': None, 'msgid': None, 'msgid_plural': None, 'msgstr': {},
                'flags': set(), 'references': [], 'obsolete': False}

    entry = new_entry()
    for raw in read_text(path).splitlines() + ['']:
        line = raw.strip()
        obsolete = line.startswith('#~')
        if obsolete:
            line = line[2:].strip()
        if not line:
            finish()
            entry, field = new_entry(), None
            continue
        if line.startswith('#,'):
            entry['flags'].update(f.strip() for f in line[2:].split(','))
            continue
        if line.startswith('#:'):
            entry['references'] += line[2:].split()
            continue
        if line.startswith('#'):
            continue
        match = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+"(.*)"$', line)
        if match:
            if match.group(1) == 'msgid' and entry['msgid'] is not None:
                finish()
                entry = new_entry()
            entry['obsolete'] = entry['obsolete'] or obsolete
            field = match.group(1)
            value = unquote(match.group(3))
            if field.startswith('msgstr'):
                index = int(match.group(2) or 0)
                entry['msgstr'][index] = value
                field = ('msgstr', index)
            else:
                entry[field] = value
        elif line.startswith('"') and field is not None:
            value = unquote(line[1:-1])
            if isinstance(field, tuple):
                entry['msgstr'][field[1]] += value
            else:
                entry[field] += value
    return entries


def xgettext(args, xgettext_args, source_root, output, files=None, files_from=None):
    env = dict(os.environ, GETTEXTDATADIRS=os.path.join(source_root, 'data'))
    command = ['xgettext', '--package-name=esimd', '-D', source_root, '-o', output,
               *xgettext_args]
    if files_from:
        command += ['-f', files_from]
    command += files or []
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120,
                            check=False)
    check(result.returncode == 0, f'xgettext failed: {result.stderr.strip()}')
    return result


def candidate_files(source_root):
    """Where user-visible strings live: the programs' sources and the polkit policy."""
    files = []
    for root, _, names in os.walk(os.path.join(source_root, 'src')):
        files += [os.path.relpath(os.path.join(root, n), source_root) for n in names
                  if n.endswith(('.c', '.h'))]
    data = os.path.join(source_root, 'data')
    files += ['data/' + n for n in os.listdir(data) if n.endswith('.policy.in')]
    return sorted(files)


def check_potfiles(args, potfiles, tmp):
    """Every file with _( ), N_( ), C_( )… strings is in POTFILES.in, and nothing else."""
    listed = list_file(potfiles)
    for path in listed:
        check(os.path.exists(os.path.join(args.source_root, path)),
              f'po/POTFILES.in: {path} does not exist')
    all_pot = os.path.join(tmp, 'all.pot')
    xgettext(args, args.xgettext_arg, args.source_root, all_pot,
             files=candidate_files(args.source_root))
    with_strings = set()
    if os.path.exists(all_pot):
        for entry in parse_po(all_pot).values():
            with_strings.update(ref.rsplit(':', 1)[0] for ref in entry['references'])
    check(with_strings, 'xgettext found no translatable strings at all')
    for path in sorted(with_strings - set(listed)):
        check(False, f'po/POTFILES.in: {path} has translatable strings but is not listed')
    for path in sorted(set(listed) - with_strings):
        check(False, f'po/POTFILES.in: {path} has no translatable strings')
    print(f'POTFILES.in: {len(listed)} files, {len(with_strings)} with translatable strings')


def check_catalogues(args, po_dir, pot_path, tmp):
    """Returns {lang: {msgid: msgstr}} of the translated entries."""
    pot = {key: e for key, e in parse_po(pot_path).items() if not e['obsolete']}
    catalogues = {}
    for lang in list_file(os.path.join(po_dir, 'LINGUAS')):
        po_path = os.path.join(po_dir, lang + '.po')
        if not check(os.path.exists(po_path), f'po/LINGUAS names {lang}, but {lang}.po is missing'):
            continue
        po = {key: e for key, e in parse_po(po_path).items() if not e['obsolete']}
        for key in sorted(set(po) - set(pot), key=str):
            check(False, f'po/{lang}.po: "{key[1]}" is no longer in the sources '
                  '(meson compile -C build esimd-pot esimd-update-po)')
        # the placeholders of each translation, with the flags of today's sources
        merged = os.path.join(tmp, lang + '.po')
        subprocess.run(['msgmerge', '--quiet', '--no-fuzzy-matching', '-o', merged, po_path,
                        pot_path], check=True, timeout=120)
        result = subprocess.run(['msgfmt', '--check', '-o', os.devnull, merged],
                                capture_output=True, text=True, timeout=60, check=False)
        check(result.returncode == 0, f'po/{lang}.po: msgfmt --check: {result.stderr.strip()}')
        untranslated = []
        translated = {}
        for key in pot:
            entry = po.get(key)
            strings = list(entry['msgstr'].values()) if entry else []
            if entry is None or 'fuzzy' in entry['flags'] or not strings or not all(strings):
                untranslated.append(key[1])
            else:
                translated[key[1]] = strings[0]
        if lang in COMPLETE:
            for msgid in untranslated:
                check(False, f'po/{lang}.po: not translated: "{msgid}"')
        print(f'{lang}: {len(translated)} of {len(pot)} strings translated')
        catalogues[lang] = translated
    return catalogues


def run(args, command, language):
    program = args.esimcli if command[0] == 'esimcli' else args.esimd
    env = dict(os.environ, LC_ALL='C.UTF-8', LANGUAGE=language, ESIMD_LOCALEDIR=args.localedir,
               NO_COLOR='1')
    env.pop('LANG', None)
    result = subprocess.run([program, *command[1:]], env=env, capture_output=True, text=True,
                            timeout=30, check=False)
    check(result.returncode == 0, f'{" ".join(command)} ({language or "en"}): exit '
          f'{result.returncode}: {result.stderr.strip()}')
    return result.stdout


def line_ends_with(lines, text):
    """A help line is TEXT, or ends in TEXT after a column gap or a colon:
    "  list      list the eUICCs", "profile: profiles on the eUICCs"."""
    return any(line == text or line.endswith(('  ' + text, ': ' + text)) for line in lines)


def check_help_german(args, catalogue):
    """Every catalogue string that ends a line of the English help ends a line
    of the German help translated."""
    total = 0
    for command in HELP_COMMANDS:
        english = [line.strip() for line in run(args, command, '').splitlines()]
        german = [line.strip() for line in run(args, command, 'de').splitlines()]
        found = 0
        for msgid, msgstr in catalogue.items():
            if '%' in msgid or '\n' in msgid or not line_ends_with(english, msgid):
                continue
            found += 1
            check(line_ends_with(german, msgstr),
                  f'LANGUAGE=de {" ".join(command)}: "{msgstr}" (for "{msgid}") missing')
            if msgstr != msgid:
                check(not line_ends_with(german, msgid),
                      f'LANGUAGE=de {" ".join(command)}: still English: "{msgid}"')
        check(found > 0, f'{" ".join(command)}: no translated string found in its help')
        total += found
    print(f'LANGUAGE=de: {total} strings of the help checked in German')


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--source-root', required=True)
    parser.add_argument('--localedir', required=True, help="the build's po directory")
    parser.add_argument('--esimcli', required=True)
    parser.add_argument('--esimd', required=True)
    parser.add_argument('--xgettext-arg', action='append', default=[])
    args = parser.parse_args()
    po_dir = os.path.join(args.source_root, 'po')

    with tempfile.TemporaryDirectory() as tmp:
        check_potfiles(args, os.path.join(po_dir, 'POTFILES.in'), tmp)
        # the template as esimd-pot makes it
        pot_path = os.path.join(tmp, 'esimd.pot')
        xgettext(args, args.xgettext_arg, args.source_root, pot_path,
                 files_from=os.path.join(po_dir, 'POTFILES.in'))
        catalogues = check_catalogues(args, po_dir, pot_path, tmp)
    if check('de' in catalogues, 'po/LINGUAS has no German'):
        check_help_german(args, catalogues['de'])

    for failure in failures:
        print('FAIL:', failure)
    print(f'{len(failures)} problems found')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
