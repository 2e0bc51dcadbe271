#ifndef WARD_COPENSSL_SHIM_H
#define WARD_COPENSSL_SHIM_H

// OpenSSL 3 headers Ward uses, plus `static inline` wrappers for the macros Swift cannot import.
// Keep every wrapper here, grouped by area, prefixed `ward_`.

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/conf.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

// MARK: - Memory

static inline void ward_OPENSSL_free(void *p) { OPENSSL_free(p); }

// MARK: - BIO

static inline long ward_BIO_get_mem_data(BIO *b, char **pp) { return BIO_get_mem_data(b, pp); }
static inline void ward_BIO_set_retry_read(BIO *b) { BIO_set_retry_read(b); }
static inline void ward_BIO_clear_retry_flags(BIO *b) { BIO_clear_retry_flags(b); }

// MARK: - Stacks

static inline int ward_sk_X509_num(const STACK_OF(X509) *sk) { return sk_X509_num(sk); }
static inline X509 *ward_sk_X509_value(const STACK_OF(X509) *sk, int i) { return sk_X509_value(sk, i); }
static inline STACK_OF(X509) *ward_sk_X509_new_null(void) { return sk_X509_new_null(); }
static inline int ward_sk_X509_push(STACK_OF(X509) *sk, X509 *x) { return sk_X509_push(sk, x); }
static inline void ward_sk_X509_pop_free(STACK_OF(X509) *sk) { sk_X509_pop_free(sk, X509_free); }
static inline void ward_sk_X509_free(STACK_OF(X509) *sk) { sk_X509_free(sk); }

static inline int ward_sk_GENERAL_NAME_num(const GENERAL_NAMES *sk) { return sk_GENERAL_NAME_num(sk); }
static inline GENERAL_NAME *ward_sk_GENERAL_NAME_value(const GENERAL_NAMES *sk, int i) {
    return sk_GENERAL_NAME_value(sk, i);
}
static inline void ward_GENERAL_NAMES_free(GENERAL_NAMES *sk) { GENERAL_NAMES_free(sk); }
static inline GENERAL_NAMES *ward_sk_GENERAL_NAME_new_null(void) { return sk_GENERAL_NAME_new_null(); }
static inline int ward_sk_GENERAL_NAME_push(GENERAL_NAMES *sk, GENERAL_NAME *gn) {
    return sk_GENERAL_NAME_push(sk, gn);
}

static inline int ward_sk_X509_EXTENSION_num(const STACK_OF(X509_EXTENSION) *sk) {
    return sk_X509_EXTENSION_num(sk);
}
static inline X509_EXTENSION *ward_sk_X509_EXTENSION_value(const STACK_OF(X509_EXTENSION) *sk, int i) {
    return sk_X509_EXTENSION_value(sk, i);
}
static inline void ward_sk_X509_EXTENSION_pop_free(STACK_OF(X509_EXTENSION) *sk) {
    sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free);
}

// MARK: - X.509

static inline unsigned long ward_XN_FLAG_RFC2253(void) { return XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB; }

// MARK: - Legacy EC public keys (issuance fast path)

// OpenSSL 3.0's X509_set_pubkey() encodes a provider key to DER and decodes it back (building encoder and decoder
// contexts each time: most of the cost of issuing a certificate). Keys with a legacy method take the direct
// encoding path. This returns a new public-only legacy EC key equal to `pkey`'s public half, or NULL. Uses
// APIs deprecated in 3.0, hence the pragmas; keep every such use here.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
static inline EVP_PKEY *ward_legacy_ec_public_key(const EVP_PKEY *pkey) {
    const EC_KEY *ec = EVP_PKEY_get0_EC_KEY(pkey);
    if (ec == NULL) return NULL;
    EC_KEY *pub = EC_KEY_new();
    EVP_PKEY *out = EVP_PKEY_new();
    if (pub == NULL || out == NULL || EC_KEY_set_group(pub, EC_KEY_get0_group(ec)) != 1
        || EC_KEY_set_public_key(pub, EC_KEY_get0_public_key(ec)) != 1 || EVP_PKEY_assign_EC_KEY(out, pub) != 1) {
        EC_KEY_free(pub);
        EVP_PKEY_free(out);
        return NULL;
    }
    return out;
}

// A new legacy EC key pair on curve `nid` (NID_X9_62_prime256v1, NID_secp384r1), or NULL: one EC_GROUP
// construction instead of the provider path's keygen plus export (see above).
static inline EVP_PKEY *ward_legacy_ec_generate(int nid) {
    EC_KEY *key = EC_KEY_new_by_curve_name(nid);
    EVP_PKEY *out = EVP_PKEY_new();
    if (key == NULL || out == NULL || EC_KEY_generate_key(key) != 1 || EVP_PKEY_assign_EC_KEY(out, key) != 1) {
        EC_KEY_free(key);
        EVP_PKEY_free(out);
        return NULL;
    }
    return out;
}
#pragma clang diagnostic pop

// MARK: - SSL (TLS module)

static inline long ward_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline int ward_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int v) {
    return (int)SSL_CTX_set_min_proto_version(ctx, v);
}
static inline int ward_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int v) {
    return (int)SSL_CTX_set_max_proto_version(ctx, v);
}
static inline int ward_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
static inline long ward_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline uint64_t ward_SSL_OP_IGNORE_UNEXPECTED_EOF(void) { return SSL_OP_IGNORE_UNEXPECTED_EOF; }
static inline uint64_t ward_SSL_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline uint64_t ward_SSL_OP_NO_COMPRESSION(void) { return SSL_OP_NO_COMPRESSION; }
static inline uint64_t ward_SSL_OP_CIPHER_SERVER_PREFERENCE(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE; }
static inline uint64_t ward_SSL_OP_NO_TICKET(void) { return SSL_OP_NO_TICKET; }
static inline int ward_SSL_CTX_add1_chain_cert(SSL_CTX *ctx, X509 *x) { return (int)SSL_CTX_add1_chain_cert(ctx, x); }
static inline uint64_t ward_SSL_OP_NO_TLSv1_2(void) { return SSL_OP_NO_TLSv1_2; }

#endif
