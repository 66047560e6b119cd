/**
 * The notifier against a real unix datagram socket (a small Python listener, since Node cannot
 * bind one) with systemd's own `systemd-notify`: READY=1 and STATUS= arrive, in order, and the
 * barrier does not hang. Without NOTIFY_SOCKET nothing is sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../../../src/log.js';
import { systemdNotifier } from '../../../src/agent/systemd-notify.js';

const LISTENER = `
import socket, sys, os, array
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    fds = array.array("i")
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(16 * fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    for fd in fds:
        os.close(fd)
    text = msg.decode().strip().replace("\\n", "|")
    if text:
        print(text, flush=True)
`;

const missing =
  spawnSync('python3', ['--version']).status !== 0 || spawnSync('systemd-notify', ['--version']).status !== 0
    ? 'python3 or systemd-notify is not installed'
    : false;

test('READY=1 and the status reach the notify socket, in order', { skip: missing }, async () => {
  const sock = path.join(await mkdtemp(path.join(tmpdir(), 'nm-notify-')), 'notify');
  const listener = spawn('python3', ['-c', LISTENER, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let out = '';
    listener.stdout.on('data', (b: Buffer) => (out += b.toString()));
    while (!out.includes('listening')) await new Promise((r) => setTimeout(r, 20));
    const n = systemdNotifier({ NOTIFY_SOCKET: sock }, createLogger({ level: 'silent' }));
    assert.ok(n);
    n.status('step: decide');
    await n.flushed();
    n.ready('server of cluster lab-1');
    await n.flushed();
    const deadline = Date.now() + 5000;
    while (!out.includes('READY=1') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const lines = out.split('\n').filter((l) => l.includes('STATUS=') || l.includes('READY='));
    assert.match(lines[0] ?? '', /STATUS=step: decide/);
    assert.match(lines[1] ?? '', /READY=1/);
    assert.match(lines[1] ?? '', /STATUS=server of cluster lab-1/);
  } finally {
    listener.kill('SIGKILL');
  }
});

test('without NOTIFY_SOCKET there is no notifier', () => {
  assert.equal(systemdNotifier({}, createLogger({ level: 'silent' })), undefined);
});
