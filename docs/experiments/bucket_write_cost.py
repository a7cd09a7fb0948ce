#!/usr/bin/env python3
"""Redis CPU per index entry written the way a bulk load writes it at 10M subscribers (docs/performance.md, "Bulk
load: the appended index"): 131,072 buckets filled to 76 entries each (one identifier type of a 10M base at 17 bucket
bits), four entries per bucket per command (a chunk of 524,288 lines), in rounds like a load's chunks. Two layouts:

- hset: the index as it was before it was appended to, a hash per bucket (8-byte field, decimal number), so every
  new field first scans the bucket's listpack for itself;
- append: the same entries as 12-byte records (field, u32 number) appended to a string per bucket, with no scan.

Then the read side of a 1M-row upload on such a base: every bucket read once for 8 rows, with one HMGET of 8 fields
(hset) or one GET of the whole bucket (append; the matching would then be the service's).

Starts its own redis-server on a free port in a temporary folder, feeds it with redis-cli --pipe, and prints Redis'
CPU and memory per entry, and its CPU per bucket read. No Python packages needed.

    python3 docs/experiments/bucket_write_cost.py [buckets] [entries-per-bucket]     # 3-6 minutes
"""
import os, random, shutil, socket, struct, subprocess, sys, tempfile, time

BUCKETS = int(sys.argv[1]) if len(sys.argv) > 1 else 131_072
PER_BUCKET = int(sys.argv[2]) if len(sys.argv) > 2 else 76
PER_COMMAND = 4


def encode(*args):
    out = [b'*%d\r\n' % len(args)]
    for a in args:
        out.append(b'$%d\r\n%s\r\n' % (len(a), a))
    return b''.join(out)


def commands(layout, path):
    rnd, number = random.Random(7), 0
    kept = {}
    with open(path, 'wb', buffering=1 << 22) as out:
        for _ in range(PER_BUCKET // PER_COMMAND):
            for bucket in range(BUCKETS):
                key = b'ix:%05x' % bucket
                fields = [rnd.randbytes(8) for _ in range(PER_COMMAND)]
                kept.setdefault(bucket, []).extend(fields[:2])
                if layout == 'hset':
                    args = [b'HSET', key]
                    for f in fields:
                        args += [f, b'%d' % number]
                        number += 1
                    out.write(encode(*args))
                else:
                    blob = b''.join(f + struct.pack('>I', number + i) for i, f in enumerate(fields))
                    number += PER_COMMAND
                    out.write(encode(b'APPEND', key, blob))
    return kept


def reads(layout, path, kept):
    with open(path, 'wb', buffering=1 << 22) as out:
        for bucket in range(BUCKETS):
            key = b'ix:%05x' % bucket
            if layout == 'hset':
                out.write(encode(b'HMGET', key, *kept[bucket][:8]))
            else:
                out.write(encode(b'GET', key))


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def info(port, section, name):
    text = subprocess.run(['redis-cli', '-p', str(port), 'info', section], capture_output=True, text=True).stdout
    return next(float(line.split(':')[1]) for line in text.splitlines() if line.startswith(name + ':'))


def run(layout, folder):
    path = os.path.join(folder, layout + '.resp')
    read_path = os.path.join(folder, layout + '-read.resp')
    reads(layout, read_path, commands(layout, path))
    port = free_port()
    server = subprocess.Popen(['redis-server', '--port', str(port), '--bind', '127.0.0.1', '--save', '',
                               '--appendonly', 'no', '--dir', folder, '--hash-max-listpack-entries', '1024'],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if subprocess.run(['redis-cli', '-p', str(port), 'ping'], capture_output=True).returncode == 0:
                break
            time.sleep(0.05)
        memory, cpu = info(port, 'memory', 'used_memory'), info(port, 'cpu', 'used_cpu_user')
        with open(path, 'rb') as feed:
            subprocess.run(['redis-cli', '-p', str(port), '--pipe'], stdin=feed, stdout=subprocess.DEVNULL, check=True)
        entries = BUCKETS * (PER_BUCKET // PER_COMMAND) * PER_COMMAND
        cpu = info(port, 'cpu', 'used_cpu_user') - cpu
        memory = info(port, 'memory', 'used_memory') - memory
        before = info(port, 'cpu', 'used_cpu_user')
        with open(read_path, 'rb') as feed:
            subprocess.run(['redis-cli', '-p', str(port), '--pipe'], stdin=feed, stdout=subprocess.DEVNULL, check=True)
        read = info(port, 'cpu', 'used_cpu_user') - before
        print(f'{layout:6s} {entries:,} entries: Redis {cpu * 1e6 / entries:.2f} µs (user CPU) '
              f'and {memory / entries:.1f} bytes an entry; {read * 1e6 / BUCKETS:.2f} µs a bucket read for 8 rows')
    finally:
        server.terminate()
        server.wait()
        os.remove(path)
        os.remove(read_path)


def main():
    folder = tempfile.mkdtemp()
    try:
        for layout in ('hset', 'append', 'hset', 'append'):
            run(layout, folder)
    finally:
        shutil.rmtree(folder)


if __name__ == '__main__':
    main()
