// SPDX-License-Identifier: GPL-2.0-only
/*
 * The management API's TLS server context (OpenSSL); see tls.h. The settings are the guide's
 * nginx block translated option by option; where OpenSSL needs more than nginx says (the
 * TLS 1.3 suites, the session id context, ALPN) the comment says why.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "log.h"
#include "tls.h"

/* Sessions kept for resumption; nginx's "shared:SSL:10m" holds about 40000. */
#define TLS_SESSION_CACHE_SIZE 40000

/* err = "what: <the last OpenSSL error>", and the OpenSSL error queue emptied. */
static void tls_err(char *err, size_t errlen, const char *what, const char *path)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "%s%s%s%s%s", path ? path : "", path ? ": " : "", what,
		 buf[0] ? ": " : "", buf);
	ERR_clear_error();
}

/* Encrypted keys are refused rather than prompting on a terminal the daemon does not have. */
static int tls_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return -1;
}

static EVP_PKEY *tls_load_key(const char *path, char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	struct stat st;
	FILE *fp = NULL;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	/* Judge the file that was opened, not the name (no check-then-open race). */
	if (fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: the private key is not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen,
			 "%s: mode %04o lets group or others read the private key; chmod 600 it",
			 path, (unsigned int)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(err, errlen, "%s: the private key belongs to uid %u, not to us or root",
			 path, (unsigned int)st.st_uid);
		goto out;
	}
	fp = fdopen(fd, "r");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	key = PEM_read_PrivateKey(fp, NULL, tls_no_passphrase, NULL);
	if (!key)
		tls_err(err, errlen, "no unencrypted PEM private key", path);
out:
	if (fp)
		fclose(fp);
	if (fd >= 0)
		close(fd);
	return key;
}

/*
 * ALPN: speak HTTP/1.1 only. A client that offers ALPN without http/1.1 wants another
 * protocol (h2 only, or a cross-protocol attack such as ALPACA); it is refused in the
 * handshake. A client offering no ALPN at all is served HTTP/1.1.
 */
static int tls_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
			   const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char h11[] = "\x08http/1.1";
	unsigned char *sel = NULL;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, h11, sizeof(h11) - 1, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

SSL_CTX *tls_server_ctx(const char *cert_pem, const char *key_pem, char *err, size_t errlen)
{
	SSL_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	bool mismatch = false;

	err[0] = '\0';
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		tls_err(err, errlen, "cannot create a TLS context", NULL);
		goto fail;
	}
	/* ssl_protocols TLSv1.2 TLSv1.3 */
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION)) {
		tls_err(err, errlen, "cannot restrict the protocol versions", NULL);
		goto fail;
	}
	/* Level 2: RSA and DH of at least 2048 bits, no SHA-1 signatures. */
	SSL_CTX_set_security_level(ctx, 2);
	/*
	 * ssl_ciphers for TLS 1.2; nginx leaves TLS 1.3 at OpenSSL's default, which would add
	 * ChaCha20, so the 1.3 suites are pinned to the AES-GCM ones as well.
	 */
	if (!SSL_CTX_set_cipher_list(ctx, TLS_CIPHERS_12) ||
	    !SSL_CTX_set_ciphersuites(ctx, TLS_CIPHERS_13)) {
		tls_err(err, errlen, "cannot set the cipher list", NULL);
		goto fail;
	}
	if (!SSL_CTX_set1_groups_list(ctx, TLS_GROUPS)) {
		tls_err(err, errlen, "cannot set the ECDHE groups", NULL);
		goto fail;
	}
	/*
	 * ssl_session_tickets off, no compression (CRIME), no renegotiation either way.
	 * ssl_prefer_server_ciphers off: every suite allowed is ECDHE with AES-GCM, so the
	 * client may pick the one its hardware runs fastest at no cost in strength (Mozilla's
	 * intermediate profile reasons the same way); the server-preference option is cleared
	 * explicitly in case a system default set it.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION |
					 SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_clear_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE |
					   SSL_OP_ALLOW_CLIENT_RENEGOTIATION |
					   SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION |
					   SSL_OP_LEGACY_SERVER_CONNECT);
	/* Idle keep-alive connections give their 34 KiB of record buffers back. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	/*
	 * ssl_session_cache on, ssl_session_timeout 1d. Resumption needs a session id context.
	 * With tickets off, TLS 1.3 resumes through "stateful" tickets that only name a cache
	 * entry; one per handshake is enough for an API client.
	 */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	if (!SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"edgewardd-api", 13)) {
		tls_err(err, errlen, "cannot set the session id context", NULL);
		goto fail;
	}
	SSL_CTX_sess_set_cache_size(ctx, TLS_SESSION_CACHE_SIZE);
	SSL_CTX_set_timeout(ctx, TLS_SESSION_TIMEOUT_S);
	SSL_CTX_set_num_tickets(ctx, 1);
	SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_select, NULL);

	if (SSL_CTX_use_certificate_chain_file(ctx, cert_pem) != 1) {
		tls_err(err, errlen, "cannot load the certificate chain", cert_pem);
		goto fail;
	}
	key = tls_load_key(key_pem, err, errlen);
	if (!key)
		goto fail;
	/* OpenSSL compares the key with the certificate here already, or in the check below. */
	ERR_clear_error();
	if (SSL_CTX_use_PrivateKey(ctx, key) != 1) {
		mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
		if (!mismatch) {
			tls_err(err, errlen, "cannot use the private key", key_pem);
			goto fail;
		}
	}
	if (mismatch || SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "%s does not match the certificate in %s", key_pem,
			 cert_pem);
		goto fail;
	}
	EVP_PKEY_free(key);
	return ctx;
fail:
	EVP_PKEY_free(key);
	SSL_CTX_free(ctx);
	return NULL;
}

int tls_cert_info(SSL_CTX *ctx, char *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	X509 *x = SSL_CTX_get0_certificate(ctx);
	EVP_PKEY *pk;
	char group[64] = "";
	int ret = 0, n;
	BIO *bio = NULL;
	char *data;
	long dlen;

	if (!x || !len)
		return -EINVAL;
	bio = BIO_new(BIO_s_mem());
	if (!bio)
		return -ENOMEM;
	pk = X509_get0_pubkey(x);
	BIO_puts(bio, "subject=");
	X509_NAME_print_ex(bio, X509_get_subject_name(x), 0, XN_FLAG_RFC2253);
	BIO_puts(bio, " issuer=");
	X509_NAME_print_ex(bio, X509_get_issuer_name(x), 0, XN_FLAG_RFC2253);
	BIO_puts(bio, " notAfter=");
	ASN1_TIME_print(bio, X509_get0_notAfter(x));
	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0) {
		BIO_puts(bio, " (EXPIRED)");
		ret = 1;
	} else if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0) {
		BIO_puts(bio, " (NOT YET VALID)");
		ret = 1;
	}
	if (pk) {
		EVP_PKEY_get_group_name(pk, group, sizeof(group), NULL);
		BIO_printf(bio, " key=%s%s%s/%d", EVP_PKEY_get0_type_name(pk), group[0] ? " " : "",
			   group, EVP_PKEY_get_bits(pk));
	}
	if (X509_digest(x, EVP_sha256(), md, &mdlen)) {
		BIO_puts(bio, " sha256=");
		for (i = 0; i < mdlen; i++)
			BIO_printf(bio, "%s%02X", i ? ":" : "", md[i]);
	}
	dlen = BIO_get_mem_data(bio, &data);
	n = snprintf(buf, len, "%.*s", (int)dlen, data);
	if (n < 0)
		ret = -EINVAL;
	BIO_free(bio);
	ERR_clear_error();
	return ret;
}
