"""Opens N idle mutual-TLS connections to a server and holds them until stdin closes.

Prints "ready" once every handshake has completed (and a byte was exchanged, so the server finished its side).
Usage: idle.py PORT N BUNDLE CERT KEY
"""
import socket
import ssl
import sys

port, count, bundle, cert, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.load_verify_locations(bundle)
ctx.load_cert_chain(cert, key)
held = []
for _ in range(count):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
    held.append(s)
print("ready", flush=True)
sys.stdin.read()
