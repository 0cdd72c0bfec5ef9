#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks the system-integration files in data/ against each other and against
the D-Bus API: polkit policy (source and merged), bus policy, activation file,
systemd unit (with systemd-analyze when it is installed), the default
configuration and the man page.  Run by meson (suite 'data')."""

import argparse
import configparser
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

BUS_NAME = 'org.freedesktop.Esimd1'
ACTIONS = {
    'org.freedesktop.Esimd1.manage-profiles',
    'org.freedesktop.Esimd1.download',
    'org.freedesktop.Esimd1.configure-eim',
    'org.freedesktop.Esimd1.reset',
    'org.freedesktop.Esimd1.set-logging',
    'org.freedesktop.Esimd1.poll',
}
POLKIT_DEFAULTS = {
    'allow_any': 'no',
    'allow_inactive': 'no',
    'allow_active': 'auth_admin_keep',
}
# actions an active local user is allowed without a password: a poll asks the
# eIM now for what the next scheduled poll would get anyway
POLKIT_DEFAULTS_OVERRIDE = {
    'org.freedesktop.Esimd1.poll': {'allow_active': 'yes'},
}
CONFIG_KEYS = {
    'daemon': {'LogLevel': 'info', 'LogPersonalInfo': 'false'},
    'euicc': {'StoreDataSegmentSize': '255', 'RefreshOnSwitch': 'true'},
    'virtual': {'Files': ''},
    'modem': {'Enabled': 'auto', 'UseProxy': 'true', 'InhibitOnSwitch': 'true',
              'SwitchTimeout': '60'},
    'pcsc': {'Readers': '', 'AutoDetect': 'false'},
    'download': {'TestCiDirectory': '', 'RequestTimeout': '60'},
    'notifications': {'Automatic': 'true', 'RetryInitialDelay': '30', 'RetryMaxDelay': '3600'},
    'eim': {'PollInterval': '3600', 'PollJitter': '10', 'BackoffMax': '3600', 'MaxPackages': '16',
            'RollbackTimeout': '300', 'Binding': 'asn1', 'Timeout': '120', 'Attempts': '3',
            'RetryDelay': '10'},
}
# keys of the per-modem groups [modem:<Model>] and [modem:<vid>:<pid>]
MODEM_OVERRIDE_KEYS = ('Refresh', 'ResetAfterSwitch', 'InhibitOnSwitch')
XML_LANG = '{http://www.w3.org/XML/1998/namespace}lang'

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def read_text(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def introspection_interfaces(directory):
    """Returns {interface name: set of method names} from introspection/*.xml,
    plus the polkit actions their docs say the methods require."""
    interfaces = {}
    required_actions = set()
    for path in sorted(glob.glob(os.path.join(directory, '*.xml'))):
        text = read_text(path)
        required_actions.update(re.findall(r'(org\.freedesktop\.Esimd1\.[a-z][a-z-]+)', text))
        for iface in ET.parse(path).getroot().iter('interface'):
            interfaces[iface.get('name')] = {m.get('name') for m in iface.iter('method')}
    check(len(interfaces) >= 4, f'expected 4 interfaces in {directory}, got {sorted(interfaces)}')
    return interfaces, required_actions


def check_policy_source(path):
    root = ET.parse(path).getroot()
    check(root.tag == 'policyconfig', f'{path}: root element is {root.tag}')
    ids = set()
    for action in root.iter('action'):
        action_id = action.get('id')
        ids.add(action_id)
        for tag in ('description', 'message'):
            elements = action.findall(tag)
            check(len(elements) == 1 and (elements[0].text or '').strip(),
                  f'{path}: {action_id} needs exactly one non-empty <{tag}>')
        defaults = action.find('defaults')
        if not check(defaults is not None, f'{path}: {action_id} has no <defaults>'):
            continue
        for key, expected in POLKIT_DEFAULTS.items():
            expected = POLKIT_DEFAULTS_OVERRIDE.get(action_id, {}).get(key, expected)
            value = defaults.findtext(key)
            check(value == expected, f'{path}: {action_id} {key} is {value}, expected {expected}')
    check(ids == ACTIONS, f'{path}: actions {sorted(ids)} != {sorted(ACTIONS)}')
    # every translatable string carries a note for translators
    text = read_text(path)
    for tag in ('description', 'message'):
        notes = re.findall(r'<!-- TRANSLATORS:[^>]*-->\s*<' + tag + '>', text)
        check(len(notes) == len(ACTIONS), f'{path}: every <{tag}> needs a TRANSLATORS comment')
    return root


def parse_po(path):
    """Minimal PO reader: {msgid: msgstr} of the translated, non-fuzzy entries."""
    entries = {}
    msgid = msgstr = None
    fuzzy = False
    current = None

    def flush():
        if msgid and msgstr and not fuzzy:
            entries[msgid] = msgstr

    for line in read_text(path).splitlines() + ['']:
        line = line.strip()
        if line.startswith('#,') and 'fuzzy' in line:
            fuzzy = True
        elif line.startswith('msgid '):
            flush()
            msgid, msgstr, current = eval_po_string(line[6:]), None, 'id'
        elif line.startswith('msgstr '):
            msgstr, current = eval_po_string(line[7:]), 'str'
        elif line.startswith('"'):
            if current == 'id':
                msgid += eval_po_string(line)
            elif current == 'str':
                msgstr += eval_po_string(line)
        elif not line:
            flush()
            msgid = msgstr = current = None
            fuzzy = False
    return entries


def eval_po_string(quoted):
    body = quoted.strip()
    check(body.startswith('"') and body.endswith('"'), f'bad PO string {quoted}')
    return body[1:-1].encode('utf-8').decode('unicode_escape').encode('latin-1').decode('utf-8')


def check_policy_merged(path, source_root, po_dir):
    root = ET.parse(path).getroot()
    merged_ids = {a.get('id') for a in root.iter('action')}
    check(merged_ids == ACTIONS, f'{path}: merged actions {sorted(merged_ids)}')
    # the untranslated strings are kept as they are in the source
    for src, dst in zip(source_root.iter('action'), root.iter('action')):
        for tag in ('description', 'message'):
            plain = [e.text for e in dst.findall(tag) if XML_LANG not in e.attrib]
            check(plain == [src.findtext(tag)], f'{path}: {src.get("id")} <{tag}> differs from source')
    # every translation of a policy string in po/ is merged
    linguas_path = os.path.join(po_dir, 'LINGUAS')
    languages = []
    if os.path.exists(linguas_path):
        for line in read_text(linguas_path).splitlines():
            languages += line.split('#', 1)[0].split()
    merged_translations = 0
    for lang in languages:
        catalogue = parse_po(os.path.join(po_dir, lang + '.po'))
        for action in root.iter('action'):
            for tag in ('description', 'message'):
                english = [e.text for e in action.findall(tag) if XML_LANG not in e.attrib][0]
                if english not in catalogue:
                    continue
                translated = [e.text for e in action.findall(tag) if e.get(XML_LANG) == lang]
                check(translated == [catalogue[english]],
                      f'{path}: {action.get("id")} <{tag}> for {lang} is {translated}')
                merged_translations += 1
    print(f'policy: {len(merged_ids)} actions, {merged_translations} translated strings merged '
          f'({", ".join(languages) or "no languages"})')


def check_bus_policy(path, interfaces, policy_actions):
    root = ET.parse(path).getroot()
    check(root.tag == 'busconfig', f'{path}: root element is {root.tag}')
    owners = []
    allowed = set()
    for policy in root.iter('policy'):
        for allow in policy.iter('allow'):
            if allow.get('own') is not None:
                owners.append((dict(policy.attrib), allow.get('own')))
            if allow.get('send_destination') == BUS_NAME and policy.get('context') == 'default':
                allowed.add(allow.get('send_interface'))
        check(not list(policy.iter('deny')), f'{path}: unexpected <deny> rules')
    check(owners == [({'user': 'root'}, BUS_NAME)], f'{path}: only root may own {BUS_NAME}: {owners}')
    needed = set(interfaces) | {
        'org.freedesktop.DBus.Properties',
        'org.freedesktop.DBus.ObjectManager',
        'org.freedesktop.DBus.Introspectable',
    }
    check(needed <= allowed, f'{path}: interfaces not allowed: {sorted(needed - allowed)}')
    check(None not in allowed, f'{path}: an allow rule without send_interface opens everything')
    # comments name the polkit action guarding every mutating method
    text = read_text(path)
    for name, methods in interfaces.items():
        for method in methods:
            check(re.search(r'\b' + method + r'\b', text), f'{path}: method {name}.{method} not documented')
    for action in policy_actions:
        if action != 'org.freedesktop.Esimd1.download':  # no download method yet
            check(action in text, f'{path}: action {action} not named')


def check_bus_policy_loads(path):
    """dbus-daemon refuses a configuration it cannot parse: load the policy
    into a private bus the way the system bus includes it from system.d."""
    dbus_daemon = shutil.which('dbus-daemon')
    if dbus_daemon is None:
        print('bus policy: dbus-daemon not installed, load check skipped')
        return
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, 'bus.conf')
        with open(config, 'w', encoding='utf-8') as f:
            f.write('<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"\n'
                    ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n'
                    f'<busconfig><type>system</type><listen>unix:dir={tmp}</listen>'
                    '<auth>EXTERNAL</auth><policy context="default"><allow user="*"/></policy>'
                    f'<include>{os.path.abspath(path)}</include></busconfig>\n')
        process = subprocess.Popen([dbus_daemon, '--config-file', config, '--nofork', '--nopidfile',
                                    '--print-address'], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        try:
            address = process.stdout.readline().strip()
        finally:
            process.terminate()
            _, stderr = process.communicate(timeout=30)
        # dbus-daemon complains about fd limits when not allowed to raise them
        complaints = [line for line in stderr.splitlines() if 'fd limit' not in line]
        check(address.startswith('unix:') and not complaints,
              f'{path}: dbus-daemon did not load it: {address!r} {stderr.strip()}')
        print(f'bus policy: loaded by dbus-daemon ({len(complaints)} complaints)')


def check_activation(path):
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path, encoding='utf-8')
    check(parser.sections() == ['D-BUS Service'], f'{path}: sections {parser.sections()}')
    section = parser['D-BUS Service'] if parser.has_section('D-BUS Service') else {}
    check(section.get('Name') == BUS_NAME, f'{path}: Name')
    exec_line = section.get('Exec', '')
    check(exec_line.startswith('/') and exec_line.endswith('/esimd') and '@' not in exec_line,
          f'{path}: Exec={exec_line}')
    check(section.get('User') == 'root', f'{path}: User')
    check(section.get('SystemdService') == 'esimd.service', f'{path}: SystemdService')
    return exec_line


def parse_unit(path):
    """systemd units repeat keys, so configparser cannot read them."""
    sections = {}
    current = None
    for number, raw in enumerate(read_text(path).splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith('#') or line.startswith(';'):
            continue
        if line.startswith('[') and line.endswith(']'):
            current = sections.setdefault(line[1:-1], {})
            continue
        if check(current is not None and '=' in line, f'{path}:{number}: bad line {raw}'):
            key, value = line.split('=', 1)
            current.setdefault(key, []).append(value)
    return sections


def check_unit(path, exec_line):
    check(not re.search(r'@[a-z_]+@', read_text(path)), f'{path}: unsubstituted @variable@')
    unit = parse_unit(path)
    check(set(unit) == {'Unit', 'Service', 'Install'}, f'{path}: sections {sorted(unit)}')
    service = unit.get('Service', {})
    expected = {
        'Type': 'dbus', 'BusName': BUS_NAME, 'ExecStart': exec_line, 'Restart': 'on-failure',
        'StateDirectory': 'esimd', 'ConfigurationDirectory': 'esimd', 'ProtectSystem': 'strict',
        'ProtectHome': 'yes', 'PrivateTmp': 'yes', 'ProtectKernelTunables': 'yes',
        'ProtectKernelModules': 'yes', 'ProtectKernelLogs': 'yes', 'ProtectClock': 'yes',
        'ProtectHostname': 'yes', 'ProtectControlGroups': 'yes', 'ProtectProc': 'invisible',
        'LockPersonality': 'yes', 'MemoryDenyWriteExecute': 'yes', 'RestrictNamespaces': 'yes',
        'RestrictRealtime': 'yes', 'RestrictSUIDSGID': 'yes', 'SystemCallArchitectures': 'native',
        'KeyringMode': 'private', 'NoNewPrivileges': 'yes', 'DevicePolicy': 'closed',
        'CapabilityBoundingSet': '',
        'RestrictAddressFamilies': 'AF_UNIX AF_NETLINK AF_INET AF_INET6 AF_QIPCRTR',
    }
    for key, value in expected.items():
        check(service.get(key) == [value], f'{path}: {key}={service.get(key)}, expected {value}')
    check('@system-service' in service.get('SystemCallFilter', []), f'{path}: SystemCallFilter')
    devices = {d.split()[0]: d.split()[1] for d in service.get('DeviceAllow', [])}
    for group in ('char-usb_device', 'char-usbmisc', 'char-wwan*', 'char-ttyUSB'):
        check(devices.get(group) == 'rw', f'{path}: DeviceAllow={group} rw missing')
    install = unit.get('Install', {})
    check(install.get('Alias') == ['dbus-' + BUS_NAME + '.service'], f'{path}: Alias')

    analyze = shutil.which('systemd-analyze')
    if analyze is None:
        print('unit: systemd-analyze not installed, syntax check skipped')
        return
    # verify needs an ExecStart that exists: check a copy pointing at /bin/true
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, 'esimd.service')
        with open(copy, 'w', encoding='utf-8') as f:
            f.write(read_text(path).replace(exec_line, '/bin/true'))
        result = subprocess.run([analyze, 'verify', '--man=no', copy],
                                capture_output=True, text=True, timeout=60, check=False)
        complaints = [line for line in result.stderr.splitlines() if 'esimd.service' in line]
        check(result.returncode == 0 and not complaints,
              f'{path}: systemd-analyze verify: rc={result.returncode} {result.stderr.strip()}')
        print(f'unit: systemd-analyze verify rc={result.returncode}, {len(complaints)} complaints')


def check_config(path):
    text = read_text(path)
    # as installed, every key is commented out: the file sets nothing
    installed = configparser.ConfigParser(interpolation=None, strict=True)
    installed.optionxform = str
    installed.read_string(text, source=path)
    check(installed.sections() == list(CONFIG_KEYS), f'{path}: groups {installed.sections()}')
    for group in installed.sections():
        check(not dict(installed[group]), f'{path}: [{group}] sets keys: {dict(installed[group])}')
    # uncommented, it documents exactly the keys esimd reads, with their defaults
    uncommented = re.sub(r'(?m)^#([A-Za-z]+=)', r'\1', text)
    defaults = configparser.ConfigParser(interpolation=None, strict=True)
    defaults.optionxform = str
    defaults.read_string(uncommented, source=path)
    found = {group: dict(defaults[group]) for group in defaults.sections()}
    check(found == CONFIG_KEYS, f'{path}: documented defaults {found} != {CONFIG_KEYS}')
    check('esimd.conf.d/*.conf' in text, f'{path}: does not mention esimd.conf.d/*.conf')
    for key in MODEM_OVERRIDE_KEYS:
        check(key + '=' in text, f'{path}: per-modem key {key} undocumented')


def check_man(path):
    """esimd(8) documents every option, configuration key and polkit action."""
    text = read_text(path)
    for option in ('session', 'virtual', 'pcsc\\-reader', 'config', 'state', 'debug', 'log',
                   'version'):
        check('\\-\\-' + option in text, f'{path}: option --{option}… undocumented')
    for group, keys in CONFIG_KEYS.items():
        check(f'.SS [{group}]' in text, f'{path}: [{group}] undocumented')
        for key in keys:
            check(key + '=' in text, f'{path}: {key} undocumented')
    check('[modem:' in text, f'{path}: per-modem groups undocumented')
    for key in MODEM_OVERRIDE_KEYS:
        check(key + '=' in text, f'{path}: {key} undocumented')
    for action in ACTIONS:
        check(action.replace('-', '\\-') in text, f'{path}: {action} undocumented')


def check_man_page(path, version):
    """Every man page: configured with the version and a date, renders without
    warnings, and no option runs into the word after it."""
    text = read_text(path)
    check(text.startswith('.\\" SPDX-License-Identifier:'), f'{path}: SPDX header')
    check(not re.search(r'@[A-Z_]+@', text), f'{path}: unsubstituted @VARIABLE@')
    title = re.search(r'(?m)^\.TH (\S+) (\d) "([^"]*)" "([^"]*)"', text)
    if not check(title, f'{path}: no .TH NAME SECTION "DATE" "SOURCE" line'):
        return None
    name, section, date, source = title.groups()
    check(re.fullmatch(r'\d{4}-\d{2}-\d{2}', date), f'{path}: .TH date "{date}" is not YYYY-MM-DD')
    check(source == f'esimd {version}', f'{path}: .TH source "{source}", expected "esimd {version}"')
    check(os.path.basename(path) == f'{name.lower()}.{section}', f'{path}: .TH names {name}({section})')
    groff = shutil.which('groff')
    if groff:
        result = subprocess.run([groff, '-man', '-ww', '-z', path], capture_output=True, text=True,
                                timeout=60, check=False)
        check(result.returncode == 0 and not result.stderr.strip(), f'{path}: groff: {result.stderr}')
        rendered = subprocess.run([groff, '-man', '-Tascii', '-P-cbou', '-rLL=200n', path],
                                  capture_output=True, text=True, timeout=60, check=False).stdout
        # a font change without a space glues a metavariable to its option: "--euiccEID"
        for glued in sorted(set(re.findall(r'(?<![\w-])--?[a-z][a-z-]*[A-Z][A-Za-z]*', rendered))):
            check(False, f'{path}: "{glued}" renders without a space')
    else:
        print('man: groff not installed, rendering checks skipped')
    return name.lower()


def check_program_version(name, program, version):
    result = subprocess.run([program, '--version'], capture_output=True, text=True, timeout=30,
                            check=False, env=dict(os.environ, LANGUAGE='', LC_ALL='C.UTF-8'))
    check(result.returncode == 0 and result.stdout == f'{name} {version}\n',
          f'{program} --version: rc={result.returncode} {result.stdout!r} {result.stderr!r}')


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ('policy-in', 'policy', 'bus-policy', 'activation', 'unit', 'config',
                 'po-dir', 'introspection-dir', 'version'):
        parser.add_argument('--' + name, required=True)
    parser.add_argument('--man', action='append', required=True, help='a configured man page')
    parser.add_argument('--program', action='append', default=[], metavar='NAME=PATH',
                        help='a program whose --version must print "NAME VERSION"')
    args = parser.parse_args()

    interfaces, required_actions = introspection_interfaces(args.introspection_dir)
    for action in sorted(required_actions):
        check(action in ACTIONS, f'introspection requires {action}, which the policy lacks')
    check(required_actions, 'introspection names no polkit action')
    source = check_policy_source(args.policy_in)
    check_policy_merged(args.policy, source, args.po_dir)
    check_bus_policy(args.bus_policy, interfaces, ACTIONS)
    check_bus_policy_loads(args.bus_policy)
    exec_line = check_activation(args.activation)
    check_unit(args.unit, exec_line)
    check_config(args.config)
    pages = {}
    for path in args.man:
        pages[check_man_page(path, args.version)] = path
    check('esimd' in pages, 'no esimd(8) among the man pages')
    if 'esimd' in pages:
        check_man(pages['esimd'])
    for spec in args.program:
        name, program = spec.split('=', 1)
        check(name in pages, f'{name} has no man page')
        check_program_version(name, program, args.version)

    for failure in failures:
        print('FAIL:', failure)
    print(f'{len(failures)} problems found')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
