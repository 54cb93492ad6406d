#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "sasl-oauth2/io.h"
#include "sasl-oauth2/keygen.h"

int oa2_keygen_rsa(int bits, EVP_PKEY **key, struct oa2_err *err)
{
	if (bits < 2048)
		return oa2_err_set(err, OA2_ERR_INVALID, "an RSA key needs at least 2048 bits");
	*key = EVP_RSA_gen((unsigned)bits);
	if (*key == NULL)
		return oa2_err_set(err, OA2_ERR_NOMEM, "OpenSSL could not make an RSA key");
	return OA2_OK;
}

int oa2_keygen_cert(EVP_PKEY *key, const char *cn, long from, long secs, X509 **cert,
		    struct oa2_err *err)
{
	X509 *c = X509_new();
	X509_NAME *name;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	int ok;

	/* A random positive serial, as RFC 5280 4.1.2.2 asks of any issuer. */
	ok = c != NULL && RAND_bytes(serial, sizeof(serial)) == 1;
	if (ok) {
		serial[0] &= 0x7f;
		ok = (bn = BN_bin2bn(serial, sizeof(serial), NULL)) != NULL &&
		     BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c)) != NULL;
	}
	BN_free(bn);
	ok = ok && X509_set_version(c, 2) == 1 &&
	     X509_gmtime_adj(X509_getm_notBefore(c), from) != NULL &&
	     X509_gmtime_adj(X509_getm_notAfter(c), from + secs) != NULL &&
	     X509_set_pubkey(c, key) == 1 && (name = X509_get_subject_name(c)) != NULL &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn,
					-1, -1, 0) == 1 &&
	     X509_set_issuer_name(c, name) == 1 && X509_sign(c, key, EVP_sha256()) > 0;
	if (!ok) {
		X509_free(c);
		ERR_clear_error();
		return oa2_err_set(err, OA2_ERR_INVALID, "OpenSSL could not make the certificate");
	}
	*cert = c;
	return OA2_OK;
}

/* O_EXCL: a key is never silently replaced (its certificate may be in use). */
static int write_new(const char *path, mode_t mode, const char *what, BIO *mem,
		     struct oa2_err *err)
{
	char *data;
	long n = BIO_get_mem_data(mem, &data);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);

	if (fd < 0)
		return oa2_err_set(err, OA2_ERR_IO, "%s %s: cannot create it: %s%s", what, path,
				   strerror(errno), errno == EEXIST ? " (remove it first, or "
				   "choose another name)" : "");
	if (n <= 0 || fchmod(fd, mode) != 0 || oa2_write_all(fd, data, (size_t)n) != 0 ||
	    fsync(fd) != 0) {
		int e = errno;
		close(fd);
		unlink(path);
		return oa2_err_set(err, OA2_ERR_IO, "%s %s: cannot write it: %s", what, path,
				   strerror(e));
	}
	if (close(fd) != 0) {
		unlink(path);
		return oa2_err_set(err, OA2_ERR_IO, "%s %s: cannot write it: %s", what, path,
				   strerror(errno));
	}
	return OA2_OK;
}

int oa2_keygen_write_key(const char *path, EVP_PKEY *key, struct oa2_err *err)
{
	BIO *mem = BIO_new(BIO_s_secmem());
	int rc;

	if (mem == NULL || PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL) != 1)
		rc = oa2_err_set(err, OA2_ERR_NOMEM, "cannot encode the private key");
	else
		rc = write_new(path, 0600, "private key file", mem, err);
	BIO_free(mem); /* a secure-heap BIO is cleansed when freed */
	return rc;
}

int oa2_keygen_write_cert(const char *path, X509 *cert, struct oa2_err *err)
{
	BIO *mem = BIO_new(BIO_s_mem());
	int rc;

	if (mem == NULL || PEM_write_bio_X509(mem, cert) != 1)
		rc = oa2_err_set(err, OA2_ERR_NOMEM, "cannot encode the certificate");
	else
		rc = write_new(path, 0644, "certificate file", mem, err);
	BIO_free(mem);
	return rc;
}
