/*
 * The files that hold app-only credentials: a client secret, a private key
 * (PEM) with its certificate, a Google service account key (JSON).
 *
 * Secret files follow the token file rules: a regular file, not readable or
 * writable by group or others, owned by the user reading it (root may read
 * any); otherwise OA2_ERR_UNSAFE with the chmod/chown that fixes it.
 * Certificates are public and only need to be regular files. Paths are
 * resolved for Postfix's chroot (oa2_config_path_in_chroot) before opening.
 * Every message names the file. Contents are bounded and wiped when freed.
 */
#ifndef SASL_OAUTH2_CREDFILE_H
#define SASL_OAUTH2_CREDFILE_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sasl-oauth2/error.h"

#define OA2_CRED_FILE_MAX (32 * 1024) /* bytes in a credential file */
#define OA2_CLIENT_SECRET_MAX 1024    /* bytes in a client secret */

/* Reads the file at path (of at most max bytes) into *data (owned,
 * NUL-terminated; release with oa2_secret_free(*data, *len + 1)). `what`
 * names it ("client secret file"); `secret` selects the mode rules. */
int oa2_cred_read(const char *path, const char *chroot_dir, const char *what, int secret,
		  size_t max, char **data, size_t *len, struct oa2_err *err);

/* The client secret in path: the file's first line, trailing white space
 * removed; visible ASCII only. *secret owned (oa2_secret_free_str). */
int oa2_cred_client_secret(const char *path, const char *chroot_dir, char **secret,
			   struct oa2_err *err);

/* Parses an unencrypted PEM private key from memory; origin names it.
 * Encrypted keys are refused (nothing could type the passphrase). */
int oa2_cred_parse_private_key(const char *pem, size_t len, const char *origin,
			       EVP_PKEY **key, struct oa2_err *err);

/* The private key in path (secret rules), RSA of 2048 bits or more. */
int oa2_cred_private_key(const char *path, const char *chroot_dir, EVP_PKEY **key,
			 struct oa2_err *err);

/* The first PEM certificate in path. */
int oa2_cred_certificate(const char *path, const char *chroot_dir, X509 **cert,
			 struct oa2_err *err);

/* Days (rounded down) from now until cert's notAfter; negative once it
 * expired. */
long oa2_cred_cert_days_left(X509 *cert);

/* Loads both and checks they belong together and the certificate is in its
 * validity period; OA2_ERR_INVALID naming both files otherwise. */
int oa2_cred_key_and_cert(const char *key_path, const char *cert_path, const char *chroot_dir,
			  EVP_PKEY **key, X509 **cert, struct oa2_err *err);

#endif
