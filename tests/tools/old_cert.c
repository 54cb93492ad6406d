/*
 * old_cert KEYFILE CERTFILE FROM_DAYS DAYS: a self-signed certificate for the
 * key in KEYFILE, valid from FROM_DAYS days from now (negative: in the past)
 * for DAYS days; for tests of expired and soon-expiring certificates, which
 * openssl 3.0's command line cannot date in the past.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sasl-oauth2/credfile.h"
#include "sasl-oauth2/keygen.h"

int main(int argc, char **argv)
{
	struct oa2_err err;
	EVP_PKEY *key;
	X509 *cert;

	if (argc != 5) {
		fprintf(stderr, "usage: old_cert KEYFILE CERTFILE FROM_DAYS DAYS\n");
		return 2;
	}
	if (oa2_cred_private_key(argv[1], NULL, &key, &err) != OA2_OK ||
	    oa2_keygen_cert(key, "old", atol(argv[3]) * 86400, atol(argv[4]) * 86400, &cert,
			    &err) != OA2_OK ||
	    oa2_keygen_write_cert(argv[2], cert, &err) != OA2_OK) {
		fprintf(stderr, "old_cert: %s\n", err.msg);
		return 1;
	}
	EVP_PKEY_free(key);
	X509_free(cert);
	return 0;
}
