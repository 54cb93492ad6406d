#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* The directory that will hold path, opened; base gets the last name.
 * A directory everyone may write without the sticky bit is refused: anyone
 * could rename the new key away or put another file in its place. */
static int open_dir(const char *path, const char *what, char *base, size_t n,
		    struct oa2_err *err)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;
	int dfd;

	if (snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1,
		     slash ? (slash == path ? "/" : path) : ".") >= (int)sizeof(dir) ||
	    snprintf(base, n, "%s", slash ? slash + 1 : path) >= (int)n || base[0] == '\0') {
		oa2_err_set(err, OA2_ERR_INVALID, "%s %s: not a file name", what, path);
		return -1;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &st) != 0) {
		oa2_err_set(err, OA2_ERR_IO, "%s %s: cannot create it: %s", what, path,
			    strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		oa2_err_set(err, OA2_ERR_UNSAFE, "%s %s: its directory %s is writable by everyone "
			    "and not sticky (mode %04o): anyone could replace the file there; "
			    "use a directory of its own (or chmod o-w %s)", what, path, dir,
			    (unsigned)(st.st_mode & 07777), dir);
		close(dfd);
		return -1;
	}
	return dfd;
}

/* Removes name from dfd when it is still the file `made` (the fstat of what
 * was created): never by path, never someone else's file put in its place. */
static void remove_made(int dfd, const char *name, const struct stat *made)
{
	struct stat there;

	if (fstatat(dfd, name, &there, AT_SYMLINK_NOFOLLOW) == 0 &&
	    made->st_dev == there.st_dev && made->st_ino == there.st_ino)
		unlinkat(dfd, name, 0);
}

/* O_EXCL: a key is never silently replaced (its certificate may be in use). */
static int write_new(const char *path, mode_t mode, const char *what, BIO *mem,
		     struct oa2_err *err)
{
	char *data, base[PATH_MAX];
	struct stat made = { 0 };
	long n = BIO_get_mem_data(mem, &data);
	int dfd = open_dir(path, what, base, sizeof(base), err), fd, e, rc = OA2_OK;

	if (dfd < 0)
		return err != NULL ? err->rc : OA2_ERR_IO;
	fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		rc = oa2_err_set(err, OA2_ERR_IO, "%s %s: cannot create it: %s%s", what, path,
				 strerror(errno), errno == EEXIST ? " (remove it first, or "
				 "choose another name)" : "");
		close(dfd);
		return rc;
	}
	if (fstat(fd, &made) != 0 || n <= 0 || fchmod(fd, mode) != 0 ||
	    oa2_write_all(fd, data, (size_t)n) != 0 || fsync(fd) != 0) {
		e = errno;
		close(fd);
		rc = oa2_err_set(err, OA2_ERR_IO, "%s %s: cannot write it: %s", what, path,
				 strerror(e));
	} else if (close(fd) != 0) {
		rc = oa2_err_set(err, OA2_ERR_IO, "%s %s: cannot write it: %s", what, path,
				 strerror(errno));
	}
	if (rc != OA2_OK && made.st_ino != 0)
		remove_made(dfd, base, &made);
	close(dfd);
	return rc;
}

int oa2_keygen_remove_key(const char *path)
{
	char base[PATH_MAX];
	struct oa2_err err;
	struct stat st;
	int dfd = open_dir(path, "private key file", base, sizeof(base), &err), rc = -1;

	if (dfd < 0)
		return -1;
	/* Only the key just made: a regular file of ours, one name, 0600. */
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == geteuid() && st.st_nlink == 1 && (st.st_mode & 077) == 0)
		rc = unlinkat(dfd, base, 0);
	close(dfd);
	return rc;
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
