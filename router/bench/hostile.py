#!/usr/bin/env python3
"""Clients for the hostile-load benchmark (router/bench/hostile.sh runs them).

  hostile.py probe HOST:PORT SECONDS RATE     the well-behaved client: one keep-alive
      connection sending a storefront query RATE times a second; prints its latencies
      (p50/p95/max ms) and failures as JSON
  hostile.py attack KIND HOST:PORT SECONDS CONNECTIONS
      KIND slow-body: each connection sends a request's headers, then its body one byte a
           second, and starts again when the router cuts it off
      KIND slow-headers: the same with the headers themselves, which never finish
      KIND flood: each worker opens a connection, sends nothing and closes it, as fast as
           it can
      prints what the router did to them (answers by status, connections it closed) as JSON
  hostile.py answer HOST:PORT BODY-FILE   the status and error code of one such request
  hostile.py row ...      one markdown row of hostile.sh's table (see there)
  hostile.py summary PROBE-JSON, hostile.py field NAME PROBE-JSON    for hostile.sh's text
"""

import asyncio
import http.client
import json
import sys
import time

QUERY = json.dumps(
    {"query": "{ topProducts(first: 5) { upc name price inStock reviews { body author { name } } } }"}
).encode()


def probe(address, seconds, rate):
    host, port = address.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {"content-type": "application/json", "accept": "application/json"}
    latencies, failures = [], 0
    interval = 1.0 / rate
    deadline = time.monotonic() + seconds
    next_send = time.monotonic()
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            connection.request("POST", "/graphql", QUERY, headers)
            response = connection.getresponse()
            body = response.read()
            ok = response.status == 200 and b'"errors"' not in body
        except (OSError, http.client.HTTPException):
            ok = False
            connection.close()  # reconnects on the next request
        elapsed = time.perf_counter() - started
        if ok:
            latencies.append(elapsed * 1000)
        else:
            failures += 1
        next_send += interval
        time.sleep(max(0.0, next_send - time.monotonic()))
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(len(latencies) * q))] if latencies else None
    print(json.dumps({"requests": len(latencies) + failures, "failures": failures,
                      "p50": pick(0.50), "p95": pick(0.95), "max": latencies[-1] if latencies else None}))


async def slow(host, port, head, body, stop, counts):
    """Sends `head` at once and `body` one byte a second, again each time the router closes."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            counts["connect_failed"] += 1
            await asyncio.sleep(0.1)
            continue
        answer = asyncio.ensure_future(reader.read(64))
        try:
            writer.write(head)
            for byte in body:
                if answer.done() or stop.is_set():
                    break
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.wait([answer], timeout=1.0)
            first = await asyncio.wait_for(answer, timeout=60) if not stop.is_set() else b""
        except (OSError, asyncio.TimeoutError):
            first = b""
        if not stop.is_set():
            status = first[9:12].decode(errors="replace") if first.startswith(b"HTTP/1.1 ") else "closed"
            counts[status] = counts.get(status, 0) + 1
        answer.cancel()
        writer.close()


async def flood(host, port, stop, counts):
    while not stop.is_set():
        try:
            _, writer = await asyncio.open_connection(host, port)
            writer.close()
            counts["connections"] += 1
        except OSError:
            counts["connect_failed"] += 1
            await asyncio.sleep(0.01)


async def attack(kind, address, seconds, connections):
    host, port = address.split(":")
    counts = {"connect_failed": 0, "connections": 0}
    stop = asyncio.Event()
    body = b'{"query":"{ topProducts(first: 5) { upc name } }"}'
    if kind == "slow-body":
        head = (f"POST /graphql HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\n"
                f"content-length: {len(body)}\r\n\r\n").encode()
        tasks = [slow(host, port, head, body, stop, counts) for _ in range(connections)]
    elif kind == "slow-headers":
        head = b"POST /graphql HTTP/1.1\r\n"
        never_ends = f"host: {address}\r\ncontent-type: application/json\r\nx-padding: {'a' * 200}".encode()
        tasks = [slow(host, port, head, never_ends, stop, counts) for _ in range(connections)]
    elif kind == "flood":
        tasks = [flood(host, port, stop, counts) for _ in range(connections)]
    else:
        sys.exit(f"unknown attack {kind}")
    running = [asyncio.ensure_future(t) for t in tasks]
    await asyncio.sleep(seconds)
    stop.set()
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)
    print(json.dumps(counts))


def answer(address, path):
    """The router's status and error code for one request with this body."""
    host, port = address.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {"content-type": "application/json", "accept": "application/graphql-response+json"}
    connection.request("POST", "/graphql", open(path, "rb").read(), headers)
    response = connection.getresponse()
    try:
        body = json.loads(response.read())
        body = body[0] if isinstance(body, list) else body
        code = body["errors"][0]["extensions"]["code"]
    except (ValueError, KeyError, IndexError):
        code = "-"
    return f"{response.status} {code}"


def row(label, answer, attack_file, probe, base_p95, ticks, hz, t0, t1, rss0_kb, hwm_kb):
    """A shape's row: what the attack got, the router's CPU and peak RSS, the probe's p95."""
    attack, probe = json.load(open(attack_file)), json.loads(probe)
    ticks, hz, t0, t1, rss0_kb, hwm_kb = map(float, (ticks, hz, t0, t1, rss0_kb, hwm_kb))
    if "statusCodeDistribution" in attack:  # oha's report
        codes = attack["statusCodeDistribution"]
        refused = sum(v for k, v in codes.items() if k != "200")
        outcome = f"{refused:,} refused of {sum(codes.values()):,}"
    else:  # attack()'s counts: answers by status, "closed", connections opened by a flood
        refused = sum(v for k, v in attack.items() if k not in ("connect_failed", "connections"))
        refused = refused or attack["connections"]
        outcome = ", ".join(f"{k} {v:,}" for k, v in attack.items() if v)
    cpu = ticks / hz
    per = f"{1e6 * cpu / refused:,.0f} µs" if refused else "-"
    p95 = probe["p95"]
    ratio = f"{p95 / float(base_p95):.2f}" if p95 else "-"
    print(f"| {label} | {answer} | {outcome} | {100 * cpu / (t1 - t0):.0f}% | {per} | "
          f"{hwm_kb / 1024:.1f} ({(hwm_kb - rss0_kb) / 1024:+.1f}) | {p95 or 0:.2f} | **{ratio}** | "
          f"{probe['failures']}/{probe['requests']} |")


def summary(probe):
    p = json.loads(probe)
    return (f"p50 {p['p50']:.2f} ms, p95 {p['p95']:.2f} ms "
            f"({p['requests']} requests, {p['failures']} failed)")


if __name__ == "__main__":
    if sys.argv[1] == "probe":
        probe(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
    elif sys.argv[1] == "row":
        row(*sys.argv[2:13])
    elif sys.argv[1] == "answer":
        print(answer(sys.argv[2], sys.argv[3]))
    elif sys.argv[1] == "summary":
        print(summary(sys.argv[2]))
    elif sys.argv[1] == "field":
        print(json.loads(sys.argv[3])[sys.argv[2]])
    elif sys.argv[1] == "attack":
        asyncio.run(attack(sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])))
    else:
        sys.exit(__doc__)
