#!/usr/bin/env python3
"""Makes N full mutual-TLS 1.3 handshakes one after another, each like `openssl s_time -new -www /`: connect,
handshake with the client certificate, send `GET / HTTP/1.0`, read to EOF, close without close_notify.

A fixed count (s_time runs for a time) makes per-handshake counts from callgrind and strace exact.
Usage: handshakes.py PORT N BUNDLE CERT KEY
"""
import socket
import ssl
import sys

port, count, bundle, cert, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.load_verify_locations(bundle)
ctx.load_cert_chain(cert, key)
for _ in range(count):
    with socket.create_connection(("127.0.0.1", port)) as raw:
        s = ctx.wrap_socket(raw, server_hostname="localhost")
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        while True:
            try:
                if not s.recv(4096):
                    break
            except (ssl.SSLError, ConnectionError):
                break
        s.close()
