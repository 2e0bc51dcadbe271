"""Reference issuer: Python `cryptography` (also on OpenSSL) issuing the same X.509-SVID Ward issues.

Prints JSON: issuance rate with a fixed key (sign only) and with a fresh key per SVID.
Usage: python3 reference.py COUNT
"""
import datetime, json, os, sys, time
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
now = datetime.datetime.now(datetime.timezone.utc)

ca_key = ec.generate_private_key(ec.SECP256R1())
ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ward"),
                     x509.NameAttribute(NameOID.COMMON_NAME, "bench.example")])
ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
           .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
           .not_valid_before(now - datetime.timedelta(seconds=10)).not_valid_after(now + datetime.timedelta(hours=24))
           .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
           .add_extension(ca_ski, critical=False)
           .sign(ca_key, hashes.SHA256()))
aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski)
key_usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)
eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH])


def issue(public_key):
    """The same leaf Ward issues: empty subject, critical SAN (URI + DNS), critical KU, EKU, SKI, AKI."""
    now = datetime.datetime.now(datetime.timezone.utc)
    serial = int.from_bytes(os.urandom(16), "big") & ((1 << 127) - 1) | (1 << 126)
    return (x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(ca_cert.subject)
            .public_key(public_key).serial_number(serial)
            .not_valid_before(now - datetime.timedelta(seconds=10)).not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(key_usage, critical=True)
            .add_extension(eku, critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(aki, critical=False)
            .add_extension(x509.SubjectAlternativeName([
                x509.UniformResourceIdentifier("spiffe://bench.example/ns/bench/sa/app"),
                x509.DNSName("app.bench.example")]), critical=True)
            .sign(ca_key, hashes.SHA256()))


fixed = ec.generate_private_key(ec.SECP256R1()).public_key()
for _ in range(min(100, count)):  # warm up
    issue(ec.generate_private_key(ec.SECP256R1()).public_key())
start = time.perf_counter()
for _ in range(count):
    issue(fixed)
sign_only = time.perf_counter() - start

start = time.perf_counter()
for _ in range(count):
    issue(ec.generate_private_key(ec.SECP256R1()).public_key())
with_key = time.perf_counter() - start

import cryptography
print(json.dumps({"cryptography": cryptography.__version__, "count": count,
                  "issue_per_second": round(count / sign_only), "issue_with_keygen_per_second": round(count / with_key)}))
