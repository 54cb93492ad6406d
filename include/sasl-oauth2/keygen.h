/*
 * A key pair and a self-signed certificate for Microsoft's certificate
 * credentials (`sasl-oauth2 keygen`): the app registration only needs the
 * certificate's public key and thumbprint, so no CA is involved.
 */
#ifndef SASL_OAUTH2_KEYGEN_H
#define SASL_OAUTH2_KEYGEN_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sasl-oauth2/error.h"

/* A new RSA key of `bits` bits (2048 or more). *key owned by the caller. */
int oa2_keygen_rsa(int bits, EVP_PKEY **key, struct oa2_err *err);

/* A certificate for key, subject and issuer CN=cn, valid from now + from
 * seconds (negative: in the past) for `secs` seconds, SHA-256 signed.
 * *cert owned by the caller. */
int oa2_keygen_cert(EVP_PKEY *key, const char *cn, long from, long secs, X509 **cert,
		    struct oa2_err *err);

/* Writes the key (PKCS#8 PEM, unencrypted) to a new file at path, mode
 * 0600, refusing to replace an existing file; the certificate (PEM) likewise
 * with mode 0644. */
int oa2_keygen_write_key(const char *path, EVP_PKEY *key, struct oa2_err *err);
int oa2_keygen_write_cert(const char *path, X509 *cert, struct oa2_err *err);

/* Both refuse (OA2_ERR_UNSAFE) a directory that everyone may write and
 * that is not sticky, work inside the directory through a descriptor
 * (openat), and remove a file they could not finish through it too.
 * oa2_keygen_remove_key removes the key at path again (its certificate
 * could not be written) the same way, and only when the name is still a
 * regular file of the caller's with one link and mode 0600; 0 or -1. */
int oa2_keygen_remove_key(const char *path);

#endif
