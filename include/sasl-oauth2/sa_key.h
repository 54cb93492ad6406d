/*
 * Google service account key files (the JSON that the Cloud console's
 * "Keys > Add key > JSON" downloads): the members the JWT bearer grant
 * needs. Parsing is bounded (OA2_CRED_FILE_MAX) and fuzzed
 * (tests/fuzz/fuzz_sa_key.c); the key itself is parsed by OpenSSL.
 */
#ifndef SASL_OAUTH2_SA_KEY_H
#define SASL_OAUTH2_SA_KEY_H

#include <stddef.h>

#include <openssl/evp.h>

#include "sasl-oauth2/error.h"

/* Strings owned and wiped by oa2_sa_key_clear; key freed there too. */
struct oa2_sa_key {
	char *client_email;   /* the assertion's "iss" */
	char *client_id;      /* what the Workspace admin authorizes; may be NULL */
	char *private_key_id; /* the assertion's "kid"; may be NULL */
	char *token_uri;      /* the assertion's "aud"; may be NULL */
	EVP_PKEY *key;        /* "private_key", RSA */
};

/* Parses a key file's contents; origin names the file in messages. On
 * error *k is left empty (nothing to clear). */
int oa2_sa_key_parse(const char *text, size_t len, const char *origin, struct oa2_sa_key *k,
		     struct oa2_err *err);

/* Reads path (secret file rules, see credfile.h) and parses it. */
int oa2_sa_key_load(const char *path, const char *chroot_dir, struct oa2_sa_key *k,
		    struct oa2_err *err);

void oa2_sa_key_clear(struct oa2_sa_key *k);

#endif
