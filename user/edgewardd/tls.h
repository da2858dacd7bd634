/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The API's TLS server context, set up as the guide's nginx server block: TLS 1.2 and 1.3
 * only, ECDHE with AES-GCM only, a server-side session cache and no tickets, no
 * renegotiation, no compression. The key file must be private to its owner.
 */
#ifndef EW_TLS_H
#define EW_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

/* The guide's ssl_ciphers (TLS 1.2), and the TLS 1.3 suites that match them (AES-GCM). */
#define TLS_CIPHERS_12                                                                          \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                            \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"
#define TLS_CIPHERS_13 "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"
#define TLS_GROUPS "X25519:P-256:P-384"
/* ssl_session_timeout 1d */
#define TLS_SESSION_TIMEOUT_S 86400

/*
 * A server context from a PEM certificate chain and a PEM private key (unencrypted). Refuses
 * a key file that is not a regular file or that its group or others may access, a key that
 * does not match the certificate, and keys weaker than OpenSSL security level 2 (RSA < 2048).
 * Returns NULL with the reason in err.
 */
SSL_CTX *tls_server_ctx(const char *cert_pem, const char *key_pem, char *err, size_t errlen);

/*
 * One line for the logs about ctx's certificate: subject, issuer, expiry, key type and size,
 * SHA-256 fingerprint. Returns 0, 1 when the certificate has expired or is not yet valid
 * (the line says so), or -errno.
 */
int tls_cert_info(SSL_CTX *ctx, char *buf, size_t len);

#endif
