#!/usr/bin/env python3
"""Redis CPU per hash entry: HSETs sent through a Lua script versus as plain commands (docs/performance.md,
"Bulk load: Lua off the per-entry path"). Starts its own redis-server on a free port in a temporary folder; no Python
packages needed.

    python3 docs/experiments/lua_vs_native_hset.py [entries]
"""
import os, random, shutil, socket, subprocess, sys, tempfile, time

ENTRIES = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
BUCKETS, PER_CALL = 65536, 4096


def encode(*args):
    out = [b'*%d\r\n' % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b'$%d\r\n%s\r\n' % (len(a), a))
    return b''.join(out)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def main():
    folder, port = tempfile.mkdtemp(), free_port()
    server = subprocess.Popen(['redis-server', '--port', str(port), '--bind', '127.0.0.1', '--save', '',
                               '--appendonly', 'no', '--dir', folder, '--hash-max-listpack-entries', '1024'],
                              stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                conn = socket.create_connection(('127.0.0.1', port))
                break
            except OSError:
                time.sleep(0.05)

        def call(*args):
            conn.sendall(encode(*args))
            return conn.recv(1 << 20)

        def cpu_seconds():
            text = call('INFO', 'cpu').decode()
            fields = dict(line.split(':') for line in text.split('\r\n') if ':' in line)
            return float(fields['used_cpu_user']) + float(fields['used_cpu_sys'])

        script = ("local i = 1 while i <= #ARGV do local k = tonumber(ARGV[i + 1]) "
                  "redis.call('HSET', ARGV[i], unpack(ARGV, i + 2, i + 1 + 2 * k)) i = i + 2 + 2 * k end return 1")
        sha = call('SCRIPT', 'LOAD', script).split(b'\r\n')[1]
        rng = random.Random(1)
        entries = [(rng.randrange(BUCKETS), os.urandom(8), str(i).encode()) for i in range(ENTRIES)]

        def run(mode):
            call('FLUSHALL')
            commands = []
            for start in range(0, ENTRIES, PER_CALL):
                runs = {}
                for bucket, field, value in sorted(entries[start:start + PER_CALL], key=lambda e: e[0]):
                    runs.setdefault(bucket, []).append((field, value))
                if mode == 'lua':
                    args = ['EVALSHA', sha, 0]
                    for bucket, pairs in runs.items():
                        args += [b'ix:%d' % bucket, len(pairs)] + [x for pair in pairs for x in pair]
                    commands.append(encode(*args))
                else:
                    for bucket, pairs in runs.items():
                        commands.append(encode('HSET', b'ix:%d' % bucket, *[x for pair in pairs for x in pair]))
            before = cpu_seconds()
            conn.sendall(b''.join(commands))
            replies = b''
            while replies.count(b'\r\n') < len(commands):
                replies += conn.recv(1 << 22)
            print('%-6s Redis CPU per entry: %.3f us' % (mode, (cpu_seconds() - before) * 1e6 / ENTRIES))

        for mode in ('lua', 'native', 'lua', 'native'):
            run(mode)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == '__main__':
    main()
