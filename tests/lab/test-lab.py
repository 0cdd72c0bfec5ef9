#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/lab/esimd-lab, without a terminal, on this build: it starts the bus,
the test SM-DP+ and esimd on a software eUICC, esimcli lists the two demo
profiles through it and downloads the SM-DP+'s demo profiles with the
activation codes the lab shows, and every way out (end of COMMAND, end of the
shell's input, a hangup, a card that cannot be loaded) stops every service it
started.  Run by meson (suite 'lab')."""

import argparse
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time

# every wait has a deadline, and a failure names what never came
DEADLINE_S = 30
DEMO_PROFILES = ['Demo Operational:enabled', 'Demo Test:disabled']
# the lab prints its services' pids with this command before the real one
SHOW_PIDS = 'for f in "$ESIMD_LAB_DIR"/*.pid; do echo "pid $(basename "$f" .pid) $(cat "$f")"; done'

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print('FAIL:', message)
    return condition


class Lab:
    def __init__(self, args, lab_dir):
        self.command = [args.lab, '--no-install', '--no-build', '--build-dir', args.build_dir,
                        '--lab-dir', lab_dir]
        self.env = dict(os.environ, LC_ALL='C.UTF-8', NO_COLOR='1', SHELL='/bin/sh')
        self.env.pop('LANGUAGE', None)
        self.lab_dir = lab_dir

    def run(self, *command, stdin=None):
        return subprocess.run(self.command + list(command), input=stdin, env=self.env,
                              capture_output=True, text=True, timeout=DEADLINE_S, check=False)


def service_pids(output):
    """{name: pid} from the SHOW_PIDS lines."""
    pids = {}
    for line in output.splitlines():
        words = line.split()
        if len(words) == 3 and words[0] == 'pid':
            pids[words[1]] = int(words[2])
    return pids


def running(pid):
    try:
        with open(f'/proc/{pid}/stat', encoding='utf-8') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


SERVICES = {'bus', 'smdp', 'eim', 'esimd'}


def check_stopped(what, pids, lab_dir):
    check(set(pids) == SERVICES, f'{what}: services {sorted(pids)}, expected {sorted(SERVICES)}')
    deadline = time.monotonic() + DEADLINE_S
    while any(running(pid) for pid in pids.values()) and time.monotonic() < deadline:
        time.sleep(0.1)
    for name, pid in pids.items():
        check(not running(pid), f'{what}: {name} (pid {pid}) still runs after the lab ended')
    leftovers = [n for n in os.listdir(lab_dir) if n.endswith('.pid') or n == 'bus.address']
    check(not leftovers, f'{what}: left behind {leftovers}')


def profiles(output):
    return [line for line in output.splitlines() if line.startswith('Demo ')]


def test_command(lab):
    """esimd-lab COMMAND: the demo profiles through the lab's system bus, then
    everything stops; a second lab on the same directory refuses to start."""
    second = ' '.join(shlex.quote(word) for word in lab.command + ['true'])
    result = lab.run('sh', '-c', SHOW_PIDS + f'; {second}; echo "second lab: $?";'
                     ' esimcli -g NAME,STATE profile list')
    print(result.stdout, result.stderr, sep='')
    check(result.returncode == 0, f'command: exit status {result.returncode}')
    check(profiles(result.stdout) == DEMO_PROFILES, f'command: profiles {profiles(result.stdout)}')
    check('second lab: 1' in result.stdout and 'a lab already runs' in result.stderr,
          'command: a second lab on the same directory did not refuse to start')
    check_stopped('command', service_pids(result.stdout), lab.lab_dir)


def test_shell(lab):
    """The shell: commands from its input, the status of its exit; its end stops the lab."""
    result = lab.run(stdin=SHOW_PIDS + '\nesimcli -g NAME,STATE profile list\nexit 7\n')
    print(result.stdout, result.stderr, sep='')
    check(result.returncode == 7, f'shell: exit status {result.returncode}, expected 7')
    check(profiles(result.stdout) == DEMO_PROFILES, f'shell: profiles {profiles(result.stdout)}')
    check('exit or Ctrl-D stops the lab' in result.stderr, 'shell: no greeting on stderr')
    check('LPA:1$localhost:' in result.stderr, 'shell: the greeting shows no activation code')
    check_stopped('shell', service_pids(result.stdout), lab.lab_dir)


def test_hangup(lab):
    """A hangup (the terminal closed) to the lab and its COMMAND stops everything."""
    process = subprocess.Popen(lab.command + ['sh', '-c', SHOW_PIDS + '; echo READY; sleep 600'],
                               env=lab.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    lines = []
    deadline = time.monotonic() + DEADLINE_S
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line or line.strip() == 'READY':
                break
            lines.append(line)
        if not check(line.strip() == 'READY', 'hangup: the lab never ran its command'):
            return
        os.killpg(process.pid, signal.SIGHUP)
        status = process.wait(timeout=DEADLINE_S)
    except subprocess.TimeoutExpired:
        check(False, f'hangup: the lab did not stop within {DEADLINE_S} s')
        return
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        process.stdout.close()
        process.stderr.close()
    check(status == 129, f'hangup: exit status {status}, expected 129')
    check_stopped('hangup', service_pids(''.join(lines)), lab.lab_dir)


def test_download(args):
    """The README's download: the lab's activation codes, one with its confirmation code
    and --enable, through the lab's esimcli; both profiles on the card."""
    with tempfile.TemporaryDirectory() as lab_dir:
        lab = Lab(args, lab_dir)
        result = lab.run('sh', '-c', SHOW_PIDS + '; codes="$ESIMD_LAB_DIR/activation-codes";'
                         ' esimcli profile download "$(sed -n 1p "$codes")" &&'
                         ' esimcli profile download "$(sed -n 2p "$codes")"'
                         ' --confirmation-code 1234 --enable &&'
                         ' esimcli -g NAME,STATE profile list')
        print(result.stdout, result.stderr, sep='')
        check(result.returncode == 0, f'download: exit status {result.returncode}')
        check(result.stdout.count('downloaded') == 2, 'download: not two profiles downloaded')
        check('esimd test profile:disabled' in result.stdout and
              'esimd test profile:enabled' in result.stdout,
              'download: the profile list does not show both downloaded profiles')
        check_stopped('download', service_pids(result.stdout), lab_dir)
        # once there is a PKI and a card, a second start uses both
        result = lab.run('esimcli', '-g', 'NAME', 'profile', 'list')
        check(result.returncode == 0 and result.stdout.count('esimd test profile') == 2,
              f'download: the card lost its profiles on restart: {result.stdout}')


def test_eim(args):
    """The lab's eIM: the card gets its configuration once, lab-eim reaches it, and a
    second start listens where the card expects it."""
    with tempfile.TemporaryDirectory() as lab_dir:
        lab = Lab(args, lab_dir)
        for start in ('first', 'second'):
            result = lab.run('sh', '-c', SHOW_PIDS + '; esimcli -g EIMS euicc show;'
                             ' busctl --system get-property org.freedesktop.Esimd1'
                             ' /org/freedesktop/Esimd1/Eim/0 org.freedesktop.Esimd1.Eim Fqdn;'
                             ' lab-eim status')
            print(result.stdout, result.stderr, sep='')
            check(result.returncode == 0, f'eim, {start} start: exit status {result.returncode}')
            lines = result.stdout.splitlines()
            check('1' in lines, f'eim, {start} start: the card does not list one eIM')
            fqdn = [line.split()[1] for line in lines if line.startswith('fqdn ')]
            check(len(fqdn) == 1 and f's "{fqdn[0]}"' in lines,
                  f'eim, {start} start: the card\'s eIM address is not where the eIM listens')
            check_stopped(f'eim, {start} start', service_pids(result.stdout), lab_dir)


def test_demo(args):
    """lab-demo, the README's tour of the eIM's job: the lab's eIM orders a download,
    an enable of that profile and the eUICC's data; esimcli eim poll runs each; the
    profile list and the eIM's records show the results."""
    with tempfile.TemporaryDirectory() as lab_dir:
        lab = Lab(args, lab_dir)
        result = lab.run('sh', '-c', SHOW_PIDS + '; lab-demo')
        print(result.stdout, result.stderr, sep='')
        check(result.returncode == 0, f'demo: exit status {result.returncode}')
        # the data request may already be run by the poll esimd makes on its own
        # right after the switch: the last esimcli eim poll then finds nothing
        check(result.stdout.count('1 package(s) executed') >= 2,
              'demo: the download and the enable were not executed by their polls')
        check('The enabled profile changed' in result.stdout, 'demo: the enable was not reported')
        check(any(line.startswith('89494499999') and ' enabled ' in line
                  for line in result.stdout.splitlines()),
              'demo: the downloaded profile is not shown enabled')
        for record in ('download=profileInstallationResult success', 'enable=ok',
                       'signature=valid', 'ipaEuiccData'):
            check(record in result.stdout, f'demo: the eIM did not record {record!r}')
        check('PROBLEMS' not in result.stdout, 'demo: the eIM found problems in what came back')
        check_stopped('demo', service_pids(result.stdout), lab_dir)


def test_bad_card(args):
    """An eUICC file esimd refuses: the lab says so, exits 1 and leaves nothing running."""
    with tempfile.TemporaryDirectory() as lab_dir:
        with open(os.path.join(lab_dir, 'euicc.ini'), 'w', encoding='utf-8') as f:
            f.write('not a key file\n')
        lab = Lab(args, lab_dir)
        result = lab.run('true')
        print(result.stdout, result.stderr, sep='')
        check(result.returncode == 1, f'bad card: exit status {result.returncode}, expected 1')
        check('euicc.ini' in result.stderr and 'corrupt' in result.stderr,
              'bad card: the lab does not say which file esimd refused and why')
        check(not any(n.endswith('.pid') for n in os.listdir(lab_dir)),
              'bad card: a service was left running')


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--lab', required=True, help='tests/lab/esimd-lab')
    parser.add_argument('--build-dir', required=True)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as lab_dir:
        lab = Lab(args, lab_dir)
        test_command(lab)
        # the second start finds the card of the first
        check(os.path.exists(os.path.join(lab_dir, 'euicc.ini')), 'the eUICC file is gone')
        test_shell(lab)
        test_hangup(lab)
    test_download(args)
    test_eim(args)
    test_demo(args)
    test_bad_card(args)

    print(f'{len(failures)} problems found')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
